import { writeFileSync } from 'node:fs';
import type { Report } from './report.js';

/** Write the JSON report: `{host, startedAt, durationMs, results: [{claim, identity, verdict, reason, evidence}]}`. */
export function writeJsonReport(file: string, report: Report): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
