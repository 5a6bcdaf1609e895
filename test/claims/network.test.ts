import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NetworkSink } from '../../src/apparatus/network-sink.js';
import {
  type Client,
  checkEgressBlocked,
  checkEgressReaches,
  classifyClient,
  onlyNameFailed,
} from '../../src/claims/egress.js';
import { checkCrossReaches, checkIsolated } from '../../src/claims/isolate.js';
import { classifyLookup } from '../../src/claims/names.js';
import { checkHasOtherInterface, checkLoopbackOnly } from '../../src/claims/network.js';
import type { Evidence } from '../../src/exec/evidence.js';
import { type ProbeSnapshot, parseSnapshot } from '../../src/probe/snapshot.js';
import { observed } from '../support/observations.js';

const snap = (name: string) =>
  parseSnapshot(readFileSync(new URL(`../captured/${name}`, import.meta.url), 'utf8'));

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

describe('network.separate-names: busybox nslookup', () => {
  const asked = 'podproof-dns-server 10.89.1.1\n';
  it('an NXDOMAIN is an answer; a timeout or a refusal is none', () => {
    expect(
      classifyLookup(
        `${asked}Server:\t\t10.89.1.1\nAddress:\t10.89.1.1:53\n\n** server can't find x.dns.podman: NXDOMAIN\n`,
        1,
      ),
    ).toEqual({ kind: 'nxdomain', server: '10.89.1.1' });
    expect(classifyLookup(`${asked};; connection timed out; no servers could be reached\n`, 1).kind).toBe(
      'no-answer',
    );
  });
  it("the answer's addresses, not the server's own Address line", () => {
    const text = `${asked}Server:\t\t10.89.1.1\nAddress:\t10.89.1.1:53\n\nName:\tx.dns.podman\nAddress: 10.89.1.2\n\n`;
    expect(classifyLookup(text, 0)).toEqual({
      kind: 'answered',
      server: '10.89.1.1',
      addresses: ['10.89.1.2'],
    });
  });
  it('no default route, a missing nslookup or a crash is unexpected', () => {
    expect(classifyLookup('podproof: no default route\n', 3).kind).toBe('unexpected');
    expect(classifyLookup(`${asked}sh: nslookup: not found\n`, 127).kind).toBe('unexpected');
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

describe('network claims: edge cases on captured observations', () => {
  const IDS = ['rootful', 'rootless'] as const;
  type EgressSetup = { client: Client; sink: NetworkSink };
  it.each(IDS)('network.egress-blocked (%s): only the expected failures, with the sink token', (id) => {
    const {
      setup,
      treatment: t,
      control: c,
    } = observed<EgressSetup, ProbeSnapshot>('network.egress-blocked', id);
    const { client, sink } = setup;
    // without a network a connect cannot time out: a timeout is not the expected failure
    const timedOut = {
      ...t,
      attempts: { ...t.attempts, ip: { exitCode: 28, text: 'curl: (28) Connection timed out' } },
    };
    expect(() => checkEgressBlocked(timedOut, client, sink.token)).toThrow(/did not run as expected/);
    // the token matters: a client that reached some other server is output not explained, not a contrast
    expect(() => checkEgressReaches(c, client, 'podproof-sink-000000000000')).toThrow(
      /did not run as expected/,
    );
    // a control whose name lookup was dropped (aardvark-dns reloading) is asked again; no other
    const dropped = {
      ...c,
      attempts: {
        ...c.attempts,
        name: { exitCode: 6, text: 'curl: (6) Could not resolve host: podproof-x-sink-1.dns.podman' },
      },
    };
    if (client === 'curl') {
      expect(onlyNameFailed(dropped, client, sink.token)).toBe(true);
      expect(checkEgressReaches(dropped, client, sink.token).holds).toBe(false);
    }
    expect(onlyNameFailed(c, client, sink.token)).toBe(false);
    expect(onlyNameFailed(t, client, sink.token)).toBe(false);
  });

  type Pair = { sink: NetworkSink; probeNetwork: string };
  it.each(IDS)('network.isolate-option (%s): the right sink, and a probe on a network of its own', (id) => {
    const { setup, control: c } = observed<{ client: Client; isolated: Pair; open: Pair }, ProbeSnapshot>(
      'network.isolate-option',
      id,
    );
    // a client that reached some other server (the other arm's sink) is not a contrast
    expect(() => checkIsolated(c, setup.client, setup.isolated.sink)).toThrow(/did not run as expected/);
    // a probe that landed on the sink's own network shows nothing about isolation
    const same = {
      ...setup.open.sink,
      ip: c.interfaces.find((i) => !i.loopback)?.addresses[0]?.split('/')[0] ?? '',
    };
    expect(checkCrossReaches(c, setup.client, same).holds).toBe(false);
  });
});
