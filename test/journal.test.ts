import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  labelsWith,
  parseJournal,
  processStartTime,
  readJournals,
  startsUnitOf,
  stillRunning,
} from '../src/exec/journal.js';
import { Session } from '../src/exec/session.js';
import { sessionOfName, unitsBySession } from '../src/runner/clean.js';
import { unitNames } from '../src/systemd/scopes.js';

const dir = mkdtempSync(join(tmpdir(), 'podproof-test-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('session journal', () => {
  it('names a temp dir and a background process before teardown needs them, and is gone after a clean teardown', async () => {
    const s = new Session('jtest1', dir);
    const temp = s.tempDir('x');
    const p = s.background(['sleep', '30']);
    const entries = parseJournal(readFileSync(s.journal.file, 'utf8'));
    expect(entries[0]).toMatchObject({ kind: 'session', id: 'jtest1', pid: process.pid });
    expect(entries).toContainEqual({ kind: 'tempdir', path: temp });
    expect(entries).toContainEqual(
      expect.objectContaining({ kind: 'process', pid: p.pid, argv: ['sleep', '30'] }),
    );
    // its own process is alive: another podproof would see a live session
    expect(readJournals(dir).find((j) => j.id === 'jtest1')?.entries.length).toBe(3);
    expect(await s.teardown()).toEqual([]);
    expect(existsSync(s.journal.file)).toBe(false);
    expect(existsSync(temp)).toBe(false);
  });

  it('keeps the journal when teardown could not remove everything', async () => {
    const s = new Session('jtest2', dir);
    s.tempDir('y');
    s.onTeardown('broken', () => {
      throw new Error('boom');
    });
    expect(await s.teardown()).toEqual(['broken: boom']);
    expect(existsSync(s.journal.file)).toBe(true);
  });

  it('ignores a line torn by SIGKILL mid-write', () => {
    expect(parseJournal('{"kind":"tempdir","path":"/tmp/a"}\n{"kind":"proc')).toEqual([
      { kind: 'tempdir', path: '/tmp/a' },
    ]);
  });

  it('tells a running process from a reused PID by its start time', () => {
    const mine = processStartTime(process.pid);
    expect(mine).toMatch(/^\d+$/);
    expect(stillRunning(process.pid, mine as string)).toBe(true);
    expect(stillRunning(process.pid, '1')).toBe(false);
    expect(stillRunning(2 ** 22 + 7, mine as string)).toBe(false);
  });
});

describe('clean helpers', () => {
  it('reads the session id from an object name', () => {
    expect(sessionOfName('container 6398246c9da7 podproof-mwweq5t66b6f26-sink-32')).toBe('mwweq5t66b6f26');
    expect(sessionOfName('image 11600ccb7b64 localhost/podproof/busybox:4379')).toBeUndefined();
    // a committed image (secrets.not-committed): its repository carries the session
    expect(
      sessionOfName('image 718334751f92 localhost/podproof-mxcbpalbc1ff7f-control-commit-92:latest'),
    ).toBe('mxcbpalbc1ff7f');
  });
  it('reads unit names from systemctl list-units', () => {
    expect(
      unitNames(
        '● podman-pause-03064eec.scope loaded failed failed podman-pause-03064eec.scope\nrootless-netns-1a.scope loaded failed failed x\n',
      ),
    ).toEqual(['podman-pause-03064eec.scope', 'rootless-netns-1a.scope']);
    expect(unitNames('')).toEqual([]);
  });
});

describe('labelsWith', () => {
  it('matches a command that labels with the session, not a filter on it', () => {
    const label = 'io.podproof.session=abc123';
    expect(labelsWith(['podman', 'run', '--label', label, 'img'], label)).toBe(true);
    expect(labelsWith(['podman', 'create', `--label=${label}`, 'img'], label)).toBe(true);
    expect(labelsWith(['podman', 'ps', '--filter', `label=${label}`], label)).toBe(false);
    expect(labelsWith(['podman', 'run', '--label', 'io.podproof.session=other', 'img'], label)).toBe(false);
  });
});

describe('startsUnitOf', () => {
  it("matches a systemd-run or systemctl start of the session's unit, through sudo or setpriv, not a stop or another session's", () => {
    const id = 'abc123';
    expect(
      startsUnitOf(['systemd-run', '--user', '--unit', 'podproof-abc123-api-7.service', 'podman'], id),
    ).toBe(true);
    expect(startsUnitOf(['/usr/bin/systemd-run', '--unit=podproof-abc123-probe-2.service', 'x'], id)).toBe(
      true,
    );
    expect(
      startsUnitOf(
        ['setpriv', '--reuid=1001', 'systemctl', '--user', 'start', 'podproof-abc123-echo-3.socket'],
        id,
      ),
    ).toBe(true);
    expect(startsUnitOf(['systemctl', '--user', 'stop', 'podproof-abc123-echo-3.socket'], id)).toBe(false);
    expect(startsUnitOf(['systemd-run', '--unit', 'podproof-other-api-7.service', 'podman'], id)).toBe(false);
    // the unit's own process names its socket, not a unit it starts
    expect(
      startsUnitOf(['podman', 'system', 'service', 'unix:///run/user/1001/podproof-abc123-api-6.sock'], id),
    ).toBe(false);
  });
});

describe('unitsBySession', () => {
  it("groups unit files and loaded units by session, each name once, podproof sessions' units only", () => {
    const m = unitsBySession([
      'podproof-mxdhqra1767259-echo-3.socket',
      'podproof-mxdhqra1767259-echo-3.service',
      'podproof-mxdhqra1767259-api-7.service',
      'podproof-mxdhqra1767259-api-7.service', // as a file and loaded
      'podproof-mxdhtqld32cf2d-probe-1.service',
      'podproof-mxdhtqld32cf2d-echo.conf',
      // a host's own unit with podproof in its name (the VM pins its cpuset with one)
      'podproof-cpuset-pin.service',
      'dbus.socket',
    ]);
    expect(Object.fromEntries(m)).toEqual({
      mxdhqra1767259: [
        'podproof-mxdhqra1767259-echo-3.socket',
        'podproof-mxdhqra1767259-echo-3.service',
        'podproof-mxdhqra1767259-api-7.service',
      ],
      mxdhtqld32cf2d: ['podproof-mxdhtqld32cf2d-probe-1.service'],
    });
  });
});
