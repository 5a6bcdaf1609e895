#!/usr/bin/env node
// Development helper: run the catalog once and store every arm's raw observation, with the
// claim's setup, under test/captured/observations/CLAIM.json ({ IDENTITY: { setup, treatment,
// control } }). test/contrast-catalog.test.ts feeds each arm's check the other arm's
// observation from there, for every claim, with no test written per claim.
// Usage: npm run build && node scripts/capture-observations.mjs [--only ID ...]
// In a VM: PODPROOF_VM_STEPS="prepare capture" PODPROOF_VM_PROVE_ARGS="--only ID" npm run test:vm
// (as root), then copy PODPROOF_VM_OUT/observations/*.json here.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prove } from '../dist/index.js';

const { values } = parseArgs({ options: { only: { type: 'string', multiple: true } } });
// PODPROOF_CAPTURE_DIR: elsewhere (a VM's output folder: its checkout is read-only)
const dir =
  process.env.PODPROOF_CAPTURE_DIR || new URL('../test/captured/observations/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });

/** Plain data only: functions and class instances (podman handles, sessions) are not observations. */
function plain(value, seen = new Set()) {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (seen.has(value)) return undefined;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return undefined;
  seen.add(value);
  const out = Array.isArray(value)
    ? value.map((v) => plain(v, seen) ?? null)
    : Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== 'raw') // the snapshot's raw sections: every check reads the parsed fields
          .map(([k, v]) => [k, plain(v, seen)])
          .filter(([, v]) => v !== undefined),
      );
  seen.delete(value);
  return out;
}

const captured = {};
const report = await prove({
  only: values.only,
  onObservation: ({ claim, identity, arm, setup, observed }) => {
    captured[claim] ??= {};
    captured[claim][identity] ??= {};
    captured[claim][identity].setup = plain(setup) ?? null;
    captured[claim][identity][arm] = plain(observed);
  },
  onProgress: (line) => console.error(line),
});
for (const r of report.results) console.log(`${r.claim} (${r.identity}): ${r.verdict}`);
for (const [claim, byIdentity] of Object.entries(captured)) {
  // only rows whose verdict was proven: a contrast fixture must show both arms doing their part
  const proven = Object.fromEntries(
    Object.entries(byIdentity).filter(
      ([identity, arms]) =>
        arms.treatment !== undefined &&
        arms.control !== undefined &&
        report.results.some((r) => r.claim === claim && r.identity === identity && r.verdict === 'proven'),
    ),
  );
  if (!Object.keys(proven).length) continue;
  const file = join(dir, `${claim}.json`);
  let before = {};
  try {
    before = JSON.parse(readFileSync(file, 'utf8'));
  } catch {}
  writeFileSync(file, `${JSON.stringify({ ...before, ...proven }, null, 1)}\n`);
}
