import { readFileSync } from 'node:fs';
import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { BUSYBOX } from '../fixtures/images.js';
import { parseSubid, type SubidRange, subidRangesFor } from '../host/parse.js';
import { autoUsernsMinSize } from '../host/storage-conf.js';
import { probe } from '../probe/probe.js';
import { type IdMapRange, parseIdMap } from '../probe/snapshot.js';
import type { Claim, ClaimContext } from './types.js';
import { decide, type Observation, type Side, sideOf } from './verdict.js';

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

function readRanges(file: string, user: string, uid: number): SubidRange[] {
  try {
    return subidRangesFor(parseSubid(readFileSync(file, 'utf8')), user, uid);
  } catch {
    return [];
  }
}

export const rootlessMap: Claim = {
  id: 'userns.rootless-map',
  title:
    'rootless: container root is the user and the other ids come from /etc/subuid; rootful: no remapping',
  source: 'uid_map `0 UID 1` + `1 SUBUID_START SUBUID_COUNT` rootless; `0 0 4294967295` rootful',
  identities: ['rootful', 'rootless'],
  exclusive: true,
  async run(ctx) {
    const image = await ctx.image(BUSYBOX);
    const { identity } = ctx;
    if (identity.name === 'rootless') {
      const uidRanges = readRanges('/etc/subuid', identity.user, identity.uid);
      const gidRanges = readRanges('/etc/subgid', identity.user, identity.uid);
      const [treatment, control] = await Promise.all([
        probe(ctx.podman, image, { purpose: 'treatment' }),
        ctx.exec(['cat', '/proc/self/uid_map'], { purpose: `control: ${identity.user} on the host` }),
      ]);
      const t = sideOf(treatment, (s) => {
        const uid = checkIdMap('uid_map', s.uidMap, expectedRootlessMap(identity.uid, uidRanges));
        const gid = checkIdMap('gid_map', s.gidMap, expectedRootlessMap(identity.gid, gidRanges));
        return { holds: uid.holds && gid.holds, observed: `${uid.observed}; ${gid.observed}` };
      });
      const c: Side = succeeded(control)
        ? {
            ok: true,
            value: {
              holds: sameMap(parseIdMap(control.stdout), IDENTITY_MAP),
              observed: `${identity.user} on the host: uid_map ${formatIdMap(parseIdMap(control.stdout))}`,
            },
          }
        : { ok: false, error: describeEvidence(control) };
      return decide(t, c);
    }
    // rootful: root in the container is host root, unless a mapping is asked for (the control)
    const controlMap = [{ inside: 0, outside: 200000, count: 65536 }];
    // one after the other: a new id mapping created beside another container can deadlock podman 4.3
    const treatment = await probe(ctx.podman, image, { purpose: 'treatment' });
    const control = await probe(ctx.podman, image, {
      flags: ['--uidmap=0:200000:65536', '--gidmap=0:200000:65536'],
      purpose: 'control: --uidmap',
    });
    return decide(
      sideOf(treatment, (s) => checkIdMap('uid_map', s.uidMap, IDENTITY_MAP)),
      sideOf(control, (s) => checkIdMap('with --uidmap 0:200000:65536: uid_map', s.uidMap, controlMap)),
    );
  },
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

/** Start a detached `--userns=auto` container and read its uid_map from inside; returns its id too. */
async function autoContainer(ctx: ClaimContext, image: string, flags: string[], purpose: string) {
  const started = await ctx.podman.start({
    image,
    command: ['sleep', '600'],
    flags: ['--userns=auto', ...flags],
    purpose,
  });
  if (!succeeded(started)) return { ok: false as const, error: describeEvidence(started) };
  const id = started.stdout.trim();
  const read = await ctx.podman.execIn(id, ['cat', '/proc/self/uid_map'], `${purpose}: uid_map`);
  if (!succeeded(read)) return { ok: false as const, error: describeEvidence(read), id };
  return { ok: true as const, id, map: parseIdMap(read.stdout) };
}

export const autoRanges: Claim = {
  id: 'userns.auto-ranges',
  title: '--userns=auto gives each container its own range of ids, and frees it on rm',
  source: '`0 1 1024`, next `0 1025 1024`; --user=2000 -> 2001; ranges come back after podman rm',
  identities: ['rootful', 'rootless'],
  exclusive: true,
  needs(_host, identity) {
    if (identity.name !== 'rootful') return undefined;
    const uid = readRanges('/etc/subuid', 'containers', -1);
    const gid = readRanges('/etc/subgid', 'containers', -1);
    if (!uid.length || !gid.length) {
      return 'rootful --userns=auto needs a "containers" entry in /etc/subuid and /etc/subgid (podman: cannot find mappings for user "containers"); scripts/prepare-host adds one';
    }
    return undefined;
  },
  async run(ctx) {
    const image = await ctx.image(BUSYBOX);
    const { size: minSize, from } = autoUsernsMinSize(ctx.identity);
    const ids: string[] = [];
    try {
      // sequential: each allocation must see the ranges already taken
      const a = await autoContainer(ctx, image, [], 'treatment: auto A');
      if (a.id) ids.push(a.id);
      const b = await autoContainer(ctx, image, [], 'treatment: auto B');
      if (b.id) ids.push(b.id);
      const wide = await autoContainer(ctx, image, ['--user=2000'], 'treatment: auto --user=2000');
      if (wide.id) ids.push(wide.id);
      if (a.ok) {
        await ctx.podman.remove([a.id], 'treatment: rm A');
        ids.splice(ids.indexOf(a.id), 1);
      }
      const reused = await autoContainer(ctx, image, [], 'treatment: auto after rm');
      if (reused.id) ids.push(reused.id);
      const failed = [a, b, wide, reused].find((x) => !x.ok);
      const treatment: Side = failed
        ? { ok: false, error: (failed as { error: string }).error }
        : {
            ok: true,
            value: checkAutoRanges(
              {
                a: (a as { map: IdMapRange[] }).map,
                b: (b as { map: IdMapRange[] }).map,
                wide: (wide as { map: IdMapRange[] }).map,
                reused: (reused as { map: IdMapRange[] }).map,
              },
              minSize,
            ),
          };
      // control: without --userns=auto, two containers share one map
      const [c1, c2] = await Promise.all([
        probe(ctx.podman, image, { purpose: 'control: default 1' }),
        probe(ctx.podman, image, { purpose: 'control: default 2' }),
      ]);
      const control: Side =
        c1.ok && c2.ok
          ? {
              ok: true,
              value: {
                holds: sameMap(c1.snapshot.uidMap, c2.snapshot.uidMap),
                observed: `two default containers: ${formatIdMap(c1.snapshot.uidMap)} and ${formatIdMap(c2.snapshot.uidMap)}`,
              },
            }
          : { ok: false, error: c1.ok ? (c2 as { error: string }).error : c1.error };
      const outcome = decide(treatment, control);
      outcome.reason += ` (auto-userns-min-size ${minSize} from ${from})`;
      return outcome;
    } finally {
      if (ids.length) await ctx.podman.remove(ids, 'cleanup');
    }
  },
};

export const usernsClaims: Claim[] = [rootlessMap, autoRanges];
