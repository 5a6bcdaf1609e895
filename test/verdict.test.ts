import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkHasOtherInterface, checkLoopbackOnly } from '../src/claims/network.js';
import { decide } from '../src/experiment/verdict.js';
import { type ProbeSnapshot, parseSnapshot } from '../src/probe/snapshot.js';

const snap = (name: string) =>
  parseSnapshot(readFileSync(new URL(`./captured/${name}`, import.meta.url), 'utf8'));
const ok = (holds: boolean, observed = 'seen') => ({ ok: true as const, value: { holds, observed } });

describe('decide', () => {
  it('proven only when the treatment holds and the control shows the contrast', () => {
    expect(decide(ok(true), ok(true)).verdict).toBe('proven');
  });
  it('refuted when the treatment does not hold, whatever the control', () => {
    expect(decide(ok(false), ok(true)).verdict).toBe('refuted');
    expect(decide(ok(false), { ok: false, error: 'x' }).verdict).toBe('refuted');
  });
  it('inconclusive when the control shows no contrast or cannot run', () => {
    expect(decide(ok(true), ok(false)).verdict).toBe('inconclusive');
    expect(decide(ok(true), { ok: false, error: 'tun' }).verdict).toBe('inconclusive');
  });
  it('error when the treatment could not run: a crash is never evidence', () => {
    expect(decide({ ok: false, error: 'exit 139' }, ok(true))).toEqual({
      verdict: 'error',
      reason: 'treatment: exit 139',
    });
  });
});

describe('network.loopback-only checks', () => {
  it('holds for captured --network=none output, rootful and rootless', () => {
    expect(checkLoopbackOnly(snap('probe-rootful-none.txt')).holds).toBe(true);
    expect(checkLoopbackOnly(snap('probe-rootless-none.txt')).holds).toBe(true);
  });
  it('fails for a default network (a host whose --network=none leaks an interface)', () => {
    expect(checkLoopbackOnly(snap('probe-rootless-slirp4netns.txt'))).toMatchObject({ holds: false });
    expect(checkLoopbackOnly(snap('probe-rootful-default.txt')).observed).toMatch(/eth0 10\.88\./);
  });
  it('fails when lo carries an extra address or misses ::1', () => {
    const base = snap('probe-rootful-none.txt');
    const withExtra: ProbeSnapshot = {
      ...base,
      interfaces: [{ name: 'lo', loopback: true, addresses: ['127.0.0.1/8', '::1/128', '10.1.2.3/8'] }],
    };
    expect(checkLoopbackOnly(withExtra).holds).toBe(false);
    const noV6: ProbeSnapshot = {
      ...base,
      interfaces: [{ name: 'lo', loopback: true, addresses: ['127.0.0.1/8'] }],
    };
    expect(checkLoopbackOnly(noV6).holds).toBe(false);
    expect(checkLoopbackOnly({ ...noV6, ipv6: false }).holds).toBe(true);
  });
  it('fails when the only interface is not the loopback device', () => {
    const base = snap('probe-rootful-none.txt');
    const fake: ProbeSnapshot = {
      ...base,
      interfaces: [{ name: 'lo', loopback: false, addresses: ['127.0.0.1/8', '::1/128'] }],
    };
    expect(checkLoopbackOnly(fake).holds).toBe(false);
  });
  it('the control sees the contrast on a default network and not under --network=none', () => {
    expect(checkHasOtherInterface(snap('probe-rootful-default.txt')).holds).toBe(true);
    expect(checkHasOtherInterface(snap('probe-rootful-none.txt')).holds).toBe(false);
  });
});

describe('run order', () => {
  it('lets identities take turns and starts early claims first, each identity keeping its order', async () => {
    const { interleave } = await import('../src/runner/prove.js');
    const items = [
      { who: 'rootful', id: 'a' },
      { who: 'rootful', id: 'b' },
      { who: 'rootful', id: 's', early: true },
      { who: 'rootless', id: 'c' },
      { who: 'rootless', id: 't', early: true },
    ];
    expect(interleave(items).map((x) => `${x.who}:${x.id}`)).toEqual([
      'rootful:s',
      'rootless:t',
      'rootful:a',
      'rootless:c',
      'rootful:b',
    ]);
  });
});
