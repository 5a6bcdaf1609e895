import { basename } from 'node:path';
import type { ClaimResult, Verdict } from '../experiment/types.js';
import { junitCounts, junitTestcase, junitXml } from './junit.js';
import { REPORT_SCHEMA_VERSION, type Report } from './report.js';

/** One host's report in a merge, under the name its columns carry. */
export interface HostReport {
  /**
   * The report's hostname. Reports of one host run by different users (root, and a normal user
   * with `sudo -n`) are told apart by the rootless user: `NAME (rootless USER)`; `#2`, `#3`
   * number what is still the same.
   */
  host: string;
  report: Report;
  /** Why this host has no report (missing, unreadable, invalid): shown, never skipped silently. */
  missing?: string;
}

/** A host whose report could not be read: its file and why. */
export interface MissingReport {
  file: string;
  why: string;
}

/** A report for a host that has none: no rows, named after its file (pure). */
function stubFor(m: MissingReport): Report {
  const name = basename(m.file).replace(/\.json$/, '');
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    host: { hostname: name } as Report['host'],
    session: '',
    startedAt: '',
    durationMs: 0,
    results: [],
    commands: { count: 0, podmanCount: 0, podmanMs: 0, podmanBusyMs: 0 },
  };
}

/** Name each report by its host (pure); a host with no report keeps its place, marked. */
export function nameHosts(given: readonly (Report | MissingReport)[]): HostReport[] {
  const isMissing = (r: Report | MissingReport): r is MissingReport => 'why' in r && !('results' in r);
  const reports = given.map((r) => (isMissing(r) ? stubFor(r) : r));
  const why = given.map((r) => (isMissing(r) ? r.why : undefined));
  const base = (r: Report) => r.host?.hostname || 'unknown-host';
  const perHost = new Map<string, Set<string>>();
  for (const r of reports) {
    const users = perHost.get(base(r)) ?? new Set<string>();
    users.add(r.host?.identities?.rootless?.user ?? '');
    perHost.set(base(r), users);
  }
  const seen = new Map<string, number>();
  return reports.map((report, i) => {
    const user = report.host?.identities?.rootless?.user;
    const byUser = (perHost.get(base(report))?.size ?? 0) > 1 && user;
    const name = byUser ? `${base(report)} (rootless ${user})` : base(report);
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    const missing = why[i];
    return { host: n === 1 ? name : `${name}#${n}`, report, ...(missing ? { missing } : {}) };
  });
}

/** One claim x identity row across hosts. */
export interface MatrixRow {
  claim: string;
  identity: string;
  byHost: Record<string, ClaimResult | undefined>;
}

/** Rows in first-seen order over the reports (pure). */
export function matrix(hosts: readonly HostReport[]): MatrixRow[] {
  const rows = new Map<string, MatrixRow>();
  for (const { host, report } of hosts)
    for (const r of report.results) {
      const key = `${r.claim}|${r.identity}`;
      let row = rows.get(key);
      if (!row) {
        row = { claim: r.claim, identity: r.identity, byHost: {} };
        rows.set(key, row);
      }
      row.byHost[host] = r;
    }
  return [...rows.values()];
}

const BREAKS: readonly Verdict[] = ['refuted', 'inconclusive', 'error'];

/**
 * Per claim (its identities together): on how many hosts every row of it was proven, and the
 * hosts where it was not, those that break it (refuted, inconclusive, error) first (pure).
 */
