import { BUSYBOX } from '../apparatus/images.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { describeMount, isReadOnly, mountAt } from '../parse/mounts.js';
import { attemptOf, brokeItself, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

/** Where `--read-only` keeps a writable tmpfs (podman's `--read-only-tmpfs`, default true). */
export const WRITABLE_DIRS = ['/tmp', '/var/tmp', '/run'] as const;

const slug = (dir: string) => (dir === '/' ? 'root' : dir.slice(1).replace(/\//g, '-'));

/** One write per directory: `/` and each of {@link WRITABLE_DIRS}. */
export const WRITE_ATTEMPTS: Attempt[] = ['/', ...WRITABLE_DIRS].map((dir) => ({
  name: `write-${slug(dir)}`,
  argv: ['sh', '-c', `echo podproof > ${dir === '/' ? '' : dir}/podproof-write && echo wrote`],
}));

const wrote = (s: ProbeSnapshot, dir: string) => {
  const a = attemptOf(s, `write-${slug(dir)}`);
  if (brokeItself(a))
    throw new OutputNotExplained(`the write to ${dir} did not run: exit ${a.exitCode}: ${lastLineOf(a)}`);
  return { ok: a.exitCode === 0 && a.text.includes('wrote'), erofs: /Read-only file system/.test(a.text), a };
};

/**
 * Treatment check (pure): the root filesystem is mounted read-only and a write to it fails with
 * EROFS ("Read-only file system", not any failure), while /tmp, /var/tmp and /run stay writable.
 */
export function checkReadOnlyRoot(s: ProbeSnapshot): Observation {
  const root = mountAt(s.mounts, '/');
  const w = wrote(s, '/');
  const stuck = WRITABLE_DIRS.filter((d) => !wrote(s, d).ok);
  const holds = root !== undefined && isReadOnly(root) && !w.ok && w.erofs && stuck.length === 0;
  return {
    holds,
    observed: [
      describeMount(root, '/'),
      `write to /: ${w.ok ? 'written' : lastLineOf(w.a)}`,
      stuck.length ? `not writable: ${stuck.join(', ')}` : `${WRITABLE_DIRS.join(', ')} writable`,
    ].join('; '),
  };
}

/** Control check (pure): without --read-only the root filesystem is read-write and the write lands. */
export function checkWritableRoot(s: ProbeSnapshot): Observation {
  const root = mountAt(s.mounts, '/');
  const w = wrote(s, '/');
  return {
    holds: root !== undefined && !isReadOnly(root) && w.ok,
    observed: `${describeMount(root, '/')}; write to /: ${w.ok ? 'written' : lastLineOf(w.a)}`,
  };
}

export const rootfsReadOnly: Claim<ProbeSetup> = {
  id: 'rootfs.read-only',
  title: 'with --read-only the root filesystem cannot be written (EROFS), but /tmp, /var/tmp and /run can',
  source:
    'podman test/system/030-run.bats "podman run read-only from containers.conf": touch fails with "Read-only file system"; --read-only-tmpfs (default true) keeps /tmp, /var/tmp, /run writable',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: imageOf(BUSYBOX),
  treatment: probeArm({
    purpose: 'treatment: --read-only',
    flags: ['--read-only'],
    attempts: WRITE_ATTEMPTS,
    check: checkReadOnlyRoot,
  }),
  control: probeArm({
    purpose: 'control: without --read-only',
    attempts: WRITE_ATTEMPTS,
    check: checkWritableRoot,
  }),
};

export const rootfsClaims: Claim[] = [rootfsReadOnly];
