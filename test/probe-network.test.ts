import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compressIpv6,
  ipv4Addresses,
  parseFibTrie,
  parseIfInet6,
  parseNetDev,
  parseRoute,
} from '../src/parse/network.js';
import { parseSections } from '../src/probe/sections.js';
import { ProbeOutputError, parseIdMap, parseSnapshot } from '../src/probe/snapshot.js';

const captured = (name: string) => readFileSync(new URL(`./captured/${name}`, import.meta.url), 'utf8');

describe('parseSections', () => {
  it('splits delimited sections and keeps cat exit codes', () => {
    const s = parseSections(
      'noise\n@@podproof-begin /a\nline1\nline2\n\n@@podproof-end /a 0\n@@podproof-begin /b\ncat: /b: No such file\n\n@@podproof-end /b 1\n',
    );
    expect(s.get('/a')).toEqual({ text: 'line1\nline2', exitCode: 0 });
    expect(s.get('/b')?.exitCode).toBe(1);
  });
  it('ignores an unterminated section', () => {
    expect(parseSections('@@podproof-begin /a\nx\n').size).toBe(0);
  });
});

describe('network parsers', () => {
  it('reads interface names from /proc/net/dev', () => {
    const text = 'Inter-|   Receive\n face |bytes\n    lo:       0 0\n  eth0:     308 4\n';
    expect(parseNetDev(text)).toEqual(['lo', 'eth0']);
  });
  it('compresses IPv6 like RFC 5952', () => {
    expect(compressIpv6('00000000000000000000000000000001')).toBe('::1');
    expect(compressIpv6('fe80000000000000d486adfffea01891')).toBe('fe80::d486:adff:fea0:1891');
    expect(compressIpv6('20010db8000000010000000000000001')).toBe('2001:db8:0:1::1');
    expect(compressIpv6('20010db8000100020003000400050006')).toBe('2001:db8:1:2:3:4:5:6');
  });
  it('reads /proc/net/if_inet6', () => {
    expect(parseIfInet6('00000000000000000000000000000001 01 80 10 80       lo\n')).toEqual([
      { iface: 'lo', address: '::1', prefix: 128, scope: 0x10 },
    ]);
  });
  it('reads /proc/net/route (little-endian hex)', () => {
    const r = parseRoute(
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n',
    );
    expect(r).toEqual([
      { iface: 'eth0', destination: '10.88.0.0', gateway: '0.0.0.0', mask: '255.255.0.0', prefix: 16 },
    ]);
  });
  it('assigns IPv4 addresses to interfaces from fib_trie and route', () => {
    const sections = parseSections(captured('probe-rootful-default.txt'));
    const fib = parseFibTrie(sections.get('/proc/net/fib_trie')?.text ?? '');
    const routes = parseRoute(sections.get('/proc/net/route')?.text ?? '');
    const addrs = ipv4Addresses(fib, routes, 'lo');
    expect(addrs).toContainEqual({ iface: 'lo', cidr: '127.0.0.1/8' });
    expect(addrs.find((a) => a.iface === 'eth0')?.cidr).toMatch(/^10\.88\.\d+\.\d+\/16$/);
    expect(addrs).toHaveLength(2);
  });
  it('reads uid_map lines', () => {
    expect(parseIdMap('         0       1001          1\n         1     100000      65536\n')).toEqual([
      { inside: 0, outside: 1001, count: 1 },
      { inside: 1, outside: 100000, count: 65536 },
    ]);
  });
});

describe('parseSnapshot on captured probe output', () => {
  it('--network=none (rootful): only lo with 127.0.0.1/8 and ::1/128', () => {
    const s = parseSnapshot(captured('probe-rootful-none.txt'));
    expect(s.interfaces).toEqual([
      { name: 'lo', flags: 9, loopback: true, addresses: ['127.0.0.1/8', '::1/128'] },
    ]);
    expect(s.ipv6).toBe(true);
    expect(s.uidMap).toEqual([{ inside: 0, outside: 0, count: 4294967295 }]);
    expect(s.pids).toEqual([1]);
  });
  it('rootless default network: tap0 with 10.0.2.100/24 (slirp4netns)', () => {
    const s = parseSnapshot(captured('probe-rootless-slirp4netns.txt'));
    expect(s.interfaces.map((i) => i.name)).toEqual(['lo', 'tap0']);
    expect(s.interfaces[1]?.addresses).toContain('10.0.2.100/24');
    expect(s.interfaces[1]?.loopback).toBe(false);
    expect(s.uidMap[0]).toEqual({ inside: 0, outside: 1001, count: 1 });
  });
  it('rootful default network: eth0 on the podman bridge', () => {
    const s = parseSnapshot(captured('probe-rootful-default.txt'));
    expect(s.interfaces.map((i) => i.name)).toEqual(['lo', 'eth0']);
  });
  it('refuses output that is not a probe', () => {
    expect(() => parseSnapshot('Segmentation fault\n')).toThrow(ProbeOutputError);
  });
  it('a host without IPv6 reports ipv6 false', () => {
    const text = captured('probe-rootful-none.txt').replace(
      /@@podproof-begin \/proc\/net\/if_inet6\n[\s\S]*?@@podproof-end \/proc\/net\/if_inet6 0/,
      "@@podproof-begin /proc/net/if_inet6\ncat: can't open '/proc/net/if_inet6': No such file or directory\n\n@@podproof-end /proc/net/if_inet6 1",
    );
    const s = parseSnapshot(text);
    expect(s.ipv6).toBe(false);
    expect(s.interfaces[0]?.addresses).toEqual(['127.0.0.1/8']);
  });
});
