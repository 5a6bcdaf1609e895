import { BUSYBOX } from '../apparatus/images.js';
import type { Claim } from '../experiment/types.js';
import { type Observation, sideOf } from '../experiment/verdict.js';
import { describeMount, mountAt } from '../probe/mounts.js';
import { probe } from '../probe/probe.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';

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

export const ipcNone: Claim<string> = {
  id: 'ipc.none',
  title: '--ipc=none gives a container no /dev/shm',
  source:
    'podman test/system/190-run-ipcns.bats "podman --ipc=none": `ls /dev/shm` fails with No such file or directory; the default IPC mode mounts a tmpfs there',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: (ctx) => ctx.image(BUSYBOX),
  treatment: async (ctx, image) =>
    sideOf(
      await probe(ctx.podman, image, { flags: ['--ipc=none'], purpose: 'treatment: --ipc=none' }),
      checkNoShm,
    ),
  control: async (ctx, image) =>
    sideOf(await probe(ctx.podman, image, { purpose: 'control: default --ipc' }), checkShmMounted),
};

export const ipcClaims: Claim[] = [ipcNone];
