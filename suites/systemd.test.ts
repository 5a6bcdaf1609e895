import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectClaims } from '../src/claims/index.js';
import type { IdentityName } from '../src/exec/identity.js';
import { exec } from '../src/exec/run.js';
import { processAlive, readPidFile } from '../src/host/procs.js';
import { pausePidFiles } from '../src/podman/podman.js';
import { startDefaultPauseProcess } from '../src/systemd/userns.js';
import { identity, realPodman, runCli, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

const IDENTITIES: IdentityName[] = ['rootful', 'rootless'];
const SYSTEMD = selectClaims(['systemd']);
/** The only reasons a systemd claim may be skipped here; anything else (a broken wrapper) fails. */
const HOST_LACKS = /PID 1 is not systemd|no systemd user manager|needs /;

describe.each(IDENTITIES)('%s: systemd claims', (name) => {
  const { identity: who, skip } = identity(name);

  it('are proven, or skipped with the missing manager named', async (ctx) => {
    if (!who) return ctx.skip(skip);
    const { run, report } = await runCli(['prove', '--only', 'systemd', '--identity', name]);
    const expected = SYSTEMD.filter((c) => c.identities.includes(name)).map((c) => c.id);
    expect(report?.results.map((r) => r.claim).sort(), run.stdout + run.stderr).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThanOrEqual(3);
    for (const r of report?.results ?? []) {
      if (r.verdict === 'skipped') expect(r.reason).toMatch(HOST_LACKS);
      else expect(r, `${r.claim}: ${r.reason}`).toMatchObject({ verdict: 'proven' });
    }
    // exit 3 when every row was skipped (rootful where PID 1 is not systemd): nothing proven
    const proven = report?.results.some((r) => r.verdict === 'proven');
    expect(run.exitCode).toBe(proven ? 0 : 3);
  });

  it("systemd.userns-precreated holds when a pause process already waits at podman's default location", async (ctx) => {
    if (!who) return ctx.skip(skip);
    if (name !== 'rootless') return ctx.skip('user namespaces are created for rootless podman only');
    if (process.getuid?.() !== 0)
      return ctx.skip('starts a pause process for the dedicated rootless user, as root only');
    // as a user's own podman leaves one behind (a store of the test session's, podman's default tmpdir)
    const made = await startDefaultPauseProcess(
      { session: testSession, identity: who, exec: (argv, o) => exec(argv, { ...o, identity: who }) },
      realPodman,
    );
    expect(made.exitCode, made.stderr).toBe(0);
    const pauseFile = pausePidFiles(who).host;
    expect(existsSync(pauseFile), pauseFile).toBe(true);
    const before = readPidFile(pauseFile);
    // the test made it: whichever one runs at the end is the test's to stop
    testSession.onTeardown('stop the pause process at the default location', () => {
      const pid = readPidFile(pauseFile);
      if (processAlive(pid)) process.kill(Number(pid), 'SIGKILL');
    });
    const { run, report } = await runCli([
      'prove',
      '--only',
      'systemd.userns-precreated',
      '--identity',
      name,
    ]);
    const r = report?.results[0];
    expect(r, run.stdout + run.stderr).toMatchObject({ verdict: 'proven' });
    // the one at the default location among those stopped (podproof's store may have joined it)
    expect(r?.reason).toMatch(new RegExp(`pause process(es)? ([\\d, ]+, )?${before}(, \\d+)* stopped`));
    // and left as found: the identity's own pause process runs again (a new one)
    const after = readPidFile(pauseFile);
    expect(after).not.toBe(before);
    expect(processAlive(after), `pause process ${after}`).toBe(true);
  });
});
