import { BUSYBOX } from '../apparatus/images.js';
import type { Claim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { describeMount, mountAt } from '../parse/mounts.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

/** Treatment check (pure): no /dev/shm at all, neither a mount nor a directory: no shared memory to use. */
export function checkNoShm(s: ProbeSnapshot): Observation {
  const shm = mountAt(s.mounts, '/dev/shm');
  const listed = s.devices.includes('shm');
  return {
    holds: shm === undefined && !listed,
    observed: `${describeMount(shm, '/dev/shm')}; /dev/shm ${listed ? 'exists' : 'does not exist'}`,
  };
}

/** Control check (pure): the default IPC namespace comes with a tmpfs at /dev/shm. */
export function checkShmMounted(s: ProbeSnapshot): Observation {
  const shm = mountAt(s.mounts, '/dev/shm');
  return { holds: shm?.fsType === 'tmpfs', observed: describeMount(shm, '/dev/shm') };
}

export const ipcNone: Claim<ProbeSetup> = {
  id: 'ipc.none',
  title: '--ipc=none gives a container no /dev/shm',
  source:
    'podman test/system/190-run-ipcns.bats "podman --ipc=none": `ls /dev/shm` fails with No such file or directory; the default IPC mode mounts a tmpfs there',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: imageOf(BUSYBOX),
  treatment: probeArm({ purpose: 'treatment: --ipc=none', flags: ['--ipc=none'], check: checkNoShm }),
  control: probeArm({ purpose: 'control: default --ipc', check: checkShmMounted }),
};

export const ipcClaims: Claim[] = [ipcNone];
