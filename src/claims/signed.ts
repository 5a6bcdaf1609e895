import { gpgKeys, lookasideHome } from '../apparatus/gpg.js';
import { BUSYBOX } from '../apparatus/images.js';
import { pushImage, registryBinary } from '../apparatus/registry.js';
import type { Evidence } from '../exec/evidence.js';
import { which } from '../exec/which.js';
import { type Claim, type ClaimContext, isUnexplained, type Unexplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { classifyEach } from './classify.js';
import { type PullRegistry, pullRegistry } from './pull-registry.js';
import { ACCEPT_ANYTHING } from './trust.js';

/** A policy that requires a GPG signature by the key in `keyPath` for `scope`, and rejects the rest (pure). */
export function signedByPolicy(scope: string, keyPath: string): string {
  return JSON.stringify({
    default: [{ type: 'reject' }],
    transports: { docker: { [scope]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath }] } },
  });
}

export type SignedPull = 'pulled' | 'no-signature' | 'bad-signature' | 'other';

/** Classify a pull under a signature policy (pure): only c/image's own refusals count. */
export function classifySignedPull(e: Pick<Evidence, 'exitCode' | 'stderr' | 'failure'>): SignedPull {
  if (e.failure) return 'other';
  if (e.exitCode === 0) return 'pulled';
  if (e.exitCode !== 125) return 'other';
  if (/A signature was required, but no signature exists/.test(e.stderr)) return 'no-signature';
  if (
    /[Ss]ignature .*(not accepted|by key .* is not|invalid)|Invalid GPG signature|is not signed by/i.test(
      e.stderr,
    )
  )
    return 'bad-signature';
  return 'other';
}

/** The three pulls of an arm: signed with the trusted key, unsigned, signed with another key. */
export interface SignedPulls {
  signed: Pick<Evidence, 'exitCode' | 'stderr' | 'failure'>;
  unsigned: Pick<Evidence, 'exitCode' | 'stderr' | 'failure'>;
  otherKey: Pick<Evidence, 'exitCode' | 'stderr' | 'failure'>;
}

const pulls = (p: SignedPulls) =>
  classifyEach({ ...p }, classifySignedPull, 'a pull failed for another reason than the policy');

const described = (r: Record<keyof SignedPulls, SignedPull>) =>
  `signed: ${r.signed}; unsigned: ${r.unsigned}; signed by another key: ${r.otherKey}`;

/** Treatment check (pure): only the image signed with the trusted key pulls. */
export function checkSignedOnly(p: SignedPulls): Observation | Unexplained {
  const r = pulls(p);
  if (isUnexplained(r)) return r;
  return {
    holds: r.signed === 'pulled' && r.unsigned === 'no-signature' && r.otherKey === 'bad-signature',
    observed: described(r),
  };
}

/** Control check (pure): without the requirement all three pull. */
export function checkAllPull(p: SignedPulls): Observation | Unexplained {
  const r = pulls(p);
  if (isUnexplained(r)) return r;
  return {
    holds: r.signed === 'pulled' && r.unsigned === 'pulled' && r.otherKey === 'pulled',
    observed: described(r),
  };
}

interface SignedSetup {
  refs: { signed: string; unsigned: string; otherKey: string };
  policies: { treatment: string; control: string };
  /** podman's environment: HOME whose registries.d names the lookaside, GNUPGHOME with the keys. */
  env: Record<string, string>;
  registry: PullRegistry;
}

/** Pull the three references with the arm's policy. */
async function pullAll(
  ctx: ClaimContext,
  s: SignedSetup,
  arm: 'treatment' | 'control',
): Promise<SignedPulls> {
  return s.registry.pullEach(s.refs, (ref) =>
    ctx.podman.cmd(['pull', '--tls-verify=false', '--signature-policy', s.policies[arm], ref], {
      purpose: `${arm}: pull ${ref.split('/').slice(-1)[0]}`,
      timeoutMs: 120_000,
      env: s.env,
    }),
  );
}

export const signedOnly: Claim<SignedSetup, SignedPulls> = {
  id: 'image.signed-only',
  title: 'with a signedBy policy, only an image signed with the trusted key pulls',
  source:
    'containers-policy.json(5) signedBy; podman-push(1) --sign-by; podman test/system trust and sign tests: "A signature was required, but no signature exists" (exit 125)',
  identities: ['rootful', 'rootless'],
  // most of its time is gpg making keys and the registry starting: overlap it with podman work
  startEarly: true,
  needs() {
    if (!registryBinary())
      return 'needs a local registry: install docker-registry (Debian/Ubuntu) or docker-distribution (Fedora)';
    if (!which('gpg') || !which('gpgconf')) return 'needs gpg and gpgconf (gnupg) to make signing keys';
    return undefined;
  },
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    const keys = await gpgKeys(ctx, ['signer', 'other']);
    ctx.defer('stop the gpg agent', () => keys.stop());
    const pub = await keys.exportPublic('signer');
    const registry = await pullRegistry(ctx);
    const env = { ...keys.env, ...lookasideHome(ctx, registry.address) };

    // the unsigned image is the registry's own (pushed without a signature); the signed ones are
    // this claim's, in repositories of their own (a signature belongs to a repository and digest)
    const { scope } = registry;
    const refs = {
      signed: `${scope}/signed:latest`,
      unsigned: registry.unsigned.a,
      otherKey: `${scope}/other-key:latest`,
    };
    for (const [ref, key] of [
      [refs.signed, keys.fingerprints.signer],
      [refs.otherKey, keys.fingerprints.other],
    ] as const) {
      await pushImage(ctx.podman, image, ref, {
        signBy: key,
        env,
        purpose: `push ${ref.split('/').slice(-1)[0]} signed`,
      });
    }
    const policies = ctx.session.tempFiles('policy', {
      treatment: signedByPolicy(scope, pub),
      control: ACCEPT_ANYTHING,
    });
    return { refs, policies, env, registry };
  },
  treatment: {
    setting: '--signature-policy: signedBy the signer key',
    observe: (ctx, s) => pullAll(ctx, s, 'treatment'),
    check: checkSignedOnly,
  },
  control: {
    setting: '--signature-policy: insecureAcceptAnything',
    observe: (ctx, s) => pullAll(ctx, s, 'control'),
    check: checkAllPull,
  },
  note: () => 'GPG route: signedBy with keys podproof makes, a file lookaside in a temp registries.d',
};

export const signedClaims: Claim[] = [signedOnly];
