import { writeFileSync } from 'node:fs';
import { formatArgv } from '../exec/evidence.js';
import type { ClaimResult } from '../experiment/types.js';
import type { Report } from '../runner/prove.js';
import { identitiesIn } from './group.js';

function xml(text: string): string {
  // drop characters XML 1.0 cannot carry, then escape
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

function evidenceText(r: ClaimResult): string {
  return r.evidence
    .map(
      (e) =>
        `$ ${formatArgv(e.argv)}  [${e.identity}, ${e.purpose ?? ''}, ${e.failure ?? (e.signal ? `signal ${e.signal}` : `exit ${e.exitCode}`)}, ${e.durationMs} ms]${e.stderr.trim() ? `\n  ${e.stderr.trim().split('\n').slice(-3).join('\n  ')}` : ''}`,
    )
    .join('\n');
}

function testcase(r: ClaimResult): string {
  const area = r.claim.split('.')[0];
  const open = `    <testcase classname="podproof.${xml(area ?? '')}" name="${xml(`${r.claim} (${r.identity})`)}" time="${(r.durationMs / 1000).toFixed(3)}">`;
  const out = `      <system-out>${xml(`${r.verdict}: ${r.reason}\n${evidenceText(r)}`)}</system-out>`;
  switch (r.verdict) {
    case 'proven':
      return `${open}\n${out}\n    </testcase>`;
    case 'skipped':
      return `${open}\n      <skipped message="${xml(r.reason)}"/>\n${out}\n    </testcase>`;
    case 'refuted':
    case 'inconclusive':
      return `${open}\n      <failure type="${r.verdict}" message="${xml(r.reason)}">${xml(evidenceText(r))}</failure>\n${out}\n    </testcase>`;
    default:
      return `${open}\n      <error type="error" message="${xml(r.reason)}">${xml(evidenceText(r))}</error>\n${out}\n    </testcase>`;
  }
}

/** The report as JUnit XML: one testsuite per identity, one testcase per claim; skips keep their reason (pure). */
export function formatJunit(report: Report): string {
  const suites = identitiesIn(report.results).map((identity) => {
    const rs = report.results.filter((r) => r.identity === identity);
    const count = (v: string[]) => rs.filter((r) => v.includes(r.verdict)).length;
    const time = rs.reduce((s, r) => s + r.durationMs, 0) / 1000;
    return [
      `  <testsuite name="podproof ${identity}" tests="${rs.length}" failures="${count(['refuted', 'inconclusive'])}" errors="${count(['error'])}" skipped="${count(['skipped'])}" time="${time.toFixed(3)}" timestamp="${xml(report.startedAt)}">`,
      ...rs.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  const all = report.results;
  const n = (v: string[]) => all.filter((r) => v.includes(r.verdict)).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="podproof" tests="${all.length}" failures="${n(['refuted', 'inconclusive'])}" errors="${n(['error'])}" skipped="${n(['skipped'])}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

/** Write {@link formatJunit} to a file. */
export function writeJunitReport(file: string, report: Report): void {
  writeFileSync(file, formatJunit(report));
}
