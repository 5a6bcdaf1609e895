import { registryBinary } from '../apparatus/registry.js';
import type { Evidence } from '../exec/evidence.js';
import { type Claim, type ClaimContext, isUnexplained, type Unexplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { classifyEach } from './classify.js';
import { type PullRegistry, pullRegistry } from './pull-registry.js';

/** A signature policy (containers-policy.json(5)): `reject` by default, `accept` for one repository (pure). */
export function rejectExcept(repository: string): string {
  return JSON.stringify({
    default: [{ type: 'reject' }],
    transports: { docker: { [repository]: [{ type: 'insecureAcceptAnything' }] } },
  });
}

/** The documented opposite: accept anything (pure). */
export const ACCEPT_ANYTHING = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] });

/** How one pull went: pulled, refused by the policy, or something else (a harness error). */
export type PullResult = 'pulled' | 'rejected' | 'other';

/** Classify a pull (pure): only the policy's own message counts as refused. */
export function classifyPull(e: Pick<Evidence, 'exitCode' | 'stderr' | 'failure'>): PullResult {
  if (e.failure) return 'other';
  if (e.exitCode === 0) return 'pulled';
  if (e.exitCode === 125 && /rejected by policy/.test(e.stderr)) return 'rejected';
  return 'other';
}

/** Both pulls of one arm: the repository the policy accepts, and another. */
export interface PolicyPulls {
  accepted: Pick<Evidence, 'exitCode' | 'stderr' | 'failure'>;
  other: Pick<Evidence, 'exitCode' | 'stderr' | 'failure'>;
}

const pulls = (p: PolicyPulls) =>
  classifyEach({ ...p }, classifyPull, 'a pull failed for another reason than the policy');

const described = (r: { accepted: string; other: string }) =>
  `accepted repository: ${r.accepted}; other repository: ${r.other}`;

/** Treatment check (pure): the accepted repository pulls, the other is rejected by the policy. */
export function checkPolicyDecides(p: PolicyPulls): Observation | Unexplained {
  const r = pulls(p);
  if (isUnexplained(r)) return r;
  return { holds: r.accepted === 'pulled' && r.other === 'rejected', observed: described(r) };
}

/** Control check (pure): with insecureAcceptAnything both pull. */
export function checkBothPull(p: PolicyPulls): Observation | Unexplained {
  const r = pulls(p);
  if (isUnexplained(r)) return r;
  return { holds: r.accepted === 'pulled' && r.other === 'pulled', observed: described(r) };
}

interface TrustSetup {
  /** The repository the policy accepts, and another: the same unsigned image in the local registry. */
  refs: { accepted: string; other: string };
  /** Policy files in a temp dir: never the host's policy.json. */
  policies: { treatment: string; control: string };
  registry: PullRegistry;
}

/** Pull both references with the arm's policy. */
async function pullBoth(
  ctx: ClaimContext,
  s: TrustSetup,
  arm: 'treatment' | 'control',
): Promise<PolicyPulls> {
  return s.registry.pullEach(s.refs, (ref) =>
    ctx.podman.cmd(['pull', '--tls-verify=false', '--signature-policy', s.policies[arm], ref], {
      purpose: `${arm}: pull ${ref.split('/').slice(-1)[0]}`,
      timeoutMs: 120_000,
    }),
  );
}

export const trustPolicy: Claim<TrustSetup, PolicyPulls> = {
  id: 'trust.policy',
  title: 'a signature policy that rejects by default and accepts one repository decides what podman can pull',
  source:
    'podman-image-trust(1) set -t reject default, -t accept REPO; containers-policy.json(5); podman test/system/ trust tests',
  identities: ['rootful', 'rootless'],
  // much of its time is the registry starting: overlap it with podman work
  startEarly: true,
  needs: () =>
    registryBinary()
      ? undefined
      : 'needs a local registry: install docker-registry (Debian/Ubuntu) or docker-distribution (Fedora)',
  async setup(ctx) {
    const registry = await pullRegistry(ctx);
    const refs = { accepted: registry.unsigned.a, other: registry.unsigned.b };
    const policies = ctx.session.tempFiles('policy', {
      // the repository without its tag
      treatment: rejectExcept(refs.accepted.replace(/:[^:/]+$/, '')),
      control: ACCEPT_ANYTHING,
    });
    return { refs, policies, registry };
  },
  treatment: {
    setting: '--signature-policy: reject by default, accept one repository',
    observe: (ctx, s) => pullBoth(ctx, s, 'treatment'),
    check: checkPolicyDecides,
  },
  control: {
    setting: '--signature-policy: insecureAcceptAnything',
    observe: (ctx, s) => pullBoth(ctx, s, 'control'),
    check: checkBothPull,
  },
};

export const trustClaims: Claim[] = [trustPolicy];
