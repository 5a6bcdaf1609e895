/** Pure parsers for host facts. */

/** One /etc/subuid or /etc/subgid range. */
export interface SubidRange {
  user: string;
  start: number;
  count: number;
}

export function parseSubid(text: string): SubidRange[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(':'))
    .filter((f) => f.length === 3 && f[0] && !f[0].startsWith('#'))
    .map(([user = '', start = '', count = '']) => ({ user, start: Number(start), count: Number(count) }))
    .filter((r) => Number.isInteger(r.start) && Number.isInteger(r.count));
}

/** Ranges for a user, matched by name or uid (shadow-utils accepts both). */
export function subidRangesFor(ranges: SubidRange[], user: string, uid: number): SubidRange[] {
  return ranges.filter((r) => r.user === user || r.user === String(uid));
}

/** `podman version` text -> "4.3.1" (client version). */
export function parsePodmanVersion(text: string): string | undefined {
  return /^\s*Version:\s*(\S+)/m.exec(text)?.[1] ?? /podman version (\S+)/.exec(text)?.[1];
}

/** Compare dotted versions: negative, zero, positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Bit set in a /proc/PID/status Cap* hex mask. */
export function hasCapBit(hexMask: string, bit: number): boolean {
  return ((BigInt(`0x${hexMask || '0'}`) >> BigInt(bit)) & 1n) === 1n;
}

/** `CapEff:` value from /proc/self/status text. */
export function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(status)?.[1];
}

/** The subset of `podman info --format json` podproof uses. */
export interface PodmanInfoSummary {
  version?: string;
  rootless?: boolean;
  ociRuntime?: string;
  /** The OCI runtime's own version (`crun version 1.21` -> `1.21`), where podman reports it. */
  ociRuntimeVersion?: string;
  networkBackend?: string;
  /** slirp4netns or pasta: how a rootless container gets a default network. */
  rootlessNetworkCmd?: string;
  cgroupVersion?: string;
  cgroupManager?: string;
  graphDriver?: string;
  defaultCapabilities?: string[];
}

/** Read the fields podproof needs from `podman info` JSON (pure; tolerant of 3.x-5.x shapes). */
export function summarizePodmanInfo(json: string): PodmanInfoSummary {
  // biome-ignore lint/suspicious/noExplicitAny: podman info's shape varies by version
  const info: any = JSON.parse(json);
  const host = info?.host ?? {};
  const version: string | undefined = info?.version?.Version;
  let rootlessNetworkCmd: string | undefined = host.rootlessNetworkCmd;
  if (!rootlessNetworkCmd) {
    // podman < 5 has no such field: slirp4netns is the default there, pasta from 5.0
    rootlessNetworkCmd = version && compareVersions(version, '5.0.0') >= 0 ? 'pasta' : 'slirp4netns';
  }
  const caps: string | undefined = host.security?.capabilities;
  return {
    version,
    rootless: host.security?.rootless,
    ociRuntime: host.ociRuntime?.name,
    ociRuntimeVersion: /version\s+v?(\d+(?:\.\d+)+)/.exec(host.ociRuntime?.version ?? '')?.[1],
    networkBackend: host.networkBackend,
    rootlessNetworkCmd,
    cgroupVersion: host.cgroupVersion,
    cgroupManager: host.cgroupManager,
    graphDriver: info?.store?.graphDriverName,
    defaultCapabilities: caps
      ? caps
          .split(',')
          .map((c: string) => c.trim())
          .filter(Boolean)
      : undefined,
  };
}

/**
 * A runtime bug known to break a restricted service's container (pure): crun 1.17 to 1.22 fail
 * to set up the loopback device over netlink under `RestrictAddressFamilies=AF_UNIX AF_NETLINK`
 * ("recvfrom(PF_NETLINK)", containers/crun#1828, fixed in 1.23). Named only when the service's
 * journal shows crun's error and the version is in that range; said beside a verdict, never
 * instead of one.
 */
export function restrictedServiceRuntimeBug(
  info: PodmanInfoSummary | undefined,
  journal: string,
): string | undefined {
  const v = info?.ociRuntimeVersion;
  if (info?.ociRuntime !== 'crun' || !v) return undefined;
  if (compareVersions(v, '1.17') < 0 || compareVersions(v, '1.23') >= 0) return undefined;
  // crun's own words when its netlink setup of the loopback fails ("recvfrom(PF_NETLINK)" in 1.21)
  const said = /^.*\b(?:socket|bind|sendto|recvfrom)[( ]PF_NETLINK\b.*$/m.exec(journal)?.[0].trim();
  return said
    ? `crun ${v} cannot set up a container's loopback under RestrictAddressFamilies (containers/crun#1828, fixed in crun 1.23); the service's journal: ${said}`
    : undefined;
}

/** What /etc/os-release says the host is (fields as os-release(5) names them, lower-cased). */
export interface OsRelease {
  id?: string;
  versionId?: string;
  prettyName?: string;
}

/** `/etc/os-release` text to its ID, VERSION_ID and PRETTY_NAME (pure); quotes are removed. */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) fields.set(m[1], (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2'));
  }
  return { id: fields.get('ID'), versionId: fields.get('VERSION_ID'), prettyName: fields.get('PRETTY_NAME') };
}

/** `local:port` (hex, as /proc shows it) of the sockets among `own` (inodes) in LISTEN state, from /proc/PID/net/tcp or tcp6 text (pure). */
export function tcpListeners(procNetTcp: string, own: Set<string>): string[] {
  const out: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && f[9] && own.has(f[9])) out.push(f[1] ?? '');
  }
  return out;
}

/** The primary key fingerprints in `gpg --with-colons --list-secret-keys` output (pure). */
export function fingerprints(colons: string): string[] {
  const out: string[] = [];
  let primary = false;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'sec') primary = true;
    else if (f[0] === 'ssb') primary = false;
    else if (f[0] === 'fpr' && primary && f[9]) {
      out.push(f[9]);
      primary = false;
    }
  }
  return out;
}
