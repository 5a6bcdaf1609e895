import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecContext } from '../exec/context.js';
import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { fingerprints } from '../parse/host.js';

/** What an apparatus that runs commands as the identity needs (a claim's context is one). */
export type ApparatusEnv = Pick<ExecContext, 'session' | 'identity' | 'exec'>;

/** A temp dir owned by the identity; root through sudo writes root-owned files in it (removed as root then). */
export function identityDir(env: ApparatusEnv, what: string, mode = 0o700): string {
  const dir = env.session.tempDir(what, { writer: env.identity, owner: env.identity });
  chmodSync(dir, mode);
  return dir;
}

/** GPG keys made for one claim, in a GNUPGHOME of their own (never the user's keyring). */
export interface GpgKeys {
  /** GNUPGHOME for gpg and for podman's `--sign-by`. */
  env: { GNUPGHOME: string };
  /** Each key's primary fingerprint, by the name it was made with. */
  fingerprints: Record<string, string>;
  /** Export a key's public part (armored) to a file; returns its path. */
  exportPublic(name: string): Promise<string>;
  /** Stop the agent gpg started for this GNUPGHOME and remove its socket dir. */
  stop(): Promise<void>;
}

/** Make one signing key per name (no passphrase, never expiring) as the identity. */
export async function gpgKeys(env: ApparatusEnv, names: readonly string[]): Promise<GpgKeys> {
  const gnupg = identityDir(env, 'gnupg'); // gpg refuses a GNUPGHOME others own
  const gpgEnv = { GNUPGHOME: gnupg };
  const stop = async () => {
    for (const argv of [
      ['gpgconf', '--kill', 'gpg-agent'],
      ['gpgconf', '--remove-socketdir'],
    ])
      await env.exec(argv, { purpose: 'cleanup', timeoutMs: 15_000, env: gpgEnv, cleanup: true });
  };
  env.session.onTeardown(`stop the gpg agent of ${gnupg}`, stop);
  const found: Record<string, string> = {};
  for (const who of names) {
    const made = await env.exec(
      [
        'gpg',
        '--batch',
        '--pinentry-mode',
        'loopback',
        '--passphrase',
        '',
        '--quick-gen-key',
        `podproof ${who} <${who}@podproof.invalid>`,
        // ed25519 takes ~0.03 s where gpg 2.2's default rsa3072 took ~1.3 s of CPU per key; a
        // signing key is all podman's --sign-by needs (gpg >= 2.1, as every supported distro has)
        'ed25519',
        'sign',
        'never',
      ],
      { purpose: `make the ${who} key`, timeoutMs: 120_000, env: gpgEnv },
    );
    if (!succeeded(made)) throw new Error(`gpg could not make a key: ${describeEvidence(made)}`);
    const list = await env.exec(
      ['gpg', '--batch', '--with-colons', '--list-secret-keys', `${who}@podproof.invalid`],
      { purpose: `the ${who} key's fingerprint`, timeoutMs: 30_000, env: gpgEnv },
    );
    const fpr = fingerprints(list.stdout)[0];
    if (!fpr) throw new Error(`no fingerprint for the ${who} key: ${describeEvidence(list)}`);
    found[who] = fpr;
  }
  return {
    env: gpgEnv,
    fingerprints: found,
    async exportPublic(name) {
      const path = join(gnupg, `${name}.pub.asc`);
      const exported = await env.exec(
        ['gpg', '--batch', '--armor', '--output', path, '--export', found[name] ?? name],
        { purpose: `export the ${name} key's public part`, timeoutMs: 30_000, env: gpgEnv },
      );
      if (!succeeded(exported))
        throw new Error(`gpg could not export the key: ${describeEvidence(exported)}`);
      return path;
    },
    stop,
  };
}

/**
 * registries.d for a local registry (pure): signatures are written to and read from a lookaside
 * directory. `sigstore` is the key every c/image version reads (newer ones also say `lookaside`).
 */
export function lookasideConfig(registry: string, dir: string): string {
  return `docker:\n  ${registry}:\n    sigstore: file://${dir}\n    sigstore-staging: file://${dir}\n`;
}

/**
 * A HOME of the harness's own whose registries.d names a file lookaside for `registry`: podman
 * started with it (c/image reads $HOME/.config/containers/registries.d first) writes signatures
 * there on push and reads them on pull; the user's own config is never touched. XDG_CONFIG_HOME
 * stays the identity's own, so storage.conf and containers.conf are read as in every other call
 * of the store: a driver that differs from the one the store was made with is refused by podman
 * 5.8 ("database graph driver ... does not match").
 */
export function lookasideHome(
  env: ApparatusEnv,
  registry: string,
): { HOME: string; XDG_CONFIG_HOME: string } {
  const home = identityDir(env, 'home', 0o755);
  const lookaside = identityDir(env, 'lookaside', 0o755);
  const registriesD = join(home, '.config', 'containers', 'registries.d');
  mkdirSync(registriesD, { recursive: true });
  writeFileSync(join(registriesD, 'podproof.yaml'), lookasideConfig(registry, lookaside), { mode: 0o644 });
  if (process.getuid?.() === 0)
    for (const d of [join(home, '.config'), join(home, '.config', 'containers'), registriesD])
      chownSync(d, env.identity.uid, env.identity.gid);
  return { HOME: home, XDG_CONFIG_HOME: identityConfigHome(env.identity) };
}

/** Where the identity's podman reads its user config (containers.conf, storage.conf). */
function identityConfigHome(identity: { via?: string; home: string }): string {
  const own = identity.via === 'self' ? process.env.XDG_CONFIG_HOME : undefined;
  return own || join(identity.home, '.config');
}
