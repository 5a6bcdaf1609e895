import { type CapabilitySets, parseCapabilities, parseSecurityStatus } from '../parse/caps.js';
import { type Mount, parseMountinfo } from '../parse/mounts.js';
import {
  IFF_LOOPBACK,
  ipv4Addresses,
  type NetInterface,
  parseFibTrie,
  parseIfInet6,
  parseIpv6Route,
  parseNetDev,
  parseRoute,
  type Route,
  type Route6,
} from '../parse/network.js';
import { parseSections, type Section } from './sections.js';

/** One line of /proc/self/uid_map or gid_map. */
export interface IdMapRange {
  inside: number;
  outside: number;
  count: number;
}

/** Everything one container start reports about itself. */
export interface ProbeSnapshot {
  interfaces: NetInterface[];
  /** False when the container has no /proc/net/if_inet6 (IPv6 disabled in the kernel). */
  ipv6: boolean;
  /** The IPv4 main table (/proc/net/route) and the IPv6 routes (/proc/net/ipv6_route). */
  routes: Route[];
  routes6: Route6[];
  /** Output and exit code of each attempt the probe ran (see `ProbeOptions.attempts`), by name. */
  attempts: Record<string, Section>;
  uidMap: IdMapRange[];
  gidMap: IdMapRange[];
  /** /proc/self/loginuid as printed (4294967295 = unset). */
  loginuid: number | undefined;
  hostname: string | undefined;
  /** Cap{Inh,Prm,Eff,Bnd,Amb} of the probe's shell, decoded to names. */
  capabilities: CapabilitySets | undefined;
  noNewPrivs: boolean | undefined;
  /** 0 disabled, 1 strict, 2 filter. */
  seccomp: number | undefined;
  /** The probe's real user and group ids (`Uid:`, `Gid:` of /proc/self/status). */
  uid?: number;
  gid?: number;
  /** PIDs listed in the container's /proc. */
  pids: number[];
  /** The container's mounts (/proc/self/mountinfo), in mount order. */
  mounts: Mount[];
  /** Names under /dev, one level down too (`null`, `pts/0`, `net/tun`). */
  devices: string[];
  /** Raw sections, for evidence and for parsers added later. */
  raw: Record<string, Section>;
}

/** A probe output that cannot be read as a snapshot (the container did not run the script). */
export class ProbeOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeOutputError';
  }
}

/** `/proc/self/uid_map` text to ranges (pure). */
export function parseIdMap(text: string): IdMapRange[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isFinite))
    .map(([inside = 0, outside = 0, count = 0]) => ({ inside, outside, count }));
}

/** Turn the probe script's output into a snapshot (pure). Throws ProbeOutputError when required sections are missing. */
export function parseSnapshot(output: string): ProbeSnapshot {
  const sections = parseSections(output);
  const ok = (name: string) => {
    const s = sections.get(name);
    return s && s.exitCode === 0 ? s.text : undefined;
  };
  const netDev = ok('/proc/net/dev');
  if (netDev === undefined) {
    throw new ProbeOutputError(
      sections.size === 0
        ? 'the probe printed no sections (the container did not run the probe script)'
        : 'the probe could not read /proc/net/dev',
    );
  }
  const names = parseNetDev(netDev);
  const flags = new Map<string, number>();
  for (const [name, s] of sections) {
    const m = /^\/sys\/class\/net\/([^/]+)\/flags$/.exec(name);
    if (m?.[1] && s.exitCode === 0) flags.set(m[1], Number.parseInt(s.text.trim(), 16));
  }
  const loopbackName =
    [...flags].find(([, f]) => (f & IFF_LOOPBACK) !== 0)?.[0] ?? (names.includes('lo') ? 'lo' : undefined);
  const inet6Text = ok('/proc/net/if_inet6');
  const routes = parseRoute(ok('/proc/net/route') ?? '');
  const v4 = ipv4Addresses(parseFibTrie(ok('/proc/net/fib_trie') ?? ''), routes, loopbackName);
  const v6 = parseIfInet6(inet6Text ?? '');
  const interfaces: NetInterface[] = names.map((name) => ({
    name,
    flags: flags.get(name),
    loopback: name === loopbackName,
    addresses: [
      ...v4.filter((a) => a.iface === name).map((a) => a.cidr),
      ...v6.filter((a) => a.iface === name).map((a) => `${a.address}/${a.prefix}`),
    ],
  }));
  // an address whose interface could not be worked out still counts against "only lo"
  const orphans = v4.filter((a) => !names.includes(a.iface));
  if (orphans.length) interfaces.push({ name: '?', loopback: false, addresses: orphans.map((a) => a.cidr) });
  const loginuid = ok('/proc/self/loginuid')?.trim();
  const status = ok('/proc/self/status') ?? '';
  const security = parseSecurityStatus(status);
  const raw: Record<string, Section> = {};
  const attempts: Record<string, Section> = {};
  for (const [k, v] of sections) {
    raw[k] = v;
    if (k.startsWith('attempt:')) attempts[k.slice('attempt:'.length)] = v;
  }

  return {
    interfaces,
    ipv6: inet6Text !== undefined,
    routes,
    routes6: parseIpv6Route(ok('/proc/net/ipv6_route') ?? ''),
    attempts,
    uidMap: parseIdMap(ok('/proc/self/uid_map') ?? ''),
    gidMap: parseIdMap(ok('/proc/self/gid_map') ?? ''),
    loginuid: loginuid ? Number(loginuid) : undefined,
    hostname: ok('/proc/sys/kernel/hostname')?.trim(),
    capabilities: parseCapabilities(status),
    noNewPrivs: security.noNewPrivs,
    seccomp: security.seccomp,
    uid: security.uid,
    gid: security.gid,
    pids: (ok('pids') ?? '')
      .trim()
      .split(/\s+/)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0),
    mounts: parseMountinfo(ok('/proc/self/mountinfo') ?? ''),
    devices: (ok('dev') ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
    raw,
  };
}
