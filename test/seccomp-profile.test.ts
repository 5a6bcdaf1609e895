import { describe, expect, it } from 'vitest';
import { checkKernelAnswered, checkRefusedWith, specClaims } from '../src/claims/from-spec.js';
import { fromRunArgs } from '../src/parse/container-spec.js';
import { SECCOMP_ACTIONS, seccompProbe } from '../src/parse/seccomp-profile.js';
import type { ProbeSnapshot } from '../src/probe/snapshot.js';

const profile = (p: unknown) => JSON.stringify(p);
/** An allow-list profile (as users derive them from podman's): everything else is EPERM. */
const allowList = (allowed: string[]) =>
  profile({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }],
  });

describe('what a seccomp profile refuses that the probe can try', () => {
  it('an allow-list without mkdir: mkdir, with the default errno', () => {
    const found = seccompProbe(allowList(['read', 'write', 'symlink', 'symlinkat', 'uname']));
    expect(found).toMatchObject({
      action: { name: 'mkdir' },
      errno: 1,
      errnoText: 'Operation not permitted',
    });
  });
  it("a rule's own errno; every syscall of the action must be refused alike", () => {
    const rules = (names: string[], errnoRet?: number) =>
      profile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO', errnoRet }] });
    expect(seccompProbe(rules(['mkdir', 'mkdirat'], 13))).toMatchObject({
      action: { name: 'mkdir' },
      errnoText: 'Permission denied',
    });
    // mkdirat still allowed: a libc that uses it would mkdir anyway
    expect(seccompProbe(rules(['mkdir']))).toHaveProperty('why');
    expect(seccompProbe(rules(['uname']))).toMatchObject({ action: { name: 'uname' }, errno: 1 });
  });
  it('conditional rules, other actions and unreadable profiles are no answer', () => {
    const conditional = profile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['uname'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    expect(seccompProbe(conditional)).toHaveProperty('why');
    const kill = profile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['uname'], action: 'SCMP_ACT_KILL' }],
    });
    expect(seccompProbe(kill)).toHaveProperty('why');
    expect(seccompProbe('{')).toMatchObject({ why: expect.stringMatching(/^not JSON/) });
    expect(seccompProbe(profile({ syscalls: [] }))).toEqual({ why: 'no defaultAction' });
  });
});

describe('the seccomp row of a spec', () => {
  const path = '/etc/podproof/no-mkdir.json';
  const spec = {
    ...fromRunArgs([`--security-opt=seccomp=${path}`, 'img'], 'app'),
    files: { [path]: allowList(['uname']) },
  };
  it('is a row when the profile was read and refuses an action; listed as not proven otherwise', () => {
    expect(specClaims(spec).claims.map((c) => c.id)).toEqual(['app.seccomp']);
    expect(specClaims(spec).notProven).toEqual([]);
    const unread = specClaims({ ...spec, files: {} });
    expect(unread.claims).toEqual([]);
    expect(unread.notProven).toEqual([`--security-opt=seccomp=${path}: the file was not read`]);
    expect(specClaims(fromRunArgs(['--security-opt=seccomp=unconfined', 'img'])).notProven).toEqual([
      '--security-opt=seccomp=unconfined: not a setting podproof proves yet',
    ]);
  });
  const snapshot = (exitCode: number, text: string) =>
    ({ attempts: { seccomp: { exitCode, text } } }) as unknown as ProbeSnapshot;
  const mkdir = SECCOMP_ACTIONS[0] as (typeof SECCOMP_ACTIONS)[0];
  const EPERM = 'Operation not permitted';
  const refused = snapshot(1, "mkdir: can't create directory '/proc': Operation not permitted\n");
  const kernel = snapshot(1, "mkdir: can't create directory '/proc': File exists\n");
  it('each check fails on the other arm; another errno or a crash is not the refusal', () => {
    expect(checkRefusedWith(refused, mkdir, EPERM).holds).toBe(true);
    expect(checkRefusedWith(kernel, mkdir, EPERM).holds).toBe(false);
    expect(checkKernelAnswered(kernel, mkdir).holds).toBe(true);
    expect(checkKernelAnswered(refused, mkdir).holds).toBe(false);
    // the user or a read-only root decides nothing: seccomp answers before them, the kernel after
    expect(
      checkKernelAnswered(snapshot(1, "mkdir: can't create directory '/proc': Permission denied"), mkdir)
        .holds,
    ).toBe(false);
    expect(() => checkRefusedWith(snapshot(139, ''), mkdir, EPERM)).toThrow(/did not run/);
    const uname = SECCOMP_ACTIONS[1] as (typeof SECCOMP_ACTIONS)[0];
    expect(checkKernelAnswered(snapshot(0, 'Linux'), uname).holds).toBe(true);
    expect(checkRefusedWith(snapshot(0, 'Linux'), uname, EPERM).holds).toBe(false);
  });
});
