import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CAP_VARIANTS,
  checkCapSet,
  checkVariantsDiffer,
  DEFAULT_CAPABILITIES,
} from '../../src/claims/caps.js';
import {
  CAPABILITY_NAMES,
  capName,
  decodeCapMask,
  parseCapabilities,
  parseSecurityStatus,
} from '../../src/parse/caps.js';
import { parseSnapshot } from '../../src/probe/snapshot.js';

const captured = (name: string) => readFileSync(new URL(`../captured/${name}`, import.meta.url), 'utf8');

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

describe('caps.drop-add: edge cases', () => {
  it('a podman that ignored every flag would have no contrast to show', () => {
    expect(checkVariantsDiffer([]).holds).toBe(false);
  });
});
