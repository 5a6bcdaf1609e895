import { BUSYBOX, PRIVS } from '../apparatus/images.js';
import type { Claim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { checkEach, imageOf, type ProbeSetup, probesArm, snapshotOf } from './probe-arm.js';

/** podman's default set since 4.0 (containers.conf `default_capabilities`). */
export const DEFAULT_CAPABILITIES = [
  'chown',
  'dac_override',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'net_bind_service',
  'sys_chroot',
  'setfcap',
] as const;

const sorted = (caps: readonly string[]) => [...caps].sort();
const list = (caps: readonly string[]) => (caps.length ? sorted(caps).join(',') : 'none');

/** Does `observed` equal `expected` as sets (pure)? The observation names what differs. */
export function checkCapSet(
  label: string,
  observed: string[] | undefined,
  expected: readonly string[],
  set = 'effective',
): Observation {
  if (!observed) return { holds: false, observed: `${label}: no Cap* lines in /proc/self/status` };
  const extra = observed.filter((c) => !expected.includes(c));
  const missing = expected.filter((c) => !observed.includes(c));
  const holds = extra.length === 0 && missing.length === 0;
  const diff = [extra.length ? `extra ${list(extra)}` : '', missing.length ? `missing ${list(missing)}` : '']
    .filter(Boolean)
    .join(', ');
  return {
    holds,
    observed: `${label}: ${observed.length} ${set} (${list(observed)})${holds ? '' : `; ${diff}`}`,
  };
}

const effective = (s: ProbeSnapshot) => s.capabilities?.effective;

/** Control check (pure): with the restriction lifted, `observed` has capabilities beyond `restricted`. */
export function checkMoreThan(
  label: string,
  observed: string[] | undefined,
  restricted: readonly string[],
): Observation {
  if (!observed) return { holds: false, observed: `${label}: no Cap* lines in /proc/self/status` };
  const more = observed.filter((c) => !restricted.includes(c));
  return {
    holds: more.length > 0,
    observed: `${label}: ${observed.length} effective, ${more.length} beyond the restricted set`,
  };
}

/** The two containers of `caps.default-set`: root, and a non-root user. */
const ROOT_AND_USER = [
  { label: 'container root', flags: [], expect: DEFAULT_CAPABILITIES },
  { label: '--user=1000', flags: ['--user=1000:1000'], expect: [] },
] as const;

export const defaultSet: Claim<ProbeSetup> = {
  id: 'caps.default-set',
  title:
    "a container's root has the 11 default capabilities, not root's full set; a non-root --user has none",
  source:
    'CapEff 00000000800405fb in a default container; --cap-add=all (the documented opposite) gives the full set',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  // the image of seccomp.default and nnp.no-new-privileges (busybox and two tools): their default
  // and --user=1000:1000 containers are these two, shared
  setup: imageOf(PRIVS),
  treatment: probesArm({
    purpose: 'treatment',
    variants: ROOT_AND_USER,
    check: (snapshots) =>
      checkEach(snapshots, ROOT_AND_USER, (c, s) => checkCapSet(c.label, effective(s), c.expect)),
  }),
  control: probesArm({
    purpose: 'control',
    variants: ROOT_AND_USER.map((c) => ({
      label: `${c.label} --cap-add=all`,
      flags: [...c.flags, '--cap-add=all'],
    })),
    check: (snapshots) =>
      checkEach(snapshots, ROOT_AND_USER, (c, s) =>
        checkMoreThan(`${c.label} --cap-add=all`, effective(s), c.expect),
      ),
  }),
  note(ctx) {
    const configured = ctx.host.identities[ctx.identity.name].podman?.defaultCapabilities;
    return configured ? `podman info default: ${configured.length}` : undefined;
  },
};

/** The variants of `caps.drop-add`: flags, and the expected set from the observed default set. */
export const CAP_VARIANTS: { flags: string[]; expect: (defaults: string[]) => string[] }[] = [
  { flags: ['--cap-drop=CAP_NET_BIND_SERVICE'], expect: (d) => d.filter((c) => c !== 'net_bind_service') },
  { flags: ['--cap-drop=all'], expect: () => [] },
  { flags: ['--cap-add=CAP_NET_RAW'], expect: (d) => [...new Set([...d, 'net_raw'])] },
  { flags: ['--cap-drop=all', '--cap-add=CAP_NET_RAW'], expect: () => ['net_raw'] },
];

/** Control check (pure): the default set differs from what every variant should give. */
export function checkVariantsDiffer(defaults: string[]): Observation {
  const same = CAP_VARIANTS.filter((v) => sorted(v.expect(defaults)).join() === sorted(defaults).join());
  return {
    holds: same.length === 0,
    observed: `default ${defaults.length} effective (${list(defaults)})${same.length ? `; no difference for ${same.map((v) => v.flags.join(' ')).join(', ')}` : ''}`,
  };
}

interface DropAddSetup extends ProbeSetup {
  /** The default container, without any --cap flag: the control, and the base of every expectation. */
  defaults: ProbeSnapshot;
}

export const dropAdd: Claim<DropAddSetup> = {
  id: 'caps.drop-add',
  title: '--cap-drop and --cap-add change exactly the capabilities they name',
  source:
    '--cap-drop CAP_NET_BIND_SERVICE -> 10; --cap-drop all -> none; --cap-add CAP_NET_RAW -> 12; both -> net_raw',
  identities: ['rootful', 'rootless'],
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    const defaults = await ctx.probe({ image, flags: [], attempts: [], purpose: 'control: default' });
    return { image, defaults: snapshotOf(defaults) };
  },
  treatment: probesArm({
    purpose: 'treatment',
    variants: CAP_VARIANTS.map((v) => ({ label: v.flags.join(' '), flags: v.flags })),
    check: (snapshots, { defaults }) =>
      checkEach(snapshots, CAP_VARIANTS, (v, s) =>
        checkCapSet(v.flags.join(' '), effective(s), v.expect(effective(defaults) ?? [])),
      ),
  }),
  // the default container (run once in setup, as the base of every expectation) is the control
  control: {
    setting: 'control: default',
    observe: async (_ctx, { defaults }) => [defaults],
    probes: [{ flags: [], attempts: [] }],
    check: (snapshots) =>
      checkEach(snapshots, ['default'], (_c, s) => checkVariantsDiffer(effective(s) ?? [])),
  },
};

export const capsClaims: Claim[] = [defaultSet, dropAdd];
