import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Evidence } from '../src/exec/evidence.js';
import type { Identity } from '../src/exec/identity.js';
import { Session } from '../src/exec/session.js';
import { serviceEndLine } from '../src/systemd/echo.js';
import { installUnits, stopSocketsFirst, unitDir, writesUnitsDirectly } from '../src/systemd/units.js';

const rootful = {
  name: 'rootful',
  user: 'root',
  uid: 0,
  gid: 0,
  home: '/root',
  runtimeDir: '/run',
  via: 'sudo',
} as Identity;
const rootless = {
  name: 'rootless',
  user: 'me',
  uid: 1000,
  gid: 1000,
  home: '/home/me',
  runtimeDir: '/run/user/1000',
  via: 'self',
} as Identity;

describe('who writes the unit files', () => {
  it("root writes every identity's own files; a user its own", () => {
    expect(writesUnitsDirectly(rootful, 0)).toBe(true);
    expect(writesUnitsDirectly(rootless, 0)).toBe(true);
    expect(writesUnitsDirectly(rootless, 1000)).toBe(true);
  });
  it('a normal user proving rootful through sudo -n writes /run/systemd/system through the identity', () => {
    expect(writesUnitsDirectly(rootful, 1000)).toBe(false);
  });
});

describe("systemd's line for a service whose main process ended (a client stops waiting on it)", () => {
  // `journalctl --unit X -o cat` of a restricted echo service under crun 1.21 (Debian 13 VM)
  const failed = [
    'Starting podproof-abc-echo-3.service - podproof echo server in a --network=none container...',
    'Error: OCI runtime error: crun: recvfrom(PF_NETLINK): Address family not supported by protocol',
    'podproof-abc-echo-3.service: Main process exited, code=exited, status=126/n/a',
    "podproof-abc-echo-3.service: Failed with result 'exit-code'.",
  ].join('\n');
  const serving = [
    'Started podproof-abc-echo-3.service - podproof echo server in a --network=none container.',
    'echo server: 3 sockets passed (tcp4, tcp6, unix)',
  ].join('\n');
  it('finds it in a failed service', () => {
    expect(serviceEndLine(failed)).toBe(
      'podproof-abc-echo-3.service: Main process exited, code=exited, status=126/n/a',
    );
  });
  it('a service still serving, or the runtime error alone, is no end', () => {
    expect(serviceEndLine(serving)).toBeUndefined();
    expect(serviceEndLine(failed.split('\n').slice(0, 2).join('\n'))).toBeUndefined();
  });
  it('a clean exit ends it as well', () => {
    expect(serviceEndLine('podproof-abc-echo-3.service: Deactivated successfully.')).toBeDefined();
  });
});

describe('stopping units (cleanup)', () => {
  const result = (exitCode: number, stderr = '') => ({ exitCode, stderr }) as Evidence;
  it('stops the sockets before what they start, and tries a stop systemd canceled once more', async () => {
    const calls: string[][] = [];
    const answers = [result(0), result(1, 'Job for podproof-x-userns-2.service canceled.'), result(0)];
    const failed = await stopSocketsFirst(
      async (units) => {
        calls.push(units);
        return answers.shift() ?? result(0);
      },
      ['podproof-x-userns-2.service', 'podproof-x-echo-3.socket', 'podproof-x-echo-3.service'],
    );
    expect(calls).toEqual([
      ['podproof-x-echo-3.socket'],
      ['podproof-x-userns-2.service', 'podproof-x-echo-3.service'],
      ['podproof-x-userns-2.service', 'podproof-x-echo-3.service'],
    ]);
    expect(failed).toBeUndefined();
  });
  it('says which stop failed; "not loaded" (exit 5) is nothing to stop', async () => {
    const names = ['podproof-x-echo-3.socket', 'podproof-x-echo-3.service'];
    expect(await stopSocketsFirst(async () => result(5), names)).toBeUndefined();
    const codes = [0, 1];
    expect((await stopSocketsFirst(async () => result(codes.shift() ?? 0), names))?.exitCode).toBe(1);
  });
});

describe('removing installed units', () => {
  it("a second removal (the session's teardown) waits for the first (the claim's own) to end", async () => {
    const runtimeDir = mkdtempSync(join(tmpdir(), 'podproof-units-test-'));
    onTestFinished(() => rmSync(runtimeDir, { recursive: true, force: true }));
    const session = new Session('unitstest', join(runtimeDir, 'journal'));
    const me = { ...rootless, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, runtimeDir };
    let stopAnswered: () => void = () => {};
    const stopping = new Promise<void>((r) => {
      stopAnswered = r;
    });
    const run = async (argv: string[]) => {
      if (argv.includes('stop')) await stopping; // the claim's stop is under way
      return { exitCode: 0, stderr: '', stdout: '', argv } as unknown as Evidence;
    };
    const name = 'podproof-unitstest-echo-1.service';
    const units = await installUnits(run, me, session, { [name]: '[Service]\nExecStart=/bin/true\n' });
    const file = join(unitDir(me), name);
    expect(existsSync(file)).toBe(true);
    const claims = units.remove();
    let teardownDone = false;
    const teardown = units.remove().then(() => {
      teardownDone = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(teardownDone, 'the second call returned while the files were still there').toBe(false);
    stopAnswered();
    await Promise.all([claims, teardown]);
    expect(existsSync(file)).toBe(false);
  });
});
