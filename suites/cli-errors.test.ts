// Bad input that needs podman to notice: a clear message, exit 2, no stack trace.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../src/exec/run.js';
import { Podman } from '../src/podman/podman.js';
import { quadletBinary } from '../src/systemd/quadlet.js';
import { CLI, identity, realPodman, testSession } from './helpers.js';

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

  it('an image without sh', async (ctx) => {
    const name = identity('rootful').identity ? 'rootful' : 'rootless';
    const who = identity(name).identity;
    if (!who) return ctx.skip('no identity available');
    // an image of one plain file: podproof's probe cannot run in it
    const dir = testSession.tempDir('no-sh-image');
    writeFileSync(join(dir, 'hello.txt'), 'no shell here\n');
    const tar = join(testSession.tempDir('no-sh-tar'), 'rootfs.tar');
    expect((await exec(['tar', '-C', dir, '-cf', tar, '.'])).exitCode).toBe(0);
    const ref = `localhost/podproof-test-no-sh:${testSession.id}`;
    const podman = new Podman({ binary: realPodman, identity: who, session: testSession, storage: 'host' });
    const imported = await podman.cmd(['import', '--change', `LABEL ${testSession.label}`, tar, ref]);
    expect(imported.exitCode, imported.stderr).toBe(0);
    testSession.onTeardown(`rmi ${ref}`, async () => void (await podman.cmd(['rmi', '-f', ref])));
    const r = await cli(['prove', '--only', 'network.loopback-only', '--identity', name, '--image', ref]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot run `sh -c 'cat \/dev\/null'` \(podproof's probe needs sh and cat\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an existing report file the user may not write', async (ctx) => {
    const who = identity('rootless').identity;
    if (process.getuid?.() !== 0 || !who)
      return ctx.skip('runs the CLI as the rootless user, which needs root');
    const file = join(testSession.tempDir('root-owned'), 'r.xml');
    writeFileSync(file, '', { mode: 0o644 }); // root's, read-only for the rootless user
    const r = await exec([process.execPath, CLI, 'prove', '--identity', 'rootless', '--junit', file], {
      identity: who,
      env: { NO_COLOR: '1' },
      timeoutMs: 60_000,
    });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot write report ${file}: EACCES`));
  });

  it('a Quadlet file where podman has no Quadlet (before 4.4): one line, exit 2', async (ctx) => {
    if (quadletBinary()) return ctx.skip('this podman has Quadlet (the VM proves the route)');
    const file = fileURLToPath(new URL('../examples/hardened.container', import.meta.url));
    const r = await cli(['prove', '--quadlet', file]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/hardened\.container: Quadlet files need podman 4\.4 or later .*use --run/);
  });

  it('an unwritable JUnit path', async () => {
    const r = await cli(['prove', '--junit', '/nonexistent-dir/j.xml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot write report \/nonexistent-dir\/j\.xml/);
  });
});
