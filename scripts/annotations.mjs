#!/usr/bin/env node
// GitHub Actions annotations from a podproof --json report: one ::error per row refuted,
// inconclusive or in error, a ::warning for a waived one. Used by action.yml.
// Usage: node scripts/annotations.mjs REPORT.json
import { readFileSync } from 'node:fs';

/** Workflow-command escaping (%, CR, LF in the message; also , and : in properties). */
const esc = (s, property = false) => {
  const out = String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return property ? out.replace(/:/g, '%3A').replace(/,/g, '%2C') : out;
};

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const r of report.results ?? []) {
  if (!['refuted', 'inconclusive', 'error'].includes(r.verdict)) continue;
  const level = r.waiver ? 'warning' : 'error';
  const title = esc(`${r.claim} (${r.identity}) ${r.verdict}${r.waiver ? ', waived' : ''}`, true);
  const why = r.waiver ? `waived until ${r.waiver.expires}: ${r.waiver.reason}; ${r.reason}` : r.reason;
  console.log(`::${level} title=${title}::${esc(why)}`);
}
