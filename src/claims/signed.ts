import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX } from '../apparatus/images.js';
import { localRegistry, pushImage, registryBinary } from '../apparatus/registry.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { which } from '../exec/which.js';
import type { Claim, ClaimContext } from '../experiment/types.js';
import type { Observation, Side } from '../experiment/verdict.js';
import { ACCEPT_ANYTHING } from './trust.js';

/** A policy that requires a GPG signature by the key in `keyPath` for `scope`, and rejects the rest (pure). */
export function signedByPolicy(scope: string, keyPath: string): string {
  return JSON.stringify({
    default: [{ type: 'reject' }],
    transports: { docker: { [scope]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath }] } },
  });
}

/**
 * registries.d for the local registry (pure): signatures are written to and read from a lookaside
 * directory. `sigstore` is the key every c/image version reads (newer ones also say `lookaside`).
 */
export function lookasideConfig(registry: string, dir: string): string {
  return `docker:\n  ${registry}:\n    sigstore: file://${dir}\n    sigstore-staging: file://${dir}\n`;
}

/** The primary key fingerprints in `gpg --with-colons --list-secret-keys` output (pure). */
export function fingerprints(colons: string): string[] {
  const out: string[] = [];
  let primary = false;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'sec') primary = true;
    else if (f[0] === 'ssb') primary = false;
    else if (f[0] === 'fpr' && primary && f[9]) {
      out.push(f[9]);
      primary = false;
    }
  }
  return out;
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

function results(p: SignedPulls) {
  const r = {
    signed: classifySignedPull(p.signed),
    unsigned: classifySignedPull(p.unsigned),
    otherKey: classifySignedPull(p.otherKey),
  };
  const bad = (['signed', 'unsigned', 'otherKey'] as const).find((k) => r[k] === 'other');
  if (bad)
    throw new Error(
      `the ${bad} pull failed for another reason than the policy: ${describeEvidence(p[bad] as Evidence)}`,
    );
  return {
    ...r,
    observed: `signed: ${r.signed}; unsigned: ${r.unsigned}; signed by another key: ${r.otherKey}`,
  };
}

/** Treatment check (pure): only the image signed with the trusted key pulls. */
export function checkSignedOnly(p: SignedPulls): Observation {
  const r = results(p);
  return {
    holds: r.signed === 'pulled' && r.unsigned === 'no-signature' && r.otherKey === 'bad-signature',
    observed: r.observed,
  };
}

/** Control check (pure): without the requirement all three pull. */
export function checkAllPull(p: SignedPulls): Observation {
  const r = results(p);
  return {
    holds: r.signed === 'pulled' && r.unsigned === 'pulled' && r.otherKey === 'pulled',
    observed: r.observed,
  };
}

interface SignedSetup {
  refs: { signed: string; unsigned: string; otherKey: string };
  policies: { treatment: string; control: string };
  /** podman's environment: HOME whose registries.d names the lookaside, GNUPGHOME with the keys. */
  env: Record<string, string>;
  /** Rootless: podman's storage driver as a flag (with another HOME it reads none of the user's storage.conf). */
  driverFlags: string[];
}

/** A temp dir owned by the identity (gpg refuses a GNUPGHOME others own). */
function ownDir(ctx: ClaimContext, what: string, mode = 0o700): string {
  // root through sudo writes root-owned files in it: removed as root then
  const dir = ctx.session.tempDir(what, { writer: ctx.identity, owner: ctx.identity });
  chmodSync(dir, mode);
  return dir;
}

async function pullAll(ctx: ClaimContext, s: SignedSetup, arm: 'treatment' | 'control'): Promise<Side> {
  const pull = (ref: string) =>
    ctx.podman.cmd(
      [...s.driverFlags, 'pull', '--tls-verify=false', '--signature-policy', s.policies[arm], ref],
      { purpose: `${arm}: pull ${ref.split('/').slice(-1)[0]}`, timeoutMs: 120_000, env: s.env },
    );
  const pulls: SignedPulls = {
    signed: await pull(s.refs.signed),
    unsigned: await pull(s.refs.unsigned),
    otherKey: await pull(s.refs.otherKey),
  };
  await ctx.podman.cmd(['rmi', '-f', ...Object.values(s.refs)], { purpose: 'cleanup', timeoutMs: 60_000 });
  // a check that throws (a pull failed another way) is the runner's harness error
  return { ok: true, value: arm === 'treatment' ? checkSignedOnly(pulls) : checkAllPull(pulls) };
}

