import { commandLine, isRelevant, lastLine } from '../exec/evidence.js';

import type { ClaimResult, Verdict } from '../experiment/types.js';
import { groupResults, identitiesIn } from './group.js';
import type { Report } from './report.js';

const COLOURS: Record<Verdict, string> = {
  proven: '\x1b[32m',
  refuted: '\x1b[31m',
  inconclusive: '\x1b[33m',
  skipped: '\x1b[90m',
  error: '\x1b[35m',
};

/** The human report: areas, one row per claim with a verdict column per identity, then what is not proven with its evidence. */
export function formatTable(report: Report, opts: { colour?: boolean; verbose?: boolean } = {}): string {
  const paint = (v: Verdict) => (opts.colour ? `${COLOURS[v]}${v}\x1b[0m` : v);
  const identities = identitiesIn(report.results);
  const groups = groupResults(report.results);
  const width = Math.max(5, ...report.results.map((r) => r.claim.length));
  const col = 14;
  const lines = [`${'claim'.padEnd(width + 2)}  ${identities.map((i) => i.padEnd(col)).join('')}`.trimEnd()];
  for (const { area, rows } of groups) {
    lines.push(`${area}`);
    for (const row of rows) {
      const cells = identities.map((i) => {
        const r = row.byIdentity[i];
        if (!r) return `${'-'.padEnd(col)}`;
        const shown = r.waiver ? `${r.verdict}*` : r.verdict;
        return `${paint(r.verdict)}${r.waiver ? '*' : ''}${' '.repeat(Math.max(1, col - shown.length))}`;
      });
      lines.push(`  ${row.claim.padEnd(width)}  ${cells.join('')}`.trimEnd());
      for (const i of identities) {
        const r = row.byIdentity[i];
        if (r && (opts.verbose || r.verdict !== 'proven')) lines.push(`      ${i}: ${oneLine(r.reason)}`);
        if (r?.waiver)
          lines.push(`      ${i}: * waived until ${r.waiver.expires}: ${oneLine(r.waiver.reason)}`);
      }
    }
  }
  const bad = report.results.filter((r) => r.verdict !== 'proven' && r.verdict !== 'skipped');
  for (const r of bad) lines.push('', ...evidenceLines(r));
  const counts = countVerdicts(report.results);
  lines.push(
    '',
    `${
      Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([v, n]) => `${n} ${v}`)
        .join(', ') || 'no results'
    } in ${(report.durationMs / 1000).toFixed(1)} s (session ${report.session})`,
  );
  return lines.join('\n');
}

function evidenceLines(r: ClaimResult): string[] {
  const out = [`${r.claim} (${r.identity}) ${r.verdict}: ${r.reason}`];
  for (const e of r.evidence.filter(isRelevant)) {
    out.push(`  ${commandLine(e)}`);
    const err = lastLine(e.stderr);
    if (err) out.push(`    stderr: ${err}`);
  }
  return out;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 220 ? `${flat.slice(0, 217)}...` : flat;
}

export function countVerdicts(results: ClaimResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { proven: 0, refuted: 0, inconclusive: 0, skipped: 0, error: 0 };
  for (const r of results) counts[r.verdict]++;
  return counts;
}

/**
 * The CLI's exit code for a run (pure): 1 when anything is refuted, inconclusive or in error; 3
 * when nothing was proven at all (every row skipped) or a `required` claim (id or area) was
 * skipped; else 0.
 */
export function exitCodeFor(results: ClaimResult[], required: readonly string[] = []): number {
  const failing = (r: ClaimResult) =>
    !r.waiver && (r.verdict === 'refuted' || r.verdict === 'error' || r.verdict === 'inconclusive');
  if (results.some(failing)) return 1;
  if (!results.some((r) => r.verdict === 'proven')) return 3;
  const named = (id: string) => required.some((q) => id === q || id.startsWith(`${q}.`));
  return results.some((r) => r.verdict === 'skipped' && !r.waiver && named(r.claim)) ? 3 : 0;
}
