import type { Evidence } from '../exec/evidence.js';
import type { Report } from './report.js';

/** Where a run's podman calls went: per claim, per row, and the calls asked more than once. */
export interface CallProfile {
  /** podman calls in all claims' evidence (harness calls outside any claim are not here). */
  inClaims: number;
  rows: number;
  perRow: number;
  /** podman calls per claim id, both identities together, most first. */
  perClaim: [string, number][];
  /** The same podman question (verb and arguments, session names masked) asked more than once per identity, most first. */
  repeated: { identity: string; call: string; times: number; claims: string[] }[];
}

const GLOBALS = new Set(['--root', '--runroot', '--tmpdir', '--storage-driver', '--remote', '--url']);

/**
 * A podman call as a question (pure): its argv after podman's global flags, with what differs
 * only by session (names and labels of the session, temp paths) masked, so two claims asking
 * the same thing look the same.
 */
export function podmanQuestion(argv: readonly string[]): string {
  let i = 1;
  while (i < argv.length && GLOBALS.has(argv[i] ?? '')) i += argv[i] === '--remote' ? 1 : 2;
  return argv
    .slice(i)
    .map((a) =>
      a
        .replace(/podproof-[a-z0-9]{10,}-[\w.-]*/g, 'podproof-SESSION-NAME')
        .replace(/io\.podproof\.session=[a-z0-9]+/g, 'io.podproof.session=SESSION')
        .replace(/\/tmp\/podproof-[^\s/]+/g, '/tmp/SESSION-DIR'),
    )
    .map((a) => (a.length > 60 ? `${a.slice(0, 40)}...` : a))
    .join(' ');
}

/** The profile of a report's podman calls (pure). `binary`: podman's path as the report ran it. */
export function podmanCallProfile(report: Pick<Report, 'results'>, binary: string): CallProfile {
  // a shared container's run is counted once, in the claim that ran it (see Evidence.shared)
  const isPodman = (e: Evidence) => e.argv[0] === binary && !e.shared;
  const perClaim = new Map<string, number>();
  const asked = new Map<string, { identity: string; call: string; times: number; claims: Set<string> }>();
  let inClaims = 0;
  for (const r of report.results) {
    const calls = r.evidence.filter(isPodman);
    inClaims += calls.length;
    perClaim.set(r.claim, (perClaim.get(r.claim) ?? 0) + calls.length);
    for (const e of calls) {
      const call = podmanQuestion(e.argv);
      const key = `${e.identity}\0${call}`;
      const seen = asked.get(key) ?? { identity: e.identity, call, times: 0, claims: new Set<string>() };
      seen.times++;
      seen.claims.add(r.claim);
      asked.set(key, seen);
    }
  }
  const rows = report.results.filter((r) => r.verdict !== 'skipped').length;
  return {
    inClaims,
    rows,
    perRow: rows ? inClaims / rows : 0,
    perClaim: [...perClaim].sort((a, b) => b[1] - a[1]),
    repeated: [...asked.values()]
      .filter((a) => a.times > 1)
      .sort((a, b) => b.times - a.times)
      .map((a) => ({ ...a, claims: [...a.claims] })),
  };
}
