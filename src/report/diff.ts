import { readFileSync } from 'node:fs';
import { UsageError } from '../exec/errors.js';
import type { ClaimResult, Verdict } from '../experiment/types.js';
import type { Report } from './report.js';
import { reportSchemaErrors } from './schema.js';

/**
 * How a row's verdict moved between two reports:
 * - `regression`: it was proven and is now refuted, inconclusive or in error;
 * - `improvement`: it is proven now and was not;
 * - `new-skip`: it is skipped now and was not (a tool or feature went missing: called out);
 * - `changed`: any other move; `added` / `removed`: the row is only in the newer / older report.
 */
export type ChangeKind = 'regression' | 'improvement' | 'new-skip' | 'changed' | 'added' | 'removed';

/** One claim x identity row whose verdict differs between the reports. */
export interface RowChange {
  claim: string;
  identity: string;
  kind: ChangeKind;
  before?: Verdict;
  after?: Verdict;
  /** The newer report's reason (the older one's for a removed row). */
  reason: string;
}

const FAILED: readonly Verdict[] = ['refuted', 'inconclusive', 'error'];

/** The rows whose verdict differs, in the newer report's order, then the removed ones (pure). */
export function diffResults(before: readonly ClaimResult[], after: readonly ClaimResult[]): RowChange[] {
  const key = (r: ClaimResult) => `${r.claim}|${r.identity}`;
  const old = new Map(before.map((r) => [key(r), r]));
  const changes: RowChange[] = [];
  for (const r of after) {
    const was = old.get(key(r));
    old.delete(key(r));
    const row = {
      claim: r.claim,
      identity: r.identity,
      before: was?.verdict,
      after: r.verdict,
      reason: r.reason,
    };
    if (!was) changes.push({ ...row, kind: 'added' });
    else if (was.verdict === r.verdict) continue;
    else if (was.verdict === 'proven' && FAILED.includes(r.verdict))
      changes.push({ ...row, kind: 'regression' });
    else if (r.verdict === 'proven') changes.push({ ...row, kind: 'improvement' });
    else if (r.verdict === 'skipped') changes.push({ ...row, kind: 'new-skip' });
    else changes.push({ ...row, kind: 'changed' });
  }
  for (const r of old.values())
    changes.push({
      claim: r.claim,
      identity: r.identity,
      before: r.verdict,
      kind: 'removed',
      reason: r.reason,
    });
  return changes;
}

/** The changes as lines a person reads: `regression  caps.default-set (rootless): proven -> refuted: REASON` (pure). */
export function formatDiff(changes: readonly RowChange[]): string {
  if (!changes.length) return 'no verdict changed';
  return changes
    .map(
      (c) =>
        `${c.kind.padEnd(11)} ${c.claim} (${c.identity}): ${c.before ?? '-'} -> ${c.after ?? '-'}${c.reason ? `: ${c.reason}` : ''}`,
    )
    .join('\n');
}

/** Read a `--json` report to compare against; a file that is not one is a usage error. */
export function readReport(file: string): Report {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the report ${file}: ${(err as Error).message}`);
  }
  const report = parsed as Partial<Report>;
  if (!Array.isArray(report?.results))
    throw new UsageError(`${file} is not a podproof report (no results array; write one with --json)`);
  const major = String(report.schemaVersion ?? '1').split('.')[0];
  if (major !== '1')
    throw new UsageError(`${file} has report schema ${report.schemaVersion}; this podproof reads 1.x`);
  // every report read is checked against the schema it should follow: a report without a host,
  // say, would merge as an unnamed host
  const invalid = reportSchemaErrors(parsed);
  if (invalid.length)
    throw new UsageError(
      `${file} is not a valid podproof report: ${invalid[0]}${invalid.length > 1 ? ` (and ${invalid.length - 1} more)` : ''}`,
    );
  return report as Report;
}