export function perClaim(hosts: readonly HostReport[]): { claim: string; line: string; broken: boolean }[] {
  const claims = [...new Set(hosts.flatMap((h) => h.report.results.map((r) => r.claim)))];
  return claims.map((claim) => {
    // a host's view of the claim: proven when every row is (a waived row counts), else its worst row
    const viewOn = (h: HostReport) => {
      if (h.missing) return { host: h.host, v: 'no report', detail: 'no report' };
      const rs = h.report.results.filter((r) => r.claim === claim);
      if (!rs.length) return { host: h.host, v: 'absent', detail: 'absent' };
      const open = rs.filter((r) => r.verdict !== 'proven' && !r.waiver);
      const worst = open.find((r) => BREAKS.includes(r.verdict)) ?? open[0];
      return worst
        ? { host: h.host, v: worst.verdict as string, detail: `${worst.identity} ${worst.verdict}` }
        : { host: h.host, v: 'proven', detail: 'proven' };
    };
    const views = hosts.map(viewOn);
    const proven = views.filter((x) => x.v === 'proven').length;
    const others = views
      .filter((x) => x.v !== 'proven')
      .sort((a, b) => Number(!BREAKS.includes(a.v as Verdict)) - Number(!BREAKS.includes(b.v as Verdict)));
    const broken = others.some((x) => BREAKS.includes(x.v as Verdict));
    return {
      claim,
      broken,
      line: `${claim}: proven on ${proven} of ${hosts.length} hosts${others.length ? `; not on ${others.map((x) => `${x.host} (${x.detail})`).join(', ')}` : ''}`,
    };
  });
}

const cell = (r: ClaimResult | undefined) => (r ? (r.waiver ? `${r.verdict} (waived)` : r.verdict) : '-');

