import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EvidenceLog } from '../src/exec/evidence.js';
import { exec, succeeded } from '../src/exec/run.js';
import { Session, writerThroughSudo } from '../src/exec/session.js';
import { waitUntil } from '../src/exec/wait.js';

describe('exec', () => {
  it('records argv, exit code, output and duration as evidence', async () => {
    const log = new EvidenceLog();
    const e = await exec(['sh', '-c', 'echo out; echo err >&2; exit 3'], { log, purpose: 'test' });
    expect(e).toMatchObject({
      argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
      purpose: 'test',
      identity: 'host',
    });
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(log.entries).toEqual([e]);
    expect(succeeded(e)).toBe(false);
  });
  it('a missing binary is a harness failure, not an exit code', async () => {
    const e = await exec(['/nonexistent/podman', 'info']);
    expect(e.failure).toBe('missing-binary');
    expect(succeeded(e)).toBe(false);
  });
  it('a timeout kills the process and says so', async () => {
    const e = await exec(['sleep', '30'], { timeoutMs: 200 });
    expect(e.failure).toBe('timeout');
  });
  it('an abort kills the process and says so', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await exec(['sleep', '30'], { signal: ac.signal });
    expect(e.failure).toBe('aborted');
  });
  it('an abort that came first starts nothing (teardown may have listed what there is)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podproof-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const e = await exec(['touch', join(dir, 'made')], { signal: AbortSignal.abort() });
    expect(e.failure).toBe('aborted');
    expect(existsSync(join(dir, 'made'))).toBe(false);
  });

  it('an abort with a way to stop tries that first and leaves the process to end by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podproof-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const flag = join(dir, 'stop');
    const ac = new AbortController();
    const running = exec(['sh', '-c', `while [ ! -e ${flag} ]; do sleep 0.05; done; echo ended by itself`], {
      signal: ac.signal,
      onAbort: { graceMs: 30_000, stop: async () => writeFileSync(flag, '') },
    });
    ac.abort();
    const e = await running;
    expect(e.stdout).toContain('ended by itself');
    expect(e.signal).toBeNull();
    expect(e.failure).toBe('aborted');
  });

  it('an abort whose stop does not end the process signals it once the grace is over', async () => {
    const ac = new AbortController();
    const stops: number[] = [];
    const running = exec(['sleep', '30'], {
      signal: ac.signal,
      onAbort: { graceMs: 300, stop: async () => void stops.push(1) },
    });
    ac.abort();
    const e = await running;
    expect(e.failure).toBe('aborted');
    expect(e.signal).toBe('SIGTERM');
    expect(stops.length).toBeGreaterThan(0);
  });

  it('a crash keeps its signal', async () => {
    const e = await exec(['sh', '-c', 'kill -SEGV $$']);
    expect(e.signal).toBe('SIGSEGV');
    expect(succeeded(e)).toBe(false);
  });
  it('passes standard input', async () => {
    expect((await exec(['cat'], { input: 'hello' })).stdout).toBe('hello');
  });
});

describe('a command the harness kills', () => {
  it('takes what it started along: a background child holding the output does not keep exec waiting', async () => {
    const e = await exec(['sh', '-c', 'sleep 60 & echo $!; exec sleep 61'], { timeoutMs: 500 });
    expect(e.failure).toBe('timeout');
    const orphan = Number(e.stdout.trim());
    expect(orphan).toBeGreaterThan(1);
    // reaped by init once killed; a zombie for a moment at most
    const state = () => {
      try {
        return readFileSync(`/proc/${orphan}/stat`, 'utf8').split(' ')[2];
      } catch {
        return 'gone';
      }
    };
    expect(await waitUntil(() => ['gone', 'Z'].includes(state() ?? ''), 5_000)).toBe(true);
  }, 30_000);
});

describe('exec until', () => {
  it('stops the command once its output has the answer, and that is not a failure', async () => {
    const e = await exec(['sh', '-c', 'echo hello; exec sleep 30'], {
      until: (out) => out.includes('hello\n'),
    });
    expect(e).toMatchObject({ answered: true, stdout: 'hello\n' });
    expect(e.failure).toBeUndefined();
  });
  it("stops the command when the caller's `enough` aborts, and that is not a failure either", async () => {
    const enough = new AbortController();
    const e = exec(['sh', '-c', 'echo started; exec sleep 30'], {
      until: (out) => {
        if (out.includes('started')) enough.abort();
        return false;
      },
      enough: enough.signal,
    });
    expect(await e).toMatchObject({ answered: true, stdout: 'started\n' });
    expect((await e).failure).toBeUndefined();
  });
  it('is still a timeout when the answer never comes', async () => {
    const e = await exec(['sleep', '30'], { until: (out) => out.includes('x'), timeoutMs: 300 });
    expect(e.failure).toBe('timeout');
    expect(e.answered).toBeUndefined();
  });
});

