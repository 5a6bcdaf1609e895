#!/usr/bin/env node
// npm run bench: the whole `prove`, cold (no fixture images) then warm. Prints wall time, podman
// invocations, the sum of their durations and the harness overhead (wall - podman) / wall.
// A measurement, not a test: nothing here asserts a time.
import { readdirSync, readFileSync } from 'node:fs';
import {
  Podman,
  podmanCallProfile,
  prove,
  resolveIdentities,
  resolvePodmanBinary,
  Session,
} from '../dist/index.js';

const binary = resolvePodmanBinary();
const session = new Session();
const identities = await resolveIdentities();

async function dropFixtures() {
  for (const r of Object.values(identities)) {
    if (!r.ok) continue;
    await new Podman({ binary, identity: r.identity, session }).removeFixtureImages();
  }
}

/**
 * podman processes started by systemd units (socket-activated containers, transient pulls) are
 * not podproof's own calls, so the evidence cannot time them: a sampler reads /proc every 25 ms
 * for any process running the podman binary and counts the time during which one ran. A
 * measurement aid only (the normal path never polls like this).
 */
function podmanSampler() {
  let busyMs = 0;
  let last = performance.now();
  const running = () => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
        if (argv0 === binary || argv0.endsWith('/podman')) return true;
      } catch {}
    }
    return false;
  };
  const timer = setInterval(() => {
    const now = performance.now();
    if (running()) busyMs += now - last;
    last = now;
  }, 25);
  return () => {
    clearInterval(timer);
    return busyMs;
  };
}

const rows = [];
let warmProfile;
for (const phase of ['cold', 'warm']) {
  if (phase === 'cold') await dropFixtures();
  const t0 = performance.now();
  const stopSampler = podmanSampler();
  const report = await prove({});
  const wall = performance.now() - t0;
  const sampledBusy = stopSampler();
  const { podmanCount, podmanMs, podmanBusyMs, count } = report.commands;
  const profile = podmanCallProfile(report, binary);
  if (phase === 'warm') warmProfile = profile;
  const verdicts = {};
  for (const r of report.results) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
  rows.push({
    phase,
    'wall s': (wall / 1000).toFixed(1),
    'podman calls': podmanCount,
    'all commands': count,
    'podman calls per row (in claims)': profile.perRow.toFixed(1),
    'podman s (summed)': (podmanMs / 1000).toFixed(1),
    'podman s (busy)': (podmanBusyMs / 1000).toFixed(1),
    'overhead %': (((wall - podmanBusyMs) / wall) * 100).toFixed(0),
    'wall / busy': (wall / podmanBusyMs).toFixed(2),
    'wall / any podman (sampled)': (wall / sampledBusy).toFixed(2),
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
// where the warm run's podman calls went: a regression shows as a claim or a question that grew
console.log(
  `\nwarm: ${warmProfile.inClaims} podman calls in claims' evidence over ${warmProfile.rows} rows (the rest is the harness's: host detection, fixtures, teardown)`,
);
console.table(Object.fromEntries(warmProfile.perClaim.map(([claim, n]) => [claim, { 'podman calls': n }])));
console.log('the same podman question asked more than once (per identity):');
console.table(
  warmProfile.repeated.slice(0, 20).map((r) => ({
    identity: r.identity,
    times: r.times,
    call: r.call.slice(0, 90),
    claims: r.claims.slice(0, 4).join(', ') + (r.claims.length > 4 ? ', ...' : ''),
  })),
);
