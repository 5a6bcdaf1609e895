import { writeFileSync } from 'node:fs';
import { XMLBuilder } from 'fast-xml-parser';
import { commandLine } from '../exec/evidence.js';
import type { ClaimResult } from '../experiment/types.js';
import { identitiesIn } from './group.js';
import type { Report } from './report.js';

/** Characters XML 1.0 cannot carry (the builder escapes the rest). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const text = (s: string) => s.replace(NOT_XML, '');

function evidenceText(r: ClaimResult): string {
  return r.evidence
    .map(
      (e) =>
        `${commandLine(e)}${e.stderr.trim() ? `\n  ${e.stderr.trim().split('\n').slice(-3).join('\n  ')}` : ''}`,
    )
    .join('\n');
}

/** One claim x identity as a JUnit testcase (skips and waivers keep their reason). */
export function junitTestcase(r: ClaimResult) {
  // a waived verdict is accepted, not hidden: a waived refutation, inconclusive or error stays a
  // failure of type `waived` (GitLab and GitHub count a skip as passing), with the waiver in its
  // message; the run's exit code is what accepts it. A waived skip stays a skip.
  const waived =
    r.waiver && `waived until ${r.waiver.expires}: ${r.waiver.reason} (${r.verdict}: ${r.reason})`;
  const outcome = waived
    ? r.verdict === 'skipped'
      ? { skipped: { '@_message': text(waived) } }
      : { failure: { '@_type': 'waived', '@_message': text(waived), '#text': text(evidenceText(r)) } }
    : r.verdict === 'skipped'
      ? { skipped: { '@_message': text(r.reason) } }
      : r.verdict === 'refuted' || r.verdict === 'inconclusive'
        ? { failure: { '@_type': r.verdict, '@_message': text(r.reason), '#text': text(evidenceText(r)) } }
        : r.verdict === 'error'
          ? { error: { '@_type': 'error', '@_message': text(r.reason), '#text': text(evidenceText(r)) } }
          : {};
  return {
    '@_classname': `podproof.${r.claim.split('.')[0] ?? ''}`,
    '@_name': `${r.claim} (${r.identity})`,
    '@_time': (r.durationMs / 1000).toFixed(3),
    ...outcome,
    ...(r.source ? { properties: { property: [{ '@_name': 'source', '@_value': text(r.source) }] } } : {}),
    'system-out': text(`${r.verdict}: ${r.reason}\n${evidenceText(r)}`),
  };
}

/** JUnit's test, failure, error and skip counts for some results (a waived row not skipped is a failure). */
export function junitCounts(rs: ClaimResult[]) {
  const n = (v: string[]) => rs.filter((r) => !r.waiver && v.includes(r.verdict)).length;
  return {
    '@_tests': rs.length,
    '@_failures':
      n(['refuted', 'inconclusive']) + rs.filter((r) => r.waiver && r.verdict !== 'skipped').length,
    '@_errors': n(['error']),
    '@_skipped': rs.filter((r) => r.verdict === 'skipped').length,
  };
}

/** The report as JUnit XML: one testsuite per identity, one testcase per claim; skips keep their reason (pure). */
export function formatJunit(report: Report): string {
  const testsuite = identitiesIn(report.results).map((identity) => {
    const rs = report.results.filter((r) => r.identity === identity);
    // a user's container: what it leaves open (this identity's lines) and what no row proves
    const property = [
      ...(report.leavesOpen ?? [])
        .filter((l) => l.includes(` (${identity}): `))
        .map((l) => ({ '@_name': 'left open', '@_value': text(l) })),
      ...(report.notProven ?? []).map((l) => ({ '@_name': 'not proven', '@_value': text(l) })),
    ];
    return {
      '@_name': `podproof ${identity}`,
      ...junitCounts(rs),
      '@_time': (rs.reduce((s, r) => s + r.durationMs, 0) / 1000).toFixed(3),
      '@_timestamp': report.startedAt,
      ...(property.length ? { properties: { property } } : {}),
      testcase: rs.map((r) => junitTestcase(r)),
    };
  });
  return junitXml({
    '@_name': 'podproof',
    ...junitCounts(report.results),
    '@_time': (report.durationMs / 1000).toFixed(3),
    testsuite,
  });
}

/** A `<testsuites>` element (attributes as `@_name`) as a JUnit XML document (pure). */
export function junitXml(testsuites: Record<string, unknown>): string {
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    indentBy: '  ',
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ testsuites })}`;
}

/** Write {@link formatJunit} to a file. */
export function writeJunitReport(file: string, report: Report): void {
  writeFileSync(file, formatJunit(report));
}
