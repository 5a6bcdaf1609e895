import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkAutoRanges,
  checkIdMap,
  disjoint,
  expectedRootlessMap,
  IDENTITY_MAP,
  unseenContainersRanges,
} from '../../src/claims/userns.js';
import { storageConfNumber } from '../../src/host/storage-conf.js';
import type { IdMapRange } from '../../src/probe/snapshot.js';
import { parseIdMap, parseSnapshot } from '../../src/probe/snapshot.js';
import { observed } from '../support/observations.js';

const captured = (name: string) => readFileSync(new URL(`../captured/${name}`, import.meta.url), 'utf8');

describe('user namespace maps', () => {
  it('expects 0 -> the user, then each subordinate range in order', () => {
    expect(expectedRootlessMap(1001, [{ user: 'podproof', start: 100000, count: 65536 }])).toEqual(
      parseIdMap('0 1001 1\n1 100000 65536\n'),
    );
    expect(
      expectedRootlessMap(1001, [
        { user: 'u', start: 100000, count: 10 },
        { user: 'u', start: 300000, count: 5 },
      ]),
    ).toEqual([
      { inside: 0, outside: 1001, count: 1 },
      { inside: 1, outside: 100000, count: 10 },
      { inside: 11, outside: 300000, count: 5 },
    ]);
  });
  it('the captured rootless container matches; a keep-id map does not', () => {
    const s = parseSnapshot(captured('probe-rootless-none.txt'));
    expect(
      checkIdMap('uid_map', s.uidMap, expectedRootlessMap(1001, [{ user: 'p', start: 100000, count: 65536 }]))
        .holds,
    ).toBe(true);
    const keepId = parseIdMap('0 1 1001\n1001 0 1\n1002 1002 64535\n');
    expect(checkIdMap('uid_map', keepId, IDENTITY_MAP).observed).toMatch(/expected 0 0 4294967295/);
  });
  it('judges --userns=auto ranges: size, disjointness, --user=2000, reuse', () => {
    const m = (t: string) => parseIdMap(t);
    const good = { a: m('0 1 1024'), b: m('0 1025 1024'), wide: m('0 2049 2001'), reused: m('0 1 1024') };
    expect(checkAutoRanges(good, 1024).holds).toBe(true);
    expect(checkAutoRanges({ ...good, b: m('0 1 1024') }, 1024).observed).toMatch(/overlap/);
    expect(checkAutoRanges({ ...good, wide: m('0 2049 1024') }, 1024).observed).toMatch(
      /--user=2000 got 1024/,
    );
    expect(checkAutoRanges({ ...good, reused: m('0 4050 1024') }, 1024).observed).toMatch(/not the freed/);
    const host = m('0 1001 1\n1 100000 65536');
    expect(checkAutoRanges({ a: host, b: host, wide: host, reused: host }, 1024).holds).toBe(false);
    expect(disjoint(m('0 1 10'), m('0 11 10'))).toBe(true);
    expect(disjoint(m('0 1 10'), m('0 10 10'))).toBe(false);
  });
  it('reads auto-userns-min-size from storage.conf text', () => {
    expect(storageConfNumber('[storage.options]\nauto-userns-min-size=2048\n', 'auto-userns-min-size')).toBe(
      2048,
    );
    expect(storageConfNumber('# auto-userns-min-size = 5\n', 'auto-userns-min-size')).toBeUndefined();
  });
});

describe('userns.auto-ranges: edge cases on captured observations', () => {
  it.each(['rootful', 'rootless'] as const)(
    "the control's containers, read as the treatment's (%s)",
    (id) => {
      const { control } = observed<unknown, IdMapRange[][]>('userns.auto-ranges', id);
      const [c1 = [], c2 = []] = control;
      // one shared map, not 1024 ids each
      const asTreatment = checkAutoRanges({ a: c1, b: c2, wide: c1, reused: c2 }, 1024);
      expect(asTreatment.holds, asTreatment.observed).toBe(false);
    },
  );
});

describe('rootful --userns=auto where podman cannot see the "containers" ranges', () => {
  // podman 5.8.6 on Debian sid, /etc/subuid with containers:200000:1000000 and no such user
  const sid =
    'time="2026-12-07T22:54:03Z" level=error msg="Cannot find mappings for user \\"containers\\": no subuid ranges found for user \\"containers\\" in /etc/subuid"\nError: creating container storage: not enough unused IDs in user namespace (auto-userns-min-size 1024 from podman default)\n';
  it('names the fix (a system user for libsubid), a skip and not an error', () => {
    expect(unseenContainersRanges(sid)).toMatch(/libsubid.*create a system user named containers/);
  });
  it('any other failure of the run is not this', () => {
    expect(
      unseenContainersRanges('Error: creating container storage: not enough unused IDs in user namespace\n'),
    ).toBeUndefined();
    expect(unseenContainersRanges('')).toBeUndefined();
  });
});