export const signedOnly: Claim<SignedSetup> = {
  id: 'image.signed-only',
  title: 'with a signedBy policy, only an image signed with the trusted key pulls',
  source:
    'containers-policy.json(5) signedBy; podman-push(1) --sign-by; podman test/system trust and sign tests: "A signature was required, but no signature exists" (exit 125)',
  identities: ['rootful', 'rootless'],
  needs() {
    if (!registryBinary())
      return 'needs a local registry: install docker-registry (Debian/Ubuntu) or docker-distribution (Fedora)';
    if (!which('gpg') || !which('gpgconf')) return 'needs gpg and gpgconf (gnupg) to make signing keys';
    return undefined;
  },
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    const gnupg = ownDir(ctx, 'gnupg');
    const home = ownDir(ctx, 'home', 0o755);
    const lookaside = ownDir(ctx, 'lookaside', 0o755);
    const env = { GNUPGHOME: gnupg, HOME: home };
    // the agent gpg starts for this GNUPGHOME, and its socket dir under the runtime dir, go at the end
    ctx.defer('stop the gpg agent', async () => {
      await ctx.exec(['gpgconf', '--kill', 'gpg-agent'], {
        purpose: 'cleanup',
        timeoutMs: 15_000,
        env,
        cleanup: true,
      });
      await ctx.exec(['gpgconf', '--remove-socketdir'], {
        purpose: 'cleanup',
        timeoutMs: 15_000,
        env,
        cleanup: true,
      });
    });
    const keys: string[] = [];
    for (const who of ['signer', 'other']) {
      const made = await ctx.exec(
        [
          'gpg',
          '--batch',
          '--pinentry-mode',
          'loopback',
          '--passphrase',
          '',
          '--quick-gen-key',
          `podproof ${who} <${who}@podproof.invalid>`,
          'default',
          'default',
          'never',
        ],
        { purpose: `make the ${who} key`, timeoutMs: 120_000, env },
      );
      if (!succeeded(made)) throw new Error(`gpg could not make a key: ${describeEvidence(made)}`);
      const list = await ctx.exec(
        ['gpg', '--batch', '--with-colons', '--list-secret-keys', `${who}@podproof.invalid`],
        {
          purpose: `the ${who} key's fingerprint`,
          timeoutMs: 30_000,
          env,
        },
      );
      const fpr = fingerprints(list.stdout)[0];
      if (!fpr) throw new Error(`no fingerprint for the ${who} key: ${describeEvidence(list)}`);
      keys.push(fpr);
    }
    const [signer = '', other = ''] = keys;
    const pub = join(home, 'signer.gpg');
    const exported = await ctx.exec(['gpg', '--batch', '--armor', '--output', pub, '--export', signer], {
      purpose: "export the signer's public key",
      timeoutMs: 30_000,
      env,
    });
    if (!succeeded(exported)) throw new Error(`gpg could not export the key: ${describeEvidence(exported)}`);

    const registry = await localRegistry(ctx.session, ctx.log);
    ctx.defer('stop the local registry', () => registry.stop());
    // registries.d in HOME: podman finds the lookaside there (c/image reads $HOME/.config/containers/registries.d first)
    const registriesD = join(home, '.config', 'containers', 'registries.d');
    mkdirSync(registriesD, { recursive: true });
    writeFileSync(join(registriesD, 'podproof.yaml'), lookasideConfig(registry.address, lookaside), {
      mode: 0o644,
    });
    if (process.getuid?.() === 0)
      for (const d of [join(home, '.config'), join(home, '.config', 'containers'), registriesD])
        chownSync(d, ctx.identity.uid, ctx.identity.gid);

    const driverFlags: string[] = [];
    if (ctx.identity.name === 'rootless') {
      const info = await ctx.podman.cmd(['info', '--format', '{{.Store.GraphDriverName}}'], {
        purpose: 'the storage driver',
        timeoutMs: 30_000,
      });
      const driver = info.stdout.trim();
      if (!succeeded(info) || !driver) throw new Error(`podman info failed: ${describeEvidence(info)}`);
      driverFlags.push('--storage-driver', driver);
    }

    const scope = `${registry.address}/podproof-${ctx.session.id}`;
    const refs = {
      signed: `${scope}/signed:latest`,
      unsigned: `${scope}/unsigned:latest`,
      otherKey: `${scope}/other-key:latest`,
    };
    ctx.defer('remove the pulled images', () =>
      ctx.podman.cmd(['rmi', '-f', ...Object.values(refs)], { purpose: 'cleanup', timeoutMs: 60_000 }),
    );
    for (const [ref, key] of [
      [refs.signed, signer],
      [refs.unsigned, undefined],
      [refs.otherKey, other],
    ] as const) {
      await pushImage(ctx.podman, image, ref, {
        signBy: key,
        globalFlags: driverFlags,
        env,
        purpose: `push ${ref.split('/').slice(-1)[0]}${key ? ' signed' : ''}`,
      });
    }
    const dir = ctx.session.tempDir('policy');
    const policies = { treatment: join(dir, 'signed-by.json'), control: join(dir, 'accept-anything.json') };
    writeFileSync(policies.treatment, signedByPolicy(scope, pub), { mode: 0o644 });
    writeFileSync(policies.control, ACCEPT_ANYTHING, { mode: 0o644 });
    return { refs, policies, env, driverFlags };
  },
  treatment: (ctx, s) => pullAll(ctx, s, 'treatment'),
  control: (ctx, s) => pullAll(ctx, s, 'control'),
  note: () => 'GPG route: signedBy with keys podproof makes, a file lookaside in a temp registries.d',
};

export const signedClaims: Claim[] = [signedOnly];
