import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BUSYBOX } from '../apparatus/images.js';
import { type Claim, OutputNotExplained, SkipClaim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { attemptOf, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { type ProbeSetup, probeArm } from './probe-arm.js';

/** Where the host file is bind-mounted in the container. */
export const FILE_AT = '/podproof/host-file';

/** Who the container thinks it is, who it thinks owns the file, and the read itself. */
export const HOST_FILE_ATTEMPTS: Attempt[] = [
  { name: 'uid', argv: ['id', '-u'] },
  { name: 'owner', argv: ['stat', '-c', '%u', FILE_AT] },
  { name: 'read', argv: ['cat', FILE_AT] },
];

function view(s: ProbeSnapshot, token: string) {
  const uid = attemptOf(s, 'uid');
  const owner = attemptOf(s, 'owner');
  const read = attemptOf(s, 'read');
  if (uid.exitCode !== 0 || owner.exitCode !== 0)
    throw new OutputNotExplained(`id or stat did not run: ${lastLineOf(uid)} ${lastLineOf(owner)}`.trim());
  const root = s.uidMap.find((r) => r.inside === 0);
  return {
    uid: uid.text.trim(),
    owner: owner.text.trim(),
    hostUid: root?.outside,
    read: read.exitCode === 0 && read.text.includes(token),
    denied: read.exitCode !== 0 && /Permission denied/.test(read.text),
    line:
      read.exitCode === 0
        ? read.text.includes(token)
          ? 'read the token'
          : 'read something else'
        : lastLineOf(read),
  };
}

const describe = (v: ReturnType<typeof view>) =>
  `id -u ${v.uid} (host uid ${v.hostUid ?? '?'}); the file's owner seen inside: ${v.owner}; cat: ${v.line}`;

/**
 * Treatment check (pure): the container's root (uid 0 inside, an unprivileged uid outside) sees
 * the root-only host file owned by someone else and cannot read it: EACCES, never the token.
 */
export function checkCannotRead(s: ProbeSnapshot, token: string): Observation {
  const v = view(s, token);
  return {
    holds: v.uid === '0' && v.hostUid !== undefined && v.hostUid !== 0 && v.owner !== '0' && v.denied,
    observed: describe(v),
  };
}

/** Control check (pure): the same container root reads a 0600 file owned by the uid it maps to. */
export function checkReadsOwn(s: ProbeSnapshot, token: string): Observation {
  const v = view(s, token);
  return { holds: v.uid === '0' && v.owner === '0' && v.read, observed: describe(v) };
}

interface HostFilesSetup extends ProbeSetup {
  token: string;
  /** 0600, owned by root: what rootless container root must not read. */
  rootOnly: string;
  /** The same content, 0600, owned by the rootless user (container root's uid on the host). */
  own: string;
}

const bind = (file: string) => [`--volume=${file}:${FILE_AT}:ro`, '--security-opt=label=disable'];

export const rootlessHostFiles: Claim<HostFilesSetup> = {
  id: 'rootless.host-files',
  title:
    "a rootless container's root, though `id -u` says 0, cannot read a root-only host file mounted into it",
  source:
    'rootless podman maps container root to the user (user_namespaces(7)); a root-owned 0600 file is unmapped, shown as the overflow uid, and unreadable',
  identities: ['rootless'],
  needs: (_host, _identity, { root }) =>
    root
      ? undefined
      : 'needs root (podproof run as root, or `sudo -n` for this user): only root can make the root-owned file the container must not read',
  async setup(ctx) {
    const root = ctx.root;
    if (!root) throw new SkipClaim('needs root to make the root-owned file');
    const image = await ctx.image(BUSYBOX);
    // a normal user's dir, with a file root writes through sudo in it: removed as root then
    const dir = ctx.session.tempDir('host-files', { writer: root });
    const token = `podproof-secret-${randomBytes(6).toString('hex')}`;
    // a file the harness makes: never a real host secret
    const rootOnly = join(dir, 'root-only');
    await ctx.writeFileAs(root, rootOnly, `${token}\n`, 0o600);
    const own = join(dir, 'own');
    await ctx.writeFileAs(ctx.identity, own, `${token}\n`, 0o600);
    return { image, token, rootOnly, own };
  },
  concurrentArms: true,
  treatment: probeArm({
    purpose: 'treatment: a root-only host file',
    flags: ({ rootOnly }) => bind(rootOnly),
    attempts: HOST_FILE_ATTEMPTS,
    check: (s, { token }) => checkCannotRead(s, token),
  }),
  // rootless is the setting under test and cannot be switched off within the identity: the
  // control changes the file's owner to the uid container root maps to, showing the read works
  // and that ownership through the mapping decides it
  control: probeArm({
    purpose: 'control: the same file owned by the user',
    flags: ({ own }) => bind(own),
    attempts: HOST_FILE_ATTEMPTS,
    check: (s, { token }) => checkReadsOwn(s, token),
  }),
};

export const rootlessClaims: Claim[] = [rootlessHostFiles];
