import { BUSYBOX } from '../apparatus/images.js';
import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { type Claim, type ClaimContext, SkipClaim, unexplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { readSubidRanges } from '../host/files.js';
import { autoUsernsMinSize } from '../host/storage-conf.js';
import type { SubidRange } from '../parse/host.js';
import { type IdMapRange, parseIdMap } from '../probe/snapshot.js';
import { type ProbeSetup, probeArm, snapshotOf } from './probe-arm.js';

/** `0 0 4294967295`: the initial user namespace (no remapping). */
export const IDENTITY_MAP: IdMapRange[] = [{ inside: 0, outside: 0, count: 4294967295 }];

export function formatIdMap(map: IdMapRange[]): string {
  return map.length ? map.map((r) => `${r.inside} ${r.outside} ${r.count}`).join(' / ') : '(empty)';
}

const sameMap = (a: IdMapRange[], b: IdMapRange[]) => formatIdMap(a) === formatIdMap(b);

/** The rootless map podman builds: the user's own id as 0, then each subordinate range in order (pure). */
export function expectedRootlessMap(ownId: number, ranges: SubidRange[]): IdMapRange[] {
  const map: IdMapRange[] = [{ inside: 0, outside: ownId, count: 1 }];
  let next = 1;
  for (const r of ranges) {
    map.push({ inside: next, outside: r.start, count: r.count });
    next += r.count;
  }
  return map;
}

/** Does a map equal the expected one (pure)? */
export function checkIdMap(label: string, observed: IdMapRange[], expected: IdMapRange[]): Observation {
  const holds = sameMap(observed, expected);
  return {
    holds,
    observed: `${label} ${formatIdMap(observed)}${holds ? '' : ` (expected ${formatIdMap(expected)})`}`,
  };
}

/** The maps a rootless container should have: its user as 0, then the subordinate ranges. */
function rootlessExpectation(ctx: ClaimContext) {
  const { identity } = ctx;
  return {
    uid: expectedRootlessMap(identity.uid, readSubidRanges('/etc/subuid', identity.user, identity.uid)),
    gid: expectedRootlessMap(identity.gid, readSubidRanges('/etc/subgid', identity.user, identity.uid)),
  };
}

/** Check both maps against the expected ones (pure). */
export function checkMaps(
  s: { uidMap: IdMapRange[]; gidMap: IdMapRange[] },
  expected: { uid: IdMapRange[]; gid: IdMapRange[] },
): Observation {
  const uid = checkIdMap('uid_map', s.uidMap, expected.uid);
  const gid = checkIdMap('gid_map', s.gidMap, expected.gid);
  return { holds: uid.holds && gid.holds, observed: `${uid.observed}; ${gid.observed}` };
}

/** Control check (pure): a container given another mapping does not have the treatment's maps. */
export function checkOtherMap(
  label: string,
  s: { uidMap: IdMapRange[]; gidMap: IdMapRange[] },
  treatmentMaps: { uid: IdMapRange[]; gid: IdMapRange[] },
): Observation {
  const same = checkMaps(s, treatmentMaps).holds;
  return { holds: !same, observed: `${label}: uid_map ${formatIdMap(s.uidMap)}` };
}

/** The rootful control's mapping: the documented opposite of "no remapping". */
const SHIFTED = {
  flags: ['--uidmap=0:200000:65536', '--gidmap=0:200000:65536'],
  label: '--uidmap 0:200000:65536',
};

interface MapSetup extends ProbeSetup {
  /** The maps a default container of this identity must have. */
  expected: { uid: IdMapRange[]; gid: IdMapRange[] };
  /** The control's other mapping: rootless --userns=keep-id, rootful an explicit --uidmap. */
  other: { flags: string[]; label: string };
}

export const rootlessMap: Claim<MapSetup> = {
  id: 'userns.rootless-map',
  title:
    'rootless: container root is the user and the other ids come from /etc/subuid; rootful: no remapping',
  source: 'uid_map `0 UID 1` + `1 SUBUID_START SUBUID_COUNT` rootless; `0 0 4294967295` rootful',
  identities: ['rootful', 'rootless'],
  exclusive: true,
  async setup(ctx) {
    const rootless = ctx.identity.name === 'rootless';
    return {
      image: await ctx.image(BUSYBOX),
      expected: rootless ? rootlessExpectation(ctx) : { uid: IDENTITY_MAP, gid: IDENTITY_MAP },
      other: rootless ? { flags: ['--userns=keep-id'], label: '--userns=keep-id' } : SHIFTED,
    };
  },
  treatment: probeArm({ purpose: 'treatment', check: (s, { expected }) => checkMaps(s, expected) }),
  // rootless: --userns=keep-id (the user keeps its own id instead of becoming root); rootful: an
  // explicit --uidmap. Run after the treatment: a new id mapping created beside another container
  // can deadlock podman 4.3
  control: probeArm({
    purpose: ({ other }) => `control: ${other.label}`,
    setting: 'control: --userns=keep-id (rootless) or --uidmap=0:200000:65536 (rootful)',
    flags: ({ other }) => other.flags,
    check: (s, { other, expected }) => checkOtherMap(`with ${other.label}`, s, expected),
  }),
};

/** Total ids a map covers. */
export const mapSize = (map: IdMapRange[]) => map.reduce((n, r) => n + r.count, 0);

/** Do two maps use disjoint outside ranges (pure)? */
export function disjoint(a: IdMapRange[], b: IdMapRange[]): boolean {
  return a.every((x) => b.every((y) => x.outside + x.count <= y.outside || y.outside + y.count <= x.outside));
}

/** The observations of `userns.auto-ranges`, judged (pure). */
export function checkAutoRanges(
  maps: { a: IdMapRange[]; b: IdMapRange[]; wide: IdMapRange[]; reused: IdMapRange[] },
  minSize: number,
): Observation {
  const problems: string[] = [];
  if (mapSize(maps.a) !== minSize || mapSize(maps.b) !== minSize)
    problems.push(`sizes ${mapSize(maps.a)}, ${mapSize(maps.b)} (expected ${minSize})`);
  if (!disjoint(maps.a, maps.b)) problems.push('the two containers overlap');
  const wideSize = Math.max(minSize, 2001);
  if (mapSize(maps.wide) !== wideSize)
    problems.push(`--user=2000 got ${mapSize(maps.wide)} ids (expected ${wideSize})`);
  if (!disjoint(maps.wide, maps.a) || !disjoint(maps.wide, maps.b))
    problems.push('--user=2000 overlaps a running container');
  if (!sameMap(maps.reused, maps.a))
    problems.push(
      `after rm, a new container got ${formatIdMap(maps.reused)}, not the freed ${formatIdMap(maps.a)}`,
    );
  return {
    holds: problems.length === 0,
    observed: problems.length
      ? problems.join('; ')
      : `--userns=auto: ${formatIdMap(maps.a)} and ${formatIdMap(maps.b)}; --user=2000: ${formatIdMap(maps.wide)}; reused after rm: ${formatIdMap(maps.reused)}`,
  };
}

/**
 * Why rootful podman found no "containers" ranges that /etc/subuid has (`needs` saw them), from
 * its stderr (pure): a podman built with shadow's libsubid (Debian sid's 5.8) asks it, and
 * libsubid answers only for a user that exists (`getsubids containers`: "Error fetching ranges").
 */
export function unseenContainersRanges(stderr: string): string | undefined {
  // logrus quotes its msg: the name's quotes come escaped
  if (!/Cannot find mappings for user \\?"containers\\?"/i.test(stderr)) return undefined;
  return 'rootful --userns=auto: podman found no ranges for "containers" although /etc/subuid has them: it reads them through shadow\'s libsubid, which answers only for an existing user; create a system user named containers (scripts/prepare-host does)';
}

/**
 * Start a detached `--userns=auto` container and read its uid_map from the host, in
 * /proc/PID/uid_map of the process its `--pidfile` names (two plain reads, not a `podman exec`);
 * removed with the claim.
 */
async function autoContainer(
  ctx: ClaimContext,
  { image, pids }: AutoSetup,
  flags: string[],
  purpose: string,
) {
  const pidfile = `${pids}/${purpose.replace(/[^\w-]+/g, '-')}.pid`;
  const started = await ctx.podman.start({
    image,
    command: ['sleep', '600'],
    flags: ['--userns=auto', `--pidfile=${pidfile}`, ...flags],
    purpose,
  });
  if (!succeeded(started)) {
    const unseen = unseenContainersRanges(started.stderr);
    if (unseen) throw new SkipClaim(unseen);
    throw new Error(describeEvidence(started));
  }
  const id = started.stdout.trim();
  const container = { id, removed: false, map: [] as IdMapRange[] };
  ctx.defer(`remove ${purpose}`, () => removeAuto(ctx, [container], 'cleanup'));
  const pid = await ctx.exec(['cat', pidfile], { purpose: `${purpose}: its pid`, timeoutMs: 10_000 });
  if (!succeeded(pid) || !/^\d+$/.test(pid.stdout.trim())) throw new Error(describeEvidence(pid));
  const read = await ctx.exec(['cat', `/proc/${pid.stdout.trim()}/uid_map`], {
    purpose: `${purpose}: uid_map`,
    timeoutMs: 10_000,
  });
  if (!succeeded(read)) throw new Error(describeEvidence(read));
  container.map = parseIdMap(read.stdout);
  return container;
}

/** Remove the {@link autoContainer}s not yet removed, in one call. */
async function removeAuto(
  ctx: ClaimContext,
  containers: { id: string; removed: boolean }[],
  purpose: string,
) {
  const left = containers.filter((c) => !c.removed);
  for (const c of left) c.removed = true;
  if (left.length)
    await ctx.podman.remove(
      left.map((c) => c.id),
      purpose,
    );
}

interface AutoSetup {
  image: string;
  minSize: number;
  from: string;
  /** Where the containers' --pidfile goes: a temp dir of the identity's. */
  pids: string;
}

export const autoRanges: Claim<AutoSetup, IdMapRange[][]> = {
  id: 'userns.auto-ranges',
  title: '--userns=auto gives each container its own range of ids, and frees it on rm',
  source: '`0 1 1024`, next `0 1025 1024`; --user=2000 -> 2001; ranges come back after podman rm',
  identities: ['rootful', 'rootless'],
  exclusive: true,
  needs(_host, identity) {
    if (identity.name !== 'rootful') return undefined;
    const uid = readSubidRanges('/etc/subuid', 'containers', -1);
    const gid = readSubidRanges('/etc/subgid', 'containers', -1);
    if (!uid.length || !gid.length) {
      return 'rootful --userns=auto needs a "containers" entry in /etc/subuid and /etc/subgid (podman: cannot find mappings for user "containers"); scripts/prepare-host adds one';
    }
    return undefined;
  },
  async setup(ctx) {
    const { size, from } = autoUsernsMinSize(ctx.identity);
    const pids = ctx.session.tempDir('auto-pids', { owner: ctx.identity });
    return { image: await ctx.image(BUSYBOX), minSize: size, from, pids };
  },
  // sequential: each allocation must see the ranges already taken
  treatment: {
    setting: '--userns=auto',
    async observe(ctx, setup) {
      const a = await autoContainer(ctx, setup, [], 'treatment: auto A');
      const b = await autoContainer(ctx, setup, [], 'treatment: auto B');
      const wide = await autoContainer(ctx, setup, ['--user=2000'], 'treatment: auto --user=2000');
      await removeAuto(ctx, [a], 'treatment: auto A: rm');
      const reused = await autoContainer(ctx, setup, [], 'treatment: auto after rm');
      // the rest in one call
      await removeAuto(ctx, [b, wide, reused], 'treatment: rm');
      return [a.map, b.map, wide.map, reused.map];
    },
    check: (maps, { minSize }) => {
      const [a, b, wide, reused] = maps;
      if (maps.length !== 4 || !a || !b || !wide || !reused)
        return unexplained(`${maps.length} uid_map(s) observed, 4 expected (A, B, --user=2000, after rm)`);
      return checkAutoRanges({ a, b, wide, reused }, minSize);
    },
  },
  // without --userns=auto, two containers share one map: two of the run's shared containers with
  // no user namespace option (the default one and --network=none's: a network option leaves the
  // id map as it is), each made by whichever claim asked first
  control: {
    setting: 'default user namespace',
    probes: [
      { flags: [], attempts: [] },
      { flags: ['--network=none'], attempts: [] },
    ],
    observe: async (ctx, { image }) =>
      (
        await Promise.all([
          ctx.probe({ image, flags: [], attempts: [], purpose: 'control: default' }),
          ctx.probe({ image, flags: ['--network=none'], attempts: [], purpose: 'control: --network=none' }),
        ])
      ).map((o) => snapshotOf(o).uidMap),
    check: (maps) => {
      const [a, b] = maps;
      if (maps.length !== 2 || !a || !b) return unexplained(`${maps.length} uid_map(s) observed, 2 expected`);
      return checkSameMap(a, b);
    },
  },
  note: (_ctx, { minSize, from }) => `auto-userns-min-size ${minSize} from ${from}`,
};

/** Control check of `userns.auto-ranges` (pure): two default containers share one map. */
export function checkSameMap(a: IdMapRange[], b: IdMapRange[]): Observation {
  return {
    holds: sameMap(a, b),
    observed: `two default containers: ${formatIdMap(a)} and ${formatIdMap(b)}`,
  };
}

export const usernsClaims: Claim[] = [rootlessMap, autoRanges];
