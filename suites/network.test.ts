import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdentityName } from '../src/exec/identity.js';
import { waitUntil } from '../src/exec/wait.js';
import { CLI, expectClaim, identity, leftovers, podmanWrapper, runCli, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

const ID = 'network.loopback-only';
const IDENTITIES: IdentityName[] = ['rootful', 'rootless'];

describe.each(IDENTITIES)('%s: network.loopback-only', (name) => {
  const { identity: who, skip } = identity(name);

  it('is proven on this host, and the run leaves nothing behind', async (ctx) => {
    if (!who) return ctx.skip(skip);
    const { run, report } = await runCli(['prove', '--only', ID, '--identity', name]);
    expect(run.stderr).not.toMatch(/internal error/);
    const result = report?.results.find((r) => r.claim === ID && r.identity === name);
    expect(result, run.stdout + run.stderr).toMatchObject({ verdict: 'proven' });
    expect(result?.reason).toMatch(
      /^interfaces: lo 127\.0\.0\.1\/8( ::1\/128)?; control: .*, \S+ \d+\.\d+\.\d+\.\d+\//,
    );
    // the evidence names the treatment and control commands with their flags
    const treatment = result?.evidence.find((e) => e.purpose?.startsWith('treatment'));
    expect(treatment?.argv).toContain('--network=none');
    expect(result?.evidence.find((e) => e.purpose?.startsWith('control'))?.argv).not.toContain(
      '--network=none',
    );
    expect(run.exitCode).toBe(0);
    expect(report).toMatchObject({
      host: { podman: { version: expect.any(String) } },
      startedAt: expect.any(String),
    });
    expect(await leftovers(who, report?.session)).toEqual([]);
  });

  it('is an error, never proven, when podman run crashes', async (ctx) => {
    if (!who) return ctx.skip(skip);
    const wrapper = podmanWrapper('segfault', 'kill -SEGV $$');
    await expectClaim(ID, name, { verdict: 'error', reason: /SIGSEGV/ }, { wrapper });
  });

  it('is inconclusive when the control shows no contrast (every container without network)', async (ctx) => {
    if (!who) return ctx.skip(skip);
    // every container gets --network=none, so the control cannot show another interface
    const wrapper = podmanWrapper('no-network-ever', 'has --network=none || add_after_run --network=none');
    await expectClaim(
      ID,
      name,
      { verdict: 'inconclusive', reason: /control shows no contrast/ },
      { wrapper },
    );
  });
});

describe('SIGINT', () => {
  it('stops a running prove and removes its containers for both identities', async (ctx) => {
    const who = IDENTITIES.map((n) => identity(n).identity).filter((i) => i !== undefined);
    if (!who.length) return ctx.skip('no identity available');
    // containers that would run for 10 minutes: only teardown can remove them
    const wrapper = podmanWrapper(
      'slow',
      'last=$((${#args[@]} - 1)); args[$last]="sleep 600; ${args[$last]}"',
    );
    const child = spawn(process.execPath, [CLI, 'prove', '--only', ID], {
      env: { ...process.env, PODPROOF_PODMAN: wrapper, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // wait until every identity has its treatment and control containers running
    let counts: number[] = [];
    const running = await waitUntil(
      async () => {
        counts = await Promise.all(
          who.map(async (i) => (await leftovers(i)).filter((l) => l.startsWith('container')).length),
        );
        return counts.every((c) => c >= 2);
      },
      120_000,
      300,
    );
    if (!running) throw new Error(`containers never started: ${counts.join(',')}\n${output}`);
    child.kill('SIGINT');
    expect(await exited, output).toBe(130);
    expect(output).toMatch(/SIGINT: stopping and cleaning up session/);
    for (const i of who) expect(await leftovers(i), `${i.name}\n${output}`).toEqual([]);
  });
});
