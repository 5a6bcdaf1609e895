import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { BUSYBOX } from '../fixtures/images.js';
import { capName, parseCapabilities } from '../probe/caps.js';
import { probe } from '../probe/probe.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import type { Claim, ClaimContext } from './types.js';
import { allOf, decide, type Observation, type Side, sideOf } from './verdict.js';

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
    observed: `${label}: ${observed.length} effective (${list(observed)})${holds ? '' : `; ${diff}`}`,
  };
}

const effective = (s: ProbeSnapshot) => s.capabilities?.effective;

/**
 * The capability set of root outside the container's restriction: host root for rootful, root
 * of the rootless user namespace (`podman unshare`) for rootless.
 */
async function unrestrictedRootCaps(ctx: ClaimContext): Promise<Side & { caps?: string[] }> {
  const e =
    ctx.identity.name === 'rootful'
      ? await ctx.exec(['cat', '/proc/self/status'], { purpose: 'control: host root' })
      : await ctx.podman.cmd(['unshare', 'cat', '/proc/self/status'], { purpose: 'control: podman unshare' });
  if (!succeeded(e)) return { ok: false, error: describeEvidence(e) };
  const caps = parseCapabilities(e.stdout)?.effective;
  if (!caps) return { ok: false, error: 'no Cap* lines in /proc/self/status' };
  return { ok: true, value: { holds: true, observed: `${caps.length} effective` }, caps };
}

/** The control shows the contrast when unrestricted root has capabilities the container lacks. */
function contrast(control: Side & { caps?: string[] }, containerCaps: readonly string[]): Side {
  if (!control.ok || !control.caps) return control;
  const more = control.caps.filter((c) => !containerCaps.includes(c));
  return {
    ok: true,
    value: {
      holds: more.length > 0,
      observed: `unrestricted root has ${control.caps.length} effective, ${more.length} more than the container`,
    },
  };
}

export const defaultSet: Claim = {
  id: 'caps.default-set',
  title:
    "a container's root has the 11 default capabilities, not root's full set; a non-root --user has none",
  source: 'CapEff 00000000800405fb in a default container vs. the host root',
  identities: ['rootful', 'rootless'],
  async run(ctx) {
    const image = await ctx.image(BUSYBOX);
    const [root, user, control] = await Promise.all([
      probe(ctx.podman, image, { purpose: 'treatment' }),
      probe(ctx.podman, image, { flags: ['--user=1000:1000'], purpose: 'treatment: --user=1000' }),
      unrestrictedRootCaps(ctx),
    ]);
    const configured = ctx.host.identities[ctx.identity.name].podman?.defaultCapabilities?.map(capName);
    const treatment = allOf([
      sideOf(root, (s) => checkCapSet('container root', effective(s), DEFAULT_CAPABILITIES)),
      sideOf(user, (s) => checkCapSet('--user=1000', effective(s), [])),
    ]);
    const outcome = decide(treatment, contrast(control, DEFAULT_CAPABILITIES));
    if (configured) outcome.reason += ` (podman info default: ${configured.length})`;
    return outcome;
  },
};

/** The variants of `caps.drop-add`: flags, and the expected set from the observed default set. */
export const CAP_VARIANTS: { flags: string[]; expect: (defaults: string[]) => string[] }[] = [
  { flags: ['--cap-drop=CAP_NET_BIND_SERVICE'], expect: (d) => d.filter((c) => c !== 'net_bind_service') },
  { flags: ['--cap-drop=all'], expect: () => [] },
  { flags: ['--cap-add=CAP_NET_RAW'], expect: (d) => [...new Set([...d, 'net_raw'])] },
  { flags: ['--cap-drop=all', '--cap-add=CAP_NET_RAW'], expect: () => ['net_raw'] },
];

export const dropAdd: Claim = {
  id: 'caps.drop-add',
  title: '--cap-drop and --cap-add change exactly the capabilities they name',
  source:
    '--cap-drop CAP_NET_BIND_SERVICE -> 10; --cap-drop all -> none; --cap-add CAP_NET_RAW -> 12; both -> net_raw',
  identities: ['rootful', 'rootless'],
  async run(ctx) {
    const image = await ctx.image(BUSYBOX);
    const [control, ...variants] = await Promise.all([
      probe(ctx.podman, image, { purpose: 'control: default' }),
      ...CAP_VARIANTS.map((v) =>
        probe(ctx.podman, image, { flags: v.flags, purpose: `treatment: ${v.flags.join(' ')}` }),
      ),
    ]);
    if (!control.ok) return { verdict: 'inconclusive', reason: `control could not run: ${control.error}` };
    const defaults = effective(control.snapshot) ?? [];
    const treatment = allOf(
      CAP_VARIANTS.map((v, i) =>
        sideOf(variants[i] ?? control, (s) =>
          checkCapSet(v.flags.join(' '), effective(s), v.expect(defaults)),
        ),
      ),
    );
    // the contrast: every variant's expected set differs from the default set
    const same = CAP_VARIANTS.filter((v) => sorted(v.expect(defaults)).join() === sorted(defaults).join());
    return decide(treatment, {
      ok: true,
      value: {
        holds: same.length === 0,
        observed: `default ${defaults.length} effective${same.length ? `; no difference for ${same.map((v) => v.flags.join(' ')).join(', ')}` : ''}`,
      },
    });
  },
};

export const capsClaims: Claim[] = [defaultSet, dropAdd];