describe('a temp dir another identity writes in', () => {
  const who = (via: 'self' | 'setpriv' | 'sudo') =>
    ({ name: 'rootful', user: 'root', uid: 0, gid: 0, home: '/root', runtimeDir: '/run', via }) as const;
  it('is removed by that identity only when it is root through sudo (its files are not ours)', () => {
    expect(writerThroughSudo(who('sudo'))?.name).toBe('rootful');
    expect(writerThroughSudo(who('self'))).toBeUndefined();
    expect(writerThroughSudo(who('setpriv'))).toBeUndefined();
    expect(writerThroughSudo(undefined)).toBeUndefined();
  });
  it('is journaled with its writer, so `clean` removes it the same way after a SIGKILL', () => {
    const journals = mkdtempSync(join(tmpdir(), 'podproof-test-journal-'));
    onTestFinished(() => rmSync(journals, { recursive: true, force: true }));
    const s = new Session('abc124', journals);
    const dir = s.tempDir('keys', { writer: who('sudo') });
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const entries = readFileSync(join(journals, 'abc124.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries).toContainEqual(
      expect.objectContaining({ kind: 'tempdir', path: dir, writer: 'rootful' }),
    );
  });
});

describe('Session', () => {
  it('labels with its id and tears down temp dirs once, in reverse order', async () => {
    const journals = mkdtempSync(join(tmpdir(), 'podproof-test-journal-'));
    onTestFinished(() => rmSync(journals, { recursive: true, force: true }));
    const s = new Session('abc123', journals);
    expect(s.label).toBe('io.podproof.session=abc123');
    expect(s.name('probe')).toMatch(/^podproof-abc123-probe-\d+$/);
    const dir = s.tempDir('t');
    const order: string[] = [];
    s.onTeardown('first', () => void order.push('first'));
    s.onTeardown('second', () => void order.push('second'));
    s.onTeardown('broken', () => {
      throw new Error('boom');
    });
    expect(await s.teardown()).toEqual(['broken: boom']);
    expect(order).toEqual(['second', 'first']);
    expect(existsSync(dir)).toBe(false);
    expect(await s.teardown()).toEqual(['broken: boom']);
  });
  it('rejects ids that cannot be labels or unit names', () => {
    expect(() => new Session('a b')).toThrow();
  });
});

describe('exec with a loginuid', () => {
  const self = readFileSync('/proc/self/loginuid', 'utf8').trim();
  const capEff = /^CapEff:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const canSet = self === '4294967295' && ((BigInt(`0x${capEff}`) >> 30n) & 1n) === 1n;

  it('starts the command with that audit login UID (root with CAP_AUDIT_CONTROL only)', async (ctx) => {
    if (!canSet) return ctx.skip('needs root with CAP_AUDIT_CONTROL and an unset loginuid');
    const e = await exec(['cat', '/proc/self/loginuid'], { loginuid: 4321 });
    expect(e).toMatchObject({ exitCode: 0, stdout: '4321', loginuid: 4321 });
    // the harness itself keeps its own
    expect(readFileSync('/proc/self/loginuid', 'utf8').trim()).toBe(self);
  });
});

describe('EvidenceLog', () => {
  it('a child log keeps its own entries and passes each one to its parent', async () => {
    const run = new EvidenceLog();
    const claim = new EvidenceLog(run);
    const e = await exec(['true'], { log: claim });
    await exec(['true'], { log: run });
    expect(claim.entries).toEqual([e]);
    expect(run.count).toBe(2);
  });
});

describe('which', async () => {
  const { which } = await import('../src/exec/which.js');
  it('finds an executable on PATH, checks a path as given, and says undefined otherwise', () => {
    expect(which('sh', { PATH: '/nonexistent:/bin:/usr/bin' })).toMatch(/^\/(usr\/)?bin\/sh$/);
    expect(which('sh', { PATH: '/nonexistent' })).toBeUndefined();
    expect(which('/bin/sh', { PATH: '' })).toBe('/bin/sh');
    expect(which('/etc/passwd')).toBeUndefined(); // exists, not executable
  });
});

describe('waitUntil', async () => {
  const { waitUntil } = await import('../src/exec/wait.js');
  it('resolves true as soon as the condition holds, false at the deadline', async () => {
    let n = 0;
    expect(await waitUntil(() => ++n >= 3, 5_000, 10)).toBe(true);
    expect(n).toBe(3);
    expect(await waitUntil(async () => false, 50, 10)).toBe(false);
  });
  it('ends at once with false when its signal is aborted', async () => {
    const abort = new AbortController();
    let checks = 0;
    const waiting = waitUntil(
      () => {
        checks += 1;
        if (checks === 2) abort.abort();
        return false;
      },
      600_000,
      10,
      abort.signal,
    );
    await expect(waiting).resolves.toBe(false);
    expect(checks).toBe(2);
  });
});
