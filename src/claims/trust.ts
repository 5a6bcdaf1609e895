import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX } from '../apparatus/images.js';
import { localRegistry, pushImage, registryBinary } from '../apparatus/registry.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import type { Claim, ClaimContext } from '../experiment/types.js';
import type { Observation, Side } from '../experiment/verdict.js';

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

function results(p: PolicyPulls) {
  const accepted = classifyPull(p.accepted);
  const other = classifyPull(p.other);
  const bad = [p.accepted, p.other].find((e) => classifyPull(e) === 'other');
  if (bad)
    throw new Error(`a pull failed for another reason than the policy: ${describeEvidence(bad as Evidence)}`);
  return { accepted, other, observed: `accepted repository: ${accepted}; other repository: ${other}` };
}

/** Treatment check (pure): the accepted repository pulls, the other is rejected by the policy. */
export function checkPolicyDecides(p: PolicyPulls): Observation {
  const r = results(p);
  return { holds: r.accepted === 'pulled' && r.other === 'rejected', observed: r.observed };
}

/** Control check (pure): with insecureAcceptAnything both pull. */
export function checkBothPull(p: PolicyPulls): Observation {
  const r = results(p);
  return { holds: r.accepted === 'pulled' && r.other === 'pulled', observed: r.observed };
}

interface TrustSetup {
  /** `127.0.0.1:PORT/podproof-SESSION/accepted:latest` and `.../other:latest`, pushed there. */
  accepted: string;
  other: string;
  /** Policy files in a temp dir: never the host's policy.json. */
  policies: { treatment: string; control: string };
}

/** Pull both references with one policy, then remove them again (the next arm pulls afresh). */
async function pullBoth(ctx: ClaimContext, s: TrustSetup, arm: 'treatment' | 'control'): Promise<Side> {
  const pull = (ref: string) =>
    ctx.podman.cmd(['pull', '--tls-verify=false', '--signature-policy', s.policies[arm], ref], {
      purpose: `${arm}: pull ${ref.split('/').slice(-1)[0]}`,
      timeoutMs: 120_000,
    });
  const pulls: PolicyPulls = { accepted: await pull(s.accepted), other: await pull(s.other) };
  await ctx.podman.cmd(['rmi', '-f', s.accepted, s.other], { purpose: 'cleanup', timeoutMs: 60_000 });
  // a check that throws (a pull failed another way) is the runner's harness error
  return { ok: true, value: arm === 'treatment' ? checkPolicyDecides(pulls) : checkBothPull(pulls) };
}

export const trustPolicy: Claim<TrustSetup> = {
  id: 'trust.policy',
  title: 'a signature policy that rejects by default and accepts one repository decides what podman can pull',
  source:
    'podman-image-trust(1) set -t reject default, -t accept REPO; containers-policy.json(5); podman test/system/ trust tests',
  identities: ['rootful', 'rootless'],
  needs: () =>
    registryBinary()
      ? undefined
      : 'needs a local registry: install docker-registry (Debian/Ubuntu) or docker-distribution (Fedora)',
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    const registry = await localRegistry(ctx.session, ctx.log);
    ctx.defer('stop the local registry', () => registry.stop());
    const repo = (name: string) => `${registry.address}/podproof-${ctx.session.id}/${name}`;
    const accepted = `${repo('accepted')}:latest`;
    const other = `${repo('other')}:latest`;
    ctx.defer('remove the pulled images', () =>
      ctx.podman.cmd(['rmi', '-f', accepted, other], { purpose: 'cleanup', timeoutMs: 60_000 }),
    );
    for (const ref of [accepted, other]) {
      await pushImage(ctx.podman, image, ref);
    }
    const dir = ctx.session.tempDir('policy');
    const policies = {
      treatment: join(dir, 'reject-except.json'),
      control: join(dir, 'accept-anything.json'),
    };
    writeFileSync(policies.treatment, rejectExcept(repo('accepted')), { mode: 0o644 });
    writeFileSync(policies.control, ACCEPT_ANYTHING, { mode: 0o644 });
    return { accepted, other, policies };
  },
  treatment: (ctx, s) => pullBoth(ctx, s, 'treatment'),
  control: (ctx, s) => pullBoth(ctx, s, 'control'),
};

export const trustClaims: Claim[] = [trustPolicy];
