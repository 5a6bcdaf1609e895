// podproof run by a normal user (a Fedora workstation, a GitHub runner): rootless is that user,
// rootful needs `sudo -n`. Exercised here by running the CLI as the rootless identity.
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../src/exec/run.js';
import type { Report } from '../src/runner/prove.js';
import { CLI, identity, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

describe('as a normal user', () => {
  it('rootless is the user itself; rootful is skipped without sudo -n', async (ctx) => {
    if (process.getuid?.() !== 0)
      return ctx.skip('this test runs the CLI as the rootless user, which needs root to start');
    const { identity: user, skip } = identity('rootless');
    if (!user) return ctx.skip(skip);
    const readable = await exec(['test', '-r', CLI], { identity: user });
    if (readable.exitCode !== 0)
      return ctx.skip(`${user.user} cannot read ${CLI} (checkout not world-readable)`);
    const dir = testSession.tempDir('normal-user');
    chmodSync(dir, 0o777);
    const json = join(dir, 'r.json');
    const run = await exec(
      [process.execPath, CLI, 'prove', '--only', 'network.loopback-only', '--only', 'pid', '--json', json],
      {
        identity: user,
        env: { NO_COLOR: '1' },
        timeoutMs: 280_000,
      },
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    for (const r of report.results.filter((x) => x.identity === 'rootless')) {
      expect(r, `${r.claim}: ${r.reason}\n${run.stderr}`).toMatchObject({ verdict: 'proven' });
    }
    const sudo = await exec(['sudo', '-n', 'true'], { identity: user });
    for (const r of report.results.filter((x) => x.identity === 'rootful')) {
      if (sudo.exitCode !== 0)
        expect(r).toMatchObject({
          verdict: 'skipped',
          reason: expect.stringMatching(/not root and `sudo -n` is not allowed for /),
        });
    }
    expect(report.results.filter((r) => r.identity === 'rootless')).toHaveLength(2);
    expect(run.exitCode, run.stderr).toBe(0);
  });
});
