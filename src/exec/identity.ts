import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parsePasswd } from '../parse/passwd.js';

/** The two ways podman runs: as root, or as an unprivileged user with a user namespace. */
export type IdentityName = 'rootful' | 'rootless';
export const IDENTITY_NAMES: readonly IdentityName[] = ['rootful', 'rootless'];

/** A concrete OS identity that commands can run as. */
export interface Identity {
  name: IdentityName;
  user: string;
  uid: number;
  gid: number;
  home: string;
  /** XDG_RUNTIME_DIR for this identity (rootless podman keeps its runtime state there). */
  runtimeDir: string;
  /** How a command is started as this identity from the harness process. */
  via: 'self' | 'setpriv' | 'sudo';
}

/** An identity the harness can use, or the reason it cannot. */
export type IdentityResolution =
  | { ok: true; identity: Identity }
  | { ok: false; name: IdentityName; reason: string };

export interface ResolveOptions {
  /** Rootless user when the harness runs as root (default `PODPROOF_ROOTLESS_USER` or `podproof`). */
  rootlessUser?: string;
  /** Whether `sudo -n` works for the current user (checked by the caller; only used when not root). */
  sudoAllowed?: boolean;
  /** /etc/passwd text (tests pass captured text). */
  passwd?: string;
  /** The current process's uid and user (tests pass others). */
  self?: { uid: number; gid: number; user: string; home: string };
  env?: NodeJS.ProcessEnv;
}

export function defaultRootlessUser(env: NodeJS.ProcessEnv = process.env): string {
  return env.PODPROOF_ROOTLESS_USER || 'podproof';
}

/** Decide how to run each identity from here (pure given its inputs). */
export function resolveIdentity(name: IdentityName, opts: ResolveOptions = {}): IdentityResolution {
  const env = opts.env ?? process.env;
  const self = opts.self ?? currentUser();
  const passwd = parsePasswd(opts.passwd ?? readFileSync('/etc/passwd', 'utf8'));
  const isRoot = self.uid === 0;
  if (name === 'rootful') {
    if (isRoot) return { ok: true, identity: { name, ...self, runtimeDir: '/run', via: 'self' } };
    if (!opts.sudoAllowed) {
      return { ok: false, name, reason: `not root and \`sudo -n\` is not allowed for ${self.user}` };
    }
    const root = passwd.find((p) => p.uid === 0);
    return {
      ok: true,
      identity: {
        name,
        user: root?.user ?? 'root',
        uid: 0,
        gid: 0,
        home: root?.home ?? '/root',
        runtimeDir: '/run',
        via: 'sudo',
      },
    };
  }
  if (!isRoot) {
    const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${self.uid}`;
    return { ok: true, identity: { name, ...self, runtimeDir, via: 'self' } };
  }
  const user = opts.rootlessUser ?? defaultRootlessUser(env);
  const entry = passwd.find((p) => p.user === user);
  if (!entry) {
    return {
      ok: false,
      name,
      reason: `rootless user "${user}" does not exist (run scripts/prepare-host, or set PODPROOF_ROOTLESS_USER)`,
    };
  }
  if (entry.uid === 0) return { ok: false, name, reason: `rootless user "${user}" has uid 0` };
  return {
    ok: true,
    identity: {
      name,
      user: entry.user,
      uid: entry.uid,
      gid: entry.gid,
      home: entry.home,
      runtimeDir: `/run/user/${entry.uid}`,
      via: 'setpriv',
    },
  };
}

function currentUser() {
  const u = userInfo();
  return { uid: u.uid, gid: u.gid, user: u.username, home: u.homedir };
}

/** The argv, environment and cwd that start `argv` as `identity`. No shell is involved. */
export function launchAs(
  identity: Identity | undefined,
  argv: string[],
  extraEnv: Record<string, string> = {},
): { file: string; args: string[]; env: Record<string, string> | undefined; cwd: string | undefined } {
  const envPairs = Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`);
  if (!identity || identity.via === 'self') {
    const [file = '', ...args] = argv;
    return { file, args, env: extraEnv, cwd: undefined };
  }
  if (identity.via === 'sudo') {
    return { file: 'sudo', args: ['-n', 'env', ...envPairs, ...argv], env: undefined, cwd: undefined };
  }
  // Root starting a command as the rootless user: a clean login-like environment.
  const base = [
    `HOME=${identity.home}`,
    `USER=${identity.user}`,
    `LOGNAME=${identity.user}`,
    `PATH=${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    `XDG_RUNTIME_DIR=${identity.runtimeDir}`,
    `DBUS_SESSION_BUS_ADDRESS=unix:path=${identity.runtimeDir}/bus`,
  ];
  return {
    file: 'setpriv',
    args: [
      `--reuid=${identity.uid}`,
      `--regid=${identity.gid}`,
      '--init-groups',
      'env',
      '-i',
      ...base,
      ...envPairs,
      ...argv,
    ],
    env: undefined,
    cwd: identity.home,
  };
}
