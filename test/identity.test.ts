import { describe, expect, it } from 'vitest';
import { launchAs, resolveIdentity } from '../src/exec/identity.js';

const passwd =
  'root:x:0:0:root:/root:/bin/bash\npodproof:x:1001:1001::/home/podproof:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n';
const root = { uid: 0, gid: 0, user: 'root', home: '/root' };
const alice = { uid: 1000, gid: 1000, user: 'alice', home: '/home/alice' };

describe('resolveIdentity', () => {
  it('as root: rootful is the harness itself, rootless is the dedicated user via setpriv', () => {
    expect(resolveIdentity('rootful', { passwd, self: root, env: {} })).toMatchObject({
      ok: true,
      identity: { via: 'self', uid: 0 },
    });
    expect(resolveIdentity('rootless', { passwd, self: root, env: {} })).toMatchObject({
      ok: true,
      identity: {
        via: 'setpriv',
        user: 'podproof',
        uid: 1001,
        runtimeDir: '/run/user/1001',
        home: '/home/podproof',
      },
    });
  });
  it('as root: PODPROOF_ROOTLESS_USER picks the user, and a missing one is a clear reason', () => {
    expect(
      resolveIdentity('rootless', { passwd, self: root, env: { PODPROOF_ROOTLESS_USER: 'alice' } }),
    ).toMatchObject({
      identity: { uid: 1000 },
    });
    const r = resolveIdentity('rootless', {
      passwd,
      self: root,
      env: { PODPROOF_ROOTLESS_USER: 'nobody-here' },
    });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/"nobody-here" does not exist/) });
  });
  it('as a normal user: rootless is that user; rootful needs sudo -n', () => {
    expect(
      resolveIdentity('rootless', { passwd, self: alice, env: { XDG_RUNTIME_DIR: '/run/user/1000' } }),
    ).toMatchObject({
      identity: { via: 'self', user: 'alice', runtimeDir: '/run/user/1000' },
    });
    expect(resolveIdentity('rootful', { passwd, self: alice, sudoAllowed: false, env: {} })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/sudo -n/),
    });
    expect(resolveIdentity('rootful', { passwd, self: alice, sudoAllowed: true, env: {} })).toMatchObject({
      identity: { via: 'sudo', uid: 0 },
    });
  });
});

describe('launchAs', () => {
  it('runs another user through setpriv with a clean environment, never a shell', () => {
    const r = resolveIdentity('rootless', { passwd, self: root, env: {} });
    if (!r.ok) throw new Error(r.reason);
    const l = launchAs(r.identity, ['podman', 'info'], { A: 'b' });
    expect(l.file).toBe('setpriv');
    expect(l.args.slice(0, 5)).toEqual(['--reuid=1001', '--regid=1001', '--init-groups', 'env', '-i']);
    expect(l.args).toContain('XDG_RUNTIME_DIR=/run/user/1001');
    expect(l.args).toContain('A=b');
    expect(l.args.slice(-2)).toEqual(['podman', 'info']);
    expect(l.cwd).toBe('/home/podproof');
  });
  it('sudo -n for rootful from a normal user', () => {
    const r = resolveIdentity('rootful', { passwd, self: alice, sudoAllowed: true, env: {} });
    if (!r.ok) throw new Error(r.reason);
    expect(launchAs(r.identity, ['podman', 'ps'])).toMatchObject({
      file: 'sudo',
      args: ['-n', 'env', 'podman', 'ps'],
    });
  });
});
