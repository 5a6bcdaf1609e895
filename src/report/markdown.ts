import { writeFileSync } from 'node:fs';
import { describeEvidence, isRelevant } from '../exec/evidence.js';
import type { ClaimResult } from '../experiment/types.js';
import { groupResults, identitiesIn } from './group.js';
import type { Report } from './report.js';
import { countVerdicts } from './table.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/** A Markdown summary (for `$GITHUB_STEP_SUMMARY`): a table per area, then what was not proven (pure). */
export function formatMarkdown(report: Report): string {
  const identities = identitiesIn(report.results);
  const counts = countVerdicts(report.results);
  const lines = [
    `## podproof: ${
      Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([v, n]) => `${n} ${v}`)
        .join(', ') || 'no results'
    }`,
    '',
    `podman ${report.host.podman.version ?? '?'} on kernel ${report.host.kernel}, cgroups ${report.host.cgroup.version}; ${(report.durationMs / 1000).toFixed(1)} s, session \`${report.session}\``,
  ];
  for (const { area, rows } of groupResults(report.results)) {
    lines.push(
      '',
      `### ${area}`,
      '',
      `| claim | ${identities.join(' | ')} |`,
      `|---|${identities.map(() => '---|').join('')}`,
    );
    for (const row of rows) {
      lines.push(
        `| \`${row.claim}\` ${cell(row.title)} | ${identities.map((i) => verdictCell(row.byIdentity[i])).join(' | ')} |`,
      );
    }
  }
  const notProven = report.results.filter((r) => r.verdict !== 'proven');
  if (notProven.length) {
    lines.push('', '### Not proven', '');
    for (const r of notProven) {
      lines.push(`- **${r.claim}** (${r.identity}) ${r.verdict}: ${cell(r.reason)}`);
      if (r.source) lines.push(`  - source: ${cell(r.source)}`);
      if (r.waiver) lines.push(`  - waived until ${r.waiver.expires}: ${cell(r.waiver.reason)}`);
      const shown = r.evidence.filter(isRelevant).slice(0, 8);
      // the commands folded: a long report stays readable, the evidence one click away
      if (shown.length) {
        lines.push('', `  <details><summary>${shown.length} command(s)</summary>`, '');
        for (const e of shown) lines.push(`  - \`${cell(describeEvidence(e)).replace(/`/g, "'")}\``);
        lines.push('', '  </details>', '');
      }
    }
  }
  // a user's containers (proveSpec): what they leave open here, and the options no row proves
  for (const [title, items] of [
    ['Left open', report.leavesOpen ?? []],
    ['Options no row proves', report.notProven ?? []],
  ] as const) {
    if (!items.length) continue;
    lines.push('', `### ${title}`, '');
    for (const item of items) lines.push(`- ${cell(item)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Write {@link formatMarkdown} to a file (append when it is `$GITHUB_STEP_SUMMARY`'s file is the caller's choice). */
export function writeMarkdownReport(file: string, report: Report): void {
  writeFileSync(file, formatMarkdown(report));
}

/** A verdict cell: `refuted (waived)` when a waiver accepts it. */
function verdictCell(r: ClaimResult | undefined): string {
  if (!r) return 'n/a';
  return r.waiver ? `${r.verdict} (waived)` : r.verdict;
}
