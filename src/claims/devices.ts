import { BUSYBOX } from '../apparatus/images.js';
import type { Claim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

/**
 * What a non-privileged container's /dev holds: the OCI runtime spec's default devices (null,
 * zero, full, random, urandom, tty, console, ptmx), the standard links (fd, stdin, stdout,
 * stderr, core) and the pts, shm and mqueue mounts. A spec, not one podman version's default.
 */
export const DEFAULT_DEV = [
  'console',
  'core',
  'fd',
  'full',
  'mqueue',
  'null',
  'ptmx',
  'pts',
  'random',
  'shm',
  'stderr',
  'stdin',
  'stdout',
  'tty',
  'urandom',
  'zero',
] as const;

/** Names under /dev beyond the defaults: `pts/N`, `shm/*` and `mqueue/*` count as their parent. */
export function extraDevices(devices: readonly string[]): string[] {
  const top = (d: string) => d.split('/')[0] ?? d;
  return devices.filter((d) => {
    const parent = top(d);
    if (['pts', 'shm', 'mqueue', 'fd'].includes(parent)) return false;
    return !(DEFAULT_DEV as readonly string[]).includes(d);
  });
}

const show = (names: string[]) =>
  names.length > 10 ? `${names.slice(0, 10).join(', ')}, ...` : names.join(', ');

/** Treatment check (pure): /dev holds the default devices and nothing of the host's. */
export function checkDefaultDevicesOnly(s: ProbeSnapshot): Observation {
  const extra = extraDevices(s.devices);
  const top = s.devices.filter((d) => !d.includes('/'));
  return {
    holds: s.devices.includes('null') && extra.length === 0,
    observed: `/dev has ${top.length} entries (${show(top)})${extra.length ? `; beyond the defaults: ${show(extra)}` : ''}`,
  };
}

/** Control check (pure): a privileged container sees host devices beyond the defaults. */
export function checkHostDevices(s: ProbeSnapshot): Observation {
  const extra = extraDevices(s.devices);
  return {
    holds: extra.length > 0,
    observed: `--privileged: ${extra.length} device name(s) beyond the defaults${extra.length ? ` (${show(extra)})` : ''}`,
  };
}

export const devicesMinimal: Claim<ProbeSetup> = {
  id: 'devices.minimal',
  title: "a container's /dev holds only the default devices; the host's stay out",
  source:
    'podman test/e2e/run_privileged_test.go: "non-privileged should have very few devices" (17 lines of ls -l /dev), "privileged should inherit host devices" (> 20); OCI runtime spec, default devices',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: imageOf(BUSYBOX),
  treatment: probeArm({ purpose: 'treatment: default', check: checkDefaultDevicesOnly }),
  // --privileged is the documented opposite (it adds more than devices, so the treatment also
  // reads the mechanism itself: the names under /dev)
  control: probeArm({ purpose: 'control: --privileged', flags: ['--privileged'], check: checkHostDevices }),
};

export const devicesClaims: Claim[] = [devicesMinimal];
