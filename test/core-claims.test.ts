import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAP_VARIANTS, checkCapSet, DEFAULT_CAPABILITIES } from '../src/claims/caps.js';
import { classifyClient } from '../src/claims/egress.js';
import { mapToInside, plannedLoginuid, UNSET_LOGINUID } from '../src/claims/loginuid.js';
import { checkOwnPidsOnly, checkSeesMarker } from '../src/claims/pid.js';
import {
  checkAutoRanges,
  checkIdMap,
  disjoint,
  expectedRootlessMap,
  IDENTITY_MAP,
} from '../src/claims/userns.js';
import type { Evidence } from '../src/exec/evidence.js';
import { storageConfNumber } from '../src/host/storage-conf.js';
import {
  CAPABILITY_NAMES,
  capName,
  decodeCapMask,
  parseCapabilities,
  parseSecurityStatus,
} from '../src/parse/caps.js';
import { parseIdMap, parseSnapshot } from '../src/probe/snapshot.js';

const captured = (name: string) => readFileSync(new URL(`./captured/${name}`, import.meta.url), 'utf8');

describe('capabilities', () => {
  it('knows all 41 capabilities by bit', () => {
    expect(CAPABILITY_NAMES).toHaveLength(41);
    expect(decodeCapMask('000001ffffffffff')).toHaveLength(41);
    expect(decodeCapMask('0000010000000000')).toEqual(['checkpoint_restore']);
  });
  it('decodes the default set 00000000800405fb to the 11 names', () => {
    expect(decodeCapMask('00000000800405fb').sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
  });
  it('names unknown bits instead of dropping them', () => {
    expect(decodeCapMask('0000020000000000')).toEqual(['cap_41']);
    expect(decodeCapMask('8000000000000001')).toEqual(['chown', 'cap_63']);
  });
  it('rejects what is not a mask', () => {
    expect(() => decodeCapMask('zz')).toThrow();
  });
  it('reads Cap*, NoNewPrivs and Seccomp from a captured /proc/self/status', () => {
    const s = parseSnapshot(captured('probe-rootful-none.txt'));
    expect(s.capabilities?.effective.sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(s.capabilities?.ambient).toEqual([]);
    expect(s.seccomp).toBe(2);
    expect(s.noNewPrivs).toBe(false);
    expect(parseCapabilities('Name: x\n')).toBeUndefined();
    expect(parseSecurityStatus('NoNewPrivs:\t1\nSeccomp:\t2\n')).toEqual({ noNewPrivs: true, seccomp: 2 });
  });
  it('normalises capability names', () => {
    expect(capName('CAP_NET_RAW')).toBe('net_raw');
    expect(capName('net_raw')).toBe('net_raw');
  });
  it('checkCapSet names what is extra and what is missing', () => {
    const seen = [...DEFAULT_CAPABILITIES, 'net_raw'];
    const o = checkCapSet('root', seen, DEFAULT_CAPABILITIES);
    expect(o.holds).toBe(false);
    expect(o.observed).toMatch(/12 effective .*extra net_raw/);
    expect(checkCapSet('root', ['chown'], ['chown', 'kill']).observed).toMatch(/missing kill/);
    expect(checkCapSet('x', undefined, []).holds).toBe(false);
  });
  it('the --cap-drop/--cap-add variants expect exactly the named change', () => {
    const d = [...DEFAULT_CAPABILITIES];
    expect(CAP_VARIANTS.map((v) => v.expect(d).length)).toEqual([10, 0, 12, 1]);
    expect(CAP_VARIANTS[3]?.expect(d)).toEqual(['net_raw']);
  });
});

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

describe('pid.isolated checks', () => {
  const snap = parseSnapshot(captured('probe-rootful-none.txt'));
  it('own pids only: PID 1, not the host marker', () => {
    expect(checkOwnPidsOnly(snap, 4242).holds).toBe(true);
    expect(checkOwnPidsOnly({ ...snap, pids: [1, 2, 4242] }, 4242)).toMatchObject({ holds: false });
    expect(checkOwnPidsOnly({ ...snap, pids: Array.from({ length: 50 }, (_, i) => i + 1) }, 4242).holds).toBe(
      false,
    );
  });
  it('the control must see the marker', () => {
    expect(checkSeesMarker({ ...snap, pids: [1, 4242] }, 4242).holds).toBe(true);
    expect(checkSeesMarker(snap, 4242).holds).toBe(false);
  });
});

describe('classifyClient', () => {
  const ev = (exitCode: number | null, stderr: string, extra: Partial<Evidence> = {}): Evidence => ({
    argv: ['podman'],
    identity: 'rootful',
    user: 'root',
    exitCode,
    signal: null,
    stdout: '',
    stderr,
    durationMs: 1,
    startedAt: '',
    ...extra,
  });
  it('only the expected failures count as blocked', () => {
    expect(
      classifyClient(
        'curl',
        ev(7, '* Immediate connect fail for 10.0.2.2: Network is unreachable\ncurl: (7) Failed'),
        't',
      ).kind,
    ).toBe('unreachable');
    expect(
      classifyClient('curl', ev(6, 'curl: (6) Could not resolve host: podproof-sink.invalid'), 't').kind,
    ).toBe('unresolved');
    expect(classifyClient('nc', ev(1, "nc: bad address 'podproof-sink.invalid'"), 't').kind).toBe(
      'unresolved',
    );
    expect(
      classifyClient('nc', ev(1, "nc: can't connect to remote host (10.0.2.2): Network is unreachable"), 't')
        .kind,
    ).toBe('unreachable');
  });
  it('a crash, a timeout, a missing binary or a bare failure is unexpected, never blocked', () => {
    expect(classifyClient('curl', ev(139, ''), 't').kind).toBe('unexpected');
    expect(classifyClient('curl', ev(null, '', { signal: 'SIGSEGV' }), 't').kind).toBe('unexpected');
    expect(classifyClient('curl', ev(null, '', { failure: 'timeout' }), 't').kind).toBe('unexpected');
    expect(classifyClient('curl', ev(127, 'exec: "curl": executable file not found'), 't').kind).toBe(
      'unexpected',
    );
    // no answer within curl's own connect timeout is what a firewall DROP gives: its own kind,
    // never `unreachable` (network.egress-blocked takes it as a harness error, isolate-option as dropped)
    expect(classifyClient('curl', ev(28, 'curl: (28) Connection timed out'), 't').kind).toBe('dropped');
    expect(
      classifyClient('curl', ev(7, "curl: (7) Failed to connect: Couldn't connect to server"), 't').kind,
    ).toBe('unexpected');
  });
  it('reaching the sink needs its token; a refusal means a network was there', () => {
    expect(
      classifyClient('curl', ev(0, '', { stdout: 'podproof-sink-abc\n' }), 'podproof-sink-abc').kind,
    ).toBe('reached');
    expect(classifyClient('curl', ev(0, '', { stdout: 'something else' }), 'podproof-sink-abc').kind).toBe(
      'unexpected',
    );
    expect(
      classifyClient('curl', ev(7, 'connect to 10.0.2.2 port 80 failed: Connection refused'), 't').kind,
    ).toBe('refused');
  });
});

describe('loginuid', () => {
  it('maps the caller loginuid through the container uid_map', () => {
    const rootless = parseIdMap('0 1001 1\n1 100000 65536');
    expect(mapToInside(rootless, 1001)).toBe(0);
    expect(mapToInside(rootless, 100005)).toBe(6);
    expect(mapToInside(rootless, 3267)).toBe(UNSET_LOGINUID);
    expect(mapToInside(IDENTITY_MAP, 3267)).toBe(3267);
    expect(mapToInside(IDENTITY_MAP, UNSET_LOGINUID)).toBe(UNSET_LOGINUID);
  });
  it('uses the caller value when set, sets one as root, else skips with the reason', () => {
    const id = { name: 'rootless', uid: 1001 };
    expect(plannedLoginuid({ value: 1000, unset: false, canSet: false }, id)).toEqual({
      value: 1000,
      set: false,
    });
    expect(plannedLoginuid({ value: UNSET_LOGINUID, unset: true, canSet: true }, id)).toEqual({
      value: 1001,
      set: true,
    });
    // with a subordinate range: the host uid read as the article's 3267 inside, not the user's own
    // (a PAM-started user manager, and so an API service under it, carries the user's own uid)
    const unset = { value: UNSET_LOGINUID, unset: true, canSet: true };
    const planned = plannedLoginuid(unset, id, [{ user: 'podproof', start: 100000, count: 65536 }]);
    expect(planned).toEqual({ value: 103266, set: true });
    expect(mapToInside(parseIdMap('0 1001 1\n1 100000 65536'), 103266)).toBe(3267);
    expect(plannedLoginuid(unset, id, [{ user: 'podproof', start: 100000, count: 100 }])).toEqual({
      value: 1001,
      set: true,
    });
    expect(
      plannedLoginuid({ value: UNSET_LOGINUID, unset: true, canSet: true }, { name: 'rootful', uid: 0 }),
    ).toEqual({ value: 3267, set: true });
    expect(plannedLoginuid({ value: UNSET_LOGINUID, unset: true, canSet: false }, id)).toMatchObject({
      skip: expect.stringMatching(/CAP_AUDIT_CONTROL/),
    });
  });
});
