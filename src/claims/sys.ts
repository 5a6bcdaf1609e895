import { BUSYBOX } from '../apparatus/images.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { describeMount, isReadOnly, type Mount, mountAt } from '../parse/mounts.js';
import { attemptOf, brokeItself, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

/**
 * Create a file at the top of /sys: a read-only mount refuses it with EROFS before sysfs is
 * asked; a read-write sysfs refuses it for its own reasons (no file is ever made, nothing on the
 * host changes). Cgroup files are not written: in a privileged control that would move processes.
 */
export const SYS_WRITE: Attempt = {
  name: 'sys-write',
  argv: ['sh', '-c', 'echo podproof > /sys/podproof-write'],
};

/** The cgroup filesystems mounted at or under /sys/fs/cgroup (v1 controllers, or the one cgroup2). */
export const cgroupMounts = (mounts: readonly Mount[]): Mount[] =>
  mounts.filter(
    (m) =>
      (m.fsType === 'cgroup' || m.fsType === 'cgroup2') &&
      (m.mountPoint === '/sys/fs/cgroup' || m.mountPoint.startsWith('/sys/fs/cgroup/')),
  );

function sysWrite(s: ProbeSnapshot) {
  const a = attemptOf(s, SYS_WRITE.name);
  if (brokeItself(a))
    throw new OutputNotExplained(`the write to /sys did not run: exit ${a.exitCode}: ${lastLineOf(a)}`);
  return {
    erofs: a.exitCode !== 0 && /Read-only file system/.test(a.text),
    line: a.exitCode === 0 ? 'written' : lastLineOf(a),
  };
}

function view(s: ProbeSnapshot) {
  const sys = mountAt(s.mounts, '/sys');
  const cgroups = cgroupMounts(s.mounts);
  const writable = cgroups.filter((m) => !isReadOnly(m)).map((m) => m.mountPoint);
  return { sys, cgroups, writable, write: sysWrite(s) };
}

const describeCgroups = (cgroups: Mount[], writable: string[]) =>
  cgroups.length
    ? `${cgroups.length} cgroup mount(s), ${writable.length ? `read-write: ${writable.join(', ')}` : 'all ro'}`
    : 'no cgroup mount under /sys/fs/cgroup';

/** Treatment check (pure): /sys and every cgroup mount are read-only, and a write to /sys fails with EROFS. */
export function checkSysReadOnly(s: ProbeSnapshot): Observation {
  const v = view(s);
  return {
    holds:
      v.sys !== undefined &&
      isReadOnly(v.sys) &&
      v.cgroups.length > 0 &&
      v.writable.length === 0 &&
      v.write.erofs,
    observed: `${describeMount(v.sys, '/sys')}; ${describeCgroups(v.cgroups, v.writable)}; write to /sys: ${v.write.line}`,
  };
}

/** Control check (pure): privileged, /sys and the cgroup mounts are read-write and the write is not refused with EROFS. */
export function checkSysWritable(s: ProbeSnapshot): Observation {
  const v = view(s);
  return {
    holds: v.sys !== undefined && !isReadOnly(v.sys) && v.writable.length > 0 && !v.write.erofs,
    observed: `--privileged: ${describeMount(v.sys, '/sys')}; ${describeCgroups(v.cgroups, v.writable)}; write to /sys: ${v.write.line}`,
  };
}

export const sysReadOnly: Claim<ProbeSetup> = {
  id: 'sys.read-only',
  title: 'a container gets /sys and its cgroup filesystems read-only: writes fail with EROFS',
  source:
    'podman test/e2e/run_privileged_test.go "podman privileged make sure sys is mounted rw" (so, by default, ro); test/system/030-run.bats checks the last /sys/fs/cgroup mount is read-only',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: imageOf(BUSYBOX),
  treatment: probeArm({ purpose: 'treatment: default', attempts: [SYS_WRITE], check: checkSysReadOnly }),
  // --privileged is the documented opposite that mounts /sys read-write (unmask=ALL only lifts the
  // masks); it changes more than /sys, so the treatment reads the mount flags themselves
  control: probeArm({
    purpose: 'control: --privileged',
    flags: ['--privileged'],
    attempts: [SYS_WRITE],
    check: checkSysWritable,
  }),
};

export const sysClaims: Claim[] = [sysReadOnly];
