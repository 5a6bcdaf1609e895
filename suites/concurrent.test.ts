/**
 * Runs that share a host (issue 26): several `podproof prove` started at once give the verdicts a
 * lone run gives, and leave nothing. Each identity's claims hold a host-wide lock, exclusive for
 * the claims that need the identity alone (see docs/ARCHITECTURE.md, "Runs that share a host").
 * PODPROOF_CONCURRENT_ROUNDS (default 0: not run) sets the rounds; issue 26 asks for 5 of 3 runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

// not in `npm test` yet (about 70 s a round here): session 14 saw one round in six hang past the
// CLI's bound (not understood; session 15's 3 of 3 passed); run it with PODPROOF_CONCURRENT_ROUNDS=N
const ROUNDS = Number(process.env.PODPROOF_CONCURRENT_ROUNDS ?? 0);
const RUNS = 3;

describe.skipIf(ROUNDS === 0)('runs that share a host', () => {
  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
    `round %i: ${RUNS} proves started at once each give a lone run's verdicts; clean finds nothing`,
    async () => {
      const runs = await Promise.all(
        Array.from({ length: RUNS }, () =>
          runCli(['prove'], { timeoutMs: 290_000, env: { PODPROOF_HOST_LOCK: '1' } }),
        ),
      );
      const verdicts = runs.map(({ report }) =>
        Object.fromEntries((report?.results ?? []).map((r) => [`${r.claim} ${r.identity}`, r.verdict])),
      );
      for (const [i, { run, report }] of runs.entries()) {
        const bad = (report?.results ?? [])
          .filter((r) => r.verdict !== 'proven' && r.verdict !== 'skipped')
          .map((r) => `${r.claim} ${r.identity} ${r.verdict}: ${r.reason}`);
        expect(bad, `run ${i + 1}: ${run.stderr.slice(-2000)}`).toEqual([]);
        expect(run.exitCode, run.stderr.slice(-2000)).toBe(0);
        // the same rows, skipped for the same reasons a lone run has (the host's), none for a wait
        expect(verdicts[i]).toEqual(verdicts[0]);
        for (const r of report?.results ?? [])
          if (r.verdict === 'skipped') expect(r.reason).not.toMatch(/another podproof run/);
      }
      // what the runs left: nothing (this test's own session, alive, keeps its report dirs)
      const clean = await runCli(['clean', '--check']);
      const said = clean.run.stdout + clean.run.stderr;
      const sessions = [...said.matchAll(/^session (\S+): left/gm)].map((m) => m[1]);
      expect(
        sessions.filter((id) => id !== testSession.id),
        said,
      ).toEqual([]);
    },
  );
});
