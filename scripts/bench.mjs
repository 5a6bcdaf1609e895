#!/usr/bin/env node
// npm run bench: the whole `prove`, cold (no fixture images) then warm. Prints wall time, podman
// invocations, the sum of their durations and the harness overhead (wall - podman) / wall.
// A measurement, not a test: nothing here asserts a time.
import { Podman, prove, resolveIdentities, resolvePodmanBinary, Session } from '../dist/index.js';

const binary = resolvePodmanBinary();
const session = new Session();
const identities = await resolveIdentities();

async function dropFixtures() {
  for (const r of Object.values(identities)) {
    if (!r.ok) continue;
    await new Podman({ binary, identity: r.identity, session }).removeFixtureImages();
  }
}

const rows = [];
for (const phase of ['cold', 'warm']) {
  if (phase === 'cold') await dropFixtures();
  const t0 = performance.now();
  const report = await prove({});
  const wall = performance.now() - t0;
  const { podmanCount, podmanMs, podmanBusyMs, count } = report.commands;
  const verdicts = {};
  for (const r of report.results) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
  rows.push({
    phase,
    'wall s': (wall / 1000).toFixed(1),
    'podman calls': podmanCount,
    'all commands': count,
    'podman s (summed)': (podmanMs / 1000).toFixed(1),
    'podman s (busy)': (podmanBusyMs / 1000).toFixed(1),
    'overhead %': (((wall - podmanBusyMs) / wall) * 100).toFixed(0),
    'wall / busy': (wall / podmanBusyMs).toFixed(2),
    results: Object.entries(verdicts)
      .map(([v, n]) => `${n} ${v}`)
      .join(', '),
  });
}
await session.teardown();
console.table(rows);
console.log(
  'overhead = (wall - podman busy time) / wall, where busy time is the wall time during which at least one podman call ran;',
);
console.log('claims run concurrently, so the summed podman time exceeds the wall time.');
