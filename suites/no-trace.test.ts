/**
 * Leave no trace, fail fast: a full `prove` interrupted at random moments (SIGINT), killed
 * (SIGKILL, then `podproof clean`), run many times in a row, and run against a podman that
 * hangs. After each, every kind of leftover is counted (see `traces`). The counts default to the
 * issue's (10 SIGINT, 5 SIGKILL, 20 runs); PODPROOF_TRACE_RUNS=N scales them down for a quick try.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, fixtureImage } from '../src/apparatus/images.js';
import { describeEvidence } from '../src/exec/evidence.js';
import { exec } from '../src/exec/run.js';
import { Session } from '../src/exec/session.js';
import { waitUntil } from '../src/exec/wait.js';
import { isStaleRootlessState, Podman, storagePaths } from '../src/podman/podman.js';
import type { Report } from '../src/runner/prove.js';
import { failedPodmanScopes, resetNewFailedScopes } from '../src/systemd/scopes.js';
import {
  CLI,
  identity,
  podmanWrapper,
  realPodman,
  runCli,
  type TraceBaseline,
  testSession,
  traceBaseline,
  traces,
} from './helpers.js';

afterAll(() => testSession.teardown());

const scale = Number(process.env.PODPROOF_TRACE_RUNS ?? 0);
const runs = (n: number) => (scale > 0 ? Math.min(n, scale) : n);
const JOURNALS = '/run/podproof/sessions';

let baseline: TraceBaseline;
beforeAll(async () => {
  baseline = await traceBaseline();
  expect(await traces(baseline), 'traces before the suite starts').toEqual([]);
});

/** Start `podproof prove` (the whole catalog) in the background; resolves its exit code and output. */
function startProve(args: string[] = [], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'prove', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))),
  );
  return { child, exited, output: () => output };
}

/** A random moment in the first `ms` of a run (a full prove takes about 25 s here). */
const moment = (ms: number) => 500 + Math.floor(Math.random() * ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(process.getuid?.() !== 0)('leave no trace (as root, both identities)', () => {
  it.for(Array.from({ length: runs(10) }, (_, i) => i + 1))(
    'SIGINT at a random moment, run %i: nothing left',
    async (i) => {
      const at = moment(20_000);
      const run = startProve();
      await sleep(at); // the moment itself is the experiment's variable, not a wait for an event
      run.child.kill('SIGINT');
      const code = await run.exited;
      expect([130, 0, 1], `run ${i}, SIGINT after ${at} ms\n${run.output()}`).toContain(code);
      expect(await traces(baseline), `run ${i}, SIGINT after ${at} ms\n${run.output()}`).toEqual([]);
    },
  );

  it.for(Array.from({ length: runs(5) }, (_, i) => i + 1))(
    'SIGKILL at a random moment, run %i, then clean: nothing left',
    async (i) => {
      const at = moment(20_000);
      const run = startProve();
      await sleep(at);
      run.child.kill('SIGKILL');
      await run.exited;
      const cleaned = await runCli(['clean']);
      expect(cleaned.run.exitCode, cleaned.run.stdout + cleaned.run.stderr).toBe(0);
      expect(await traces(baseline), `run ${i}, SIGKILL after ${at} ms\n${cleaned.run.stdout}`).toEqual([]);
    },
  );

  it("a SIGKILL of everything a run had (its container, conmon and the store's pause process), as a machine's stop leaves it: clean resets podproof's rootless store and leaves nothing", async (ctx) => {
    const { identity: who, skip } = identity('rootless');
    if (!who) return ctx.skip(skip);
    // a session of its own that never journals: as dead as a killed run's once its processes are
    const killed = new Podman({ binary: realPodman, identity: who, session: new Session() });
    const image = await fixtureImage(killed, BUSYBOX);
    const started = await killed.start({ image, command: ['sleep', '600'], purpose: 'killed' });
    expect(started.exitCode, started.stderr).toBe(0);
    const name = started.argv[started.argv.indexOf('--name') + 1] ?? '';
    const pids = await killed.cmd(['inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', name]);
    const pause = readFileSync(join(storagePaths(who).tmpdir, 'pause.pid'), 'utf8');
    // the kill is the test's: a systemd user manager marks the killed pause process's scope failed
    const failedBefore = await failedPodmanScopes(who);
    for (const pid of [...pids.stdout.trim().split(' '), pause.trim()]) process.kill(Number(pid), 'SIGKILL');
    // podman itself now refuses every command in that store
    const refused = await exec(killed.argv(['ps', '-a']), { identity: who, timeoutMs: 60_000 });
    expect(isStaleRootlessState(refused), describeEvidence(refused)).toBe(true);
    const cleaned = await runCli(['clean']);
    expect(cleaned.run.exitCode, cleaned.run.stdout + cleaned.run.stderr).toBe(0);
    expect(cleaned.run.stdout).toContain(name);
    if (failedBefore) await resetNewFailedScopes(who, failedBefore);
    expect(await traces(baseline)).toEqual([]);
  });

  it('clean during a live run leaves that run alone', async () => {
    const run = startProve(['network', 'caps', 'pid']);
    // wait for the run's journal: from then on it has something a clean could take away
    const journaled = await waitUntil(
      () => existsSync(JOURNALS) && readdirSync(JOURNALS).some((f) => f !== `${testSession.id}.jsonl`),
      30_000,
    );
    expect(journaled).toBe(true);
    const cleaned = await runCli(['clean']);
    expect(cleaned.run.stdout).toMatch(/still running, left alone/);
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).not.toMatch(/refuted|error|inconclusive/);
    expect(await traces(baseline)).toEqual([]);
  });

  it(`${runs(20)} consecutive full runs leave no new failed unit in either manager`, {
    timeout: runs(20) * 90_000,
  }, async () => {
    for (let i = 1; i <= runs(20); i++) {
      const { run, report } = await runCli(['prove']);
      expect(run.exitCode, `run ${i}: ${run.stdout}${run.stderr}`).toBe(0);
      expect((report as Report).results.some((r) => r.verdict === 'proven')).toBe(true);
    }
    expect(await traces(baseline)).toEqual([]);
  });

  it('a podman that hangs on run: affected rows are errors naming the command, the run ends in its deadline, nothing left', async () => {
    // a stuck storage lock, as users meet it: `podman run` never answers
    const wrapper = podmanWrapper('hang', 'exec sleep 1000');
    // bounded: the CLI must end by itself (deadline 60 s, then teardown) before runCli gives up on it
    const { run, report } = await runCli(
      ['prove', 'network', 'pid', '--claim-timeout', '8', '--timeout', '60'],
      {
        env: { PODPROOF_PODMAN: wrapper },
        timeoutMs: 150_000,
      },
    );
    expect(run.failure, 'the run did not end within its deadline').toBeUndefined();
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    for (const r of report?.results ?? []) {
      expect(r.verdict, `${r.claim} ${r.identity}: ${r.reason}`).toBe('error');
      expect(r.reason).toMatch(
        /timed out: its deadline \(8 s\) passed while `\S+ .* run .*` \(.*\) had not answered/,
      );
    }
    expect(await traces(baseline)).toEqual([]);
  });
});
