import { writeFileSync } from 'node:fs';
import type { Report } from './report.js';

/** The JSON report text (schema: podproof/report.schema.json). */
export function formatJsonReport(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Write the JSON report: `{host, startedAt, durationMs, results: [{claim, identity, verdict, reason, evidence}]}`. */
export function writeJsonReport(file: string, report: Report): void {
  writeFileSync(file, formatJsonReport(report));
}