/** The host x claim x identity matrix as Markdown, then the per-claim lines (pure). */
export function formatMergedMarkdown(hosts: readonly HostReport[]): string {
  const names = hosts.map((h) => h.host);
  const lines = [
    `## podproof: ${hosts.length} host(s)`,
    '',
    `| host | ${HOST_COLUMNS.map((c) => c.title).join(' | ')} |`,
    `|---|${HOST_COLUMNS.map(() => '---|').join('')}`,
    ...hosts.map(({ host, report, missing }) =>
      missing
        ? `| ${host} | no report: ${missing} |${HOST_COLUMNS.slice(1)
            .map(() => ' |')
            .join('')}`
        : `| ${host} | ${HOST_COLUMNS.map((c) => c.of(report)).join(' | ')} |`,
    ),
    '',
    `| claim | identity | ${names.join(' | ')} |`,
    `|---|---|${names.map(() => '---|').join('')}`,
    ...matrix(hosts).map(
      (row) =>
        `| \`${row.claim}\` | ${row.identity} | ${names.map((n) => cell(row.byHost[n])).join(' | ')} |`,
    ),
    '',
    ...perClaim(hosts).map((c) => `- ${c.line}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** What a podman of the host said of itself: the rootful identity's, else the rootless one's. */
const podmanOf = (r: Report) => r.host?.identities?.rootful?.podman ?? r.host?.identities?.rootless?.podman;

/** Rows' verdicts counted, in one order for every host: `53 proven, 7 skipped` (pure). */
export function tally(results: readonly ClaimResult[]): string {
  const order: readonly string[] = ['proven', 'refuted', 'inconclusive', 'error', 'skipped'];
  const n = new Map<string, number>();
  for (const r of results) n.set(r.verdict, (n.get(r.verdict) ?? 0) + 1);
  return (
    [...n]
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([v, k]) => `${k} ${v}`)
      .join(', ') || 'no rows'
  );
}

/**
 * The host table's columns after the name: what a reader needs to explain a difference between
 * hosts (versions, runtime, network, security module, manager) and when and how long each ran.
 */
const HOST_COLUMNS: { title: string; of: (r: Report) => string }[] = [
  { title: 'os', of: (r) => r.host?.os?.prettyName ?? '?' },
  { title: 'kernel', of: (r) => r.host?.kernel ?? '?' },
  { title: 'podman', of: (r) => r.host?.podman?.version ?? '?' },
  {
    title: 'runtime',
    of: (r) => [podmanOf(r)?.ociRuntime, podmanOf(r)?.ociRuntimeVersion].filter(Boolean).join(' ') || '?',
  },
  {
    title: 'network (rootless)',
    of: (r) =>
      [podmanOf(r)?.networkBackend, r.host?.identities?.rootless?.podman?.rootlessNetworkCmd]
        .filter(Boolean)
        .join(' + ') || '?',
  },
  {
    title: 'cgroup, PID 1',
    of: (r) => `${r.host?.cgroup?.version ?? '?'}, ${r.host?.systemdPid1 ? 'systemd' : 'not systemd'}`,
  },
  {
    title: 'security modules',
    of: (r) => {
      const lsm = (r.host?.securityModules ?? []).filter((m) => ['apparmor', 'selinux'].includes(m));
      const mode =
        r.host?.selinuxEnforcing === undefined
          ? ''
          : r.host.selinuxEnforcing
            ? ' (enforcing)'
            : ' (permissive)';
      return lsm.length ? lsm.map((m) => (m === 'selinux' ? `selinux${mode}` : m)).join(', ') : 'none';
    },
  },
  { title: 'started', of: (r) => (r.startedAt ? r.startedAt.replace(/:\d\d\.\d+Z$/, 'Z') : '?') },
  { title: 'took', of: (r) => `${Math.round((r.durationMs ?? 0) / 1000)} s` },
  { title: 'rows', of: (r) => tally(r.results) },
];

/** The same as plain text for a terminal: the matrix, then the per-claim lines (pure). */
export function formatMergedText(hosts: readonly HostReport[]): string {
  const names = hosts.map((h) => h.host);
  const rows = matrix(hosts);
  const first = Math.max(5, ...rows.map((r) => `${r.claim} (${r.identity})`.length));
  const col = Math.max(14, ...names.map((n) => n.length + 2));
  const lines = [
    `${'claim'.padEnd(first)}  ${names.map((n) => n.padEnd(col)).join('')}`.trimEnd(),
    ...rows.map((r) =>
      `${`${r.claim} (${r.identity})`.padEnd(first)}  ${names.map((n) => cell(r.byHost[n]).padEnd(col)).join('')}`.trimEnd(),
    ),
    '',
    ...hosts.filter((h) => h.missing).map((h) => `${h.host}: no report (${h.missing})`),
    ...perClaim(hosts).map((c) => c.line),
  ];
  return lines.join('\n');
}

/** JUnit with one testsuite per host, a testcase per claim x identity (pure). */
export function formatMergedJunit(hosts: readonly HostReport[]): string {
  const counts = junitCounts(hosts.flatMap((h) => h.report.results));
  const missing = hosts.filter((h) => h.missing).length;
  return junitXml({
    '@_name': 'podproof merge',
    ...counts,
    '@_tests': counts['@_tests'] + missing,
    '@_errors': counts['@_errors'] + missing,
    testsuite: hosts.map(({ host, report, missing }) =>
      missing
        ? {
            '@_name': `podproof ${host}`,
            '@_tests': 1,
            '@_failures': 0,
            '@_errors': 1,
            '@_skipped': 0,
            testcase: [
              {
                '@_name': 'the host report',
                '@_classname': 'podproof',
                error: { '@_message': `no report: ${missing}` },
              },
            ],
          }
        : {
            '@_name': `podproof ${host}`,
            ...junitCounts(report.results),
            '@_timestamp': report.startedAt,
            testcase: report.results.map((r) => junitTestcase(r)),
          },
    ),
  });
}

/** Merged JSON: the hosts and every row with its host (pure). */
export function mergedJson(hosts: readonly HostReport[]) {
  return {
    schemaVersion: '1.0',
    kind: 'podproof-merge',
    hosts: hosts.map(({ host, report, missing }) =>
      missing ? { name: host, missing } : { name: host, session: report.session, host: report.host },
    ),
    results: hosts.flatMap(({ host, report }) =>
      report.results.map((r) => ({
        host,
        claim: r.claim,
        identity: r.identity,
        verdict: r.verdict,
        reason: r.reason,
        ...(r.waiver ? { waiver: r.waiver } : {}),
      })),
    ),
    claims: perClaim(hosts).map(({ claim, line, broken }) => ({ claim, broken, summary: line })),
  };
}
