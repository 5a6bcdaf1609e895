import { BUSYBOX } from '../apparatus/images.js';
import type { Claim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

export function describeInterfaces(s: ProbeSnapshot): string {
  return (
    s.interfaces.map((i) => `${i.name} ${i.addresses.join(' ') || '(no address)'}`.trim()).join(', ') ||
    'no interfaces'
  );
}

/**
 * Treatment check for `network.loopback-only` (pure): exactly one interface, the loopback
 * device, with 127.0.0.1/8 and (where the kernel has IPv6) ::1/128 and nothing else.
 */
export function checkLoopbackOnly(s: ProbeSnapshot): Observation {
  const expected = s.ipv6 ? ['127.0.0.1/8', '::1/128'] : ['127.0.0.1/8'];
  const only = s.interfaces.length === 1 ? s.interfaces[0] : undefined;
  const addrs = only ? [...only.addresses].sort() : [];
  const holds =
    only?.loopback === true && addrs.length === expected.length && expected.every((a) => addrs.includes(a));
  return { holds, observed: `interfaces: ${describeInterfaces(s)}` };
}

/** Control check: the default network adds at least one interface besides loopback (pure). */
export function checkHasOtherInterface(s: ProbeSnapshot): Observation {
  const others = s.interfaces.filter((i) => !i.loopback);
  return { holds: others.length > 0, observed: `interfaces: ${describeInterfaces(s)}` };
}

export const loopbackOnly: Claim<ProbeSetup> = {
  id: 'network.loopback-only',
  title: 'a --network=none container has only the loopback interface',
  source: 'podman run --network=none: `ip -brief addr` shows only `lo 127.0.0.1/8 ::1/128`',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: imageOf(BUSYBOX),
  treatment: probeArm({
    purpose: 'treatment: --network=none',
    flags: ['--network=none'],
    check: checkLoopbackOnly,
  }),
  control: probeArm({ purpose: 'control: default network', check: checkHasOtherInterface }),
};

export const networkClaims: Claim[] = [loopbackOnly];
