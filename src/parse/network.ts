/** Pure parsers for the network files the probe prints. */

/** An interface as the container sees it. */
export interface NetInterface {
  name: string;
  /** IFF_* flags from /sys/class/net/NAME/flags, when printed. */
  flags?: number;
  loopback: boolean;
  /** Addresses in CIDR form: `127.0.0.1/8`, `::1/128`. */
  addresses: string[];
}

/** Interface names from /proc/net/dev. */
export function parseNetDev(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([^\s:|]+):/.exec(line);
    if (m?.[1]) names.push(m[1]);
  }
  return names;
}

/** One line of /proc/net/if_inet6. */
export interface Inet6Address {
  iface: string;
  address: string;
  prefix: number;
  scope: number;
}

/** /proc/net/if_inet6: `ADDR(32 hex) IFINDEX PREFIX(hex) SCOPE(hex) FLAGS(hex) NAME`. */
export function parseIfInet6(text: string): Inet6Address[] {
  const out: Inet6Address[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0] ?? '')) continue;
    out.push({
      iface: f[5] ?? '',
      address: compressIpv6(f[0] ?? ''),
      prefix: Number.parseInt(f[2] ?? '', 16),
      scope: Number.parseInt(f[3] ?? '', 16),
    });
  }
  return out;
}

/** 32 hex digits to RFC 5952 text (`::1`, `fe80::d486:adff:fea0:1891`). */
export function compressIpv6(hex: string): string {
  const groups = (hex.toLowerCase().match(/.{4}/g) ?? []).map((g) => Number.parseInt(g, 16).toString(16));
  // longest run (>= 2) of zero groups becomes ::
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** A leaf of /proc/net/fib_trie: an address with one route entry (`/32 host LOCAL`). */
export interface FibEntry {
  table: string;
  address: string;
  prefix: number;
  scope: string;
  type: string;
}

/** Leaves of /proc/net/fib_trie, per table (`Main`, `Local`). */
export function parseFibTrie(text: string): FibEntry[] {
  const out: FibEntry[] = [];
  let table = '';
  let leaf: string | undefined;
  for (const line of text.split('\n')) {
    const t = /^(\w+):\s*$/.exec(line);
    if (t?.[1]) {
      table = t[1];
      leaf = undefined;
      continue;
    }
    const l = /\|--\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (l?.[1]) {
      leaf = l[1];
      continue;
    }
    const e = /^\s+\/(\d+)\s+(\w+)\s+(\w+)/.exec(line);
    if (e && leaf)
      out.push({ table, address: leaf, prefix: Number(e[1]), scope: e[2] ?? '', type: e[3] ?? '' });
  }
  return out;
}

/** One row of /proc/net/route (IPv4 main table). */
export interface Route {
  iface: string;
  destination: string;
  gateway: string;
  mask: string;
  prefix: number;
}

/** /proc/net/route: addresses are little-endian hex. */
export function parseRoute(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const mask = hexToIpv4(f[7] ?? '');
    out.push({
      iface: f[0] ?? '',
      destination: hexToIpv4(f[1] ?? ''),
      gateway: hexToIpv4(f[2] ?? ''),
      mask,
      prefix: maskToPrefix(mask),
    });
  }
  return out;
}

/** One row of /proc/net/ipv6_route. */
export interface Route6 {
  iface: string;
  destination: string;
  prefix: number;
}

/** /proc/net/ipv6_route: `DEST PREFIX SRC SRCPREFIX NEXTHOP METRIC REFCNT USE FLAGS IFACE`, hex (pure). */
export function parseIpv6Route(text: string): Route6[] {
  const out: Route6[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0] ?? '')) continue;
    out.push({
      iface: f[9] ?? '',
      destination: compressIpv6(f[0] ?? ''),
      prefix: Number.parseInt(f[1] ?? '0', 16),
    });
  }
  return out;
}

function hexToIpv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

function maskToPrefix(mask: string): number {
  let n = ipv4ToInt(mask);
  let bits = 0;
  while (n & 0x80000000) {
    bits++;
    n = (n << 1) >>> 0;
  }
  return bits;
}

function inPrefix(ip: string, net: string, prefix: number): boolean {
  if (prefix === 0) return true;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

export const IFF_LOOPBACK = 0x8;

/**
 * IPv4 addresses with their prefix and interface. An address is a `/32 host LOCAL` leaf; its
 * prefix is the longest covering prefix route (`link UNICAST`, or `host LOCAL` for a loopback
 * range); its interface is the /proc/net/route row for that prefix, or the loopback device when
 * the prefix is a `host LOCAL` range (the kernel routes those through lo's local table).
 */
export function ipv4Addresses(
  fib: FibEntry[],
  routes: Route[],
  loopbackName: string | undefined,
): { iface: string; cidr: string }[] {
  const tables = new Set(fib.map((e) => e.table));
  const use = tables.has('Local') ? fib.filter((e) => e.table === 'Local') : fib;
  const locals = [...new Set(use.filter((e) => e.prefix === 32 && e.type === 'LOCAL').map((e) => e.address))];
  const prefixes = use.filter(
    (e) =>
      e.prefix < 32 &&
      ((e.type === 'UNICAST' && e.scope === 'link') || (e.type === 'LOCAL' && e.scope === 'host')),
  );
  return locals.map((addr) => {
    const cover = prefixes
      .filter((p) => inPrefix(addr, p.address, p.prefix))
      .sort((a, b) => b.prefix - a.prefix)[0];
    if (!cover) return { iface: '?', cidr: `${addr}/32` };
    const route = routes.find((r) => r.prefix === cover.prefix && r.destination === cover.address);
    const iface = route?.iface ?? (cover.type === 'LOCAL' ? (loopbackName ?? '?') : '?');
    return { iface, cidr: `${addr}/${cover.prefix}` };
  });
}
