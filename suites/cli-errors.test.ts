// Bad input that needs podman to notice: a clear message, exit 2, no stack trace.
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../src/exec/run.js';
import { CLI, identity, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

const cli = (args: string[]) =>
  exec([process.execPath, CLI, ...args], { env: { NO_COLOR: '1' }, timeoutMs: 120_000 });

describe('podproof prove on bad input (with podman)', () => {
  it('an image that does not exist', async (ctx) => {
    const name = identity('rootful').identity ? 'rootful' : 'rootless';
    if (!identity(name).identity) return ctx.skip('no identity available');
    const r = await cli([
      'prove',
      '--only',
      'network.loopback-only',
      '--identity',
      name,
      '--image',
      'localhost/podproof-no-such-image:1',
    ]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /image localhost\/podproof-no-such-image:1 does not exist for (rootful|rootless)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a rootless user that does not exist', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('--rootless-user applies when podproof runs as root');
    const r = await cli(['prove', '--identity', 'rootless', '--rootless-user', 'podproof-no-such-user']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/rootless user "podproof-no-such-user" does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unwritable JUnit path', async () => {
    const r = await cli(['prove', '--junit', '/nonexistent-dir/j.xml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot write report \/nonexistent-dir\/j\.xml/);
  });
});
