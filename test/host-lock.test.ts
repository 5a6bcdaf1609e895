import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileLockHolders } from '../src/exec/procs.js';
import { type HeldLock, holdFileLock, LockBusy } from '../src/exec/run.js';
import { waitUntil } from '../src/exec/wait.js';
import { parseProcLocks } from '../src/parse/locks.js';
import { describeLockHolders } from '../src/runner/prove.js';
import { type FileLock, IdentityLock, LockGroup } from '../src/runner/rwlock.js';

const dir = mkdtempSync(join(tmpdir(), 'podproof-lock-test-'));
/** Processes a test started: killed at the end whatever the test did (a failed one leaves none). */
const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** An IdentityLock of its own on `file`, as another podproof process would have. */
const lockOn = (file: string, waits: string[] = []) =>
  new IdentityLock(
    (mode, signal) => holdFileLock(file, mode, { signal }),
    (mode) => waits.push(mode),
  );

/** Resolves to 'pending' when `p` has not settled by the time `other` has. */
const settledFirst = <T>(p: Promise<T>, other: Promise<unknown>) =>
  Promise.race([p.then(() => 'settled'), other.then(() => 'pending')]);

describe('who holds a lock file (a waiting run names it)', () => {
  it('/proc/locks lines: held and waiting, shared and exclusive', () => {
    const locks = parseProcLocks(
      '1: FLOCK  ADVISORY  READ  3187 00:2b:1234 0 EOF\n1: -> FLOCK  ADVISORY  WRITE 3190 00:2b:1234 0 EOF\n2: POSIX  ADVISORY  WRITE 14156 fe:00:2198532 0 EOF\n',
    );
    expect(locks).toEqual([
      { waiting: false, kind: 'FLOCK', mode: 'READ', pid: 3187, device: '00:2b', inode: 1234 },
      { waiting: true, kind: 'FLOCK', mode: 'WRITE', pid: 3190, device: '00:2b', inode: 1234 },
      { waiting: false, kind: 'POSIX', mode: 'WRITE', pid: 14156, device: 'fe:00', inode: 2198532 },
    ]);
  });

  it("finds this process's own flock holder of a file, and says it is this run's", async () => {
    const file = join(dir, 'who.lock');
    expect(fileLockHolders(file)).toEqual([]);
    const held = await holdFileLock(file, 'shared');
    try {
      const holders = fileLockHolders(file);
      expect(holders).toHaveLength(1);
      expect(holders[0]?.mode).toBe('shared');
      expect(describeLockHolders(holders, process.pid)).toBe('held shared by this run itself');
      expect(describeLockHolders(holders, process.pid + 1)).toBe(
        `held shared by podproof run PID ${process.pid}`,
      );
    } finally {
      await held.release();
    }
    expect(fileLockHolders(file)).toEqual([]);
    expect(describeLockHolders([], 1)).toBe('no holder listed in /proc/locks');
  });
});

describe('two runs, each with both identities, whose exclusive claims cross (a deadlock seen in 1 round of 5)', () => {
  it('a contended exclusive hold is waited for holding nothing host-wide, so both runs end', async () => {
    const files = { rootful: join(dir, 'cross-rootful.lock'), rootless: join(dir, 'cross-rootless.lock') };
    const run = () => {
      const group = new LockGroup();
      const lock = (file: string, rank: number) =>
        new IdentityLock(
          (mode, signal, nonblock) => holdFileLock(file, mode, { signal, nonblock }),
          undefined,
          group,
          rank,
        );
      return { rootful: lock(files.rootful, 1), rootless: lock(files.rootless, 0) };
    };
    const a = run();
    const b = run();
    // both runs hold both identities shared for their teardown, as prove does, in the one order
    const holdsOf = async (r: ReturnType<typeof run>) => [await r.rootless.hold(), await r.rootful.hold()];
    const [holdsA, holdsB] = [await holdsOf(a), await holdsOf(b)];
    // each run: its exclusive claim (a rootless one, b a rootful one), then its end. A run that
    // waited for one identity holding the other's shared hold, beside one that did the same the
    // other way round, waited forever
    const runToEnd = async (lock: IdentityLock, holds: (() => Promise<void>)[]) => {
      const release = await lock.acquire(true);
      await release();
      for (const drop of holds) await drop();
    };
    await Promise.all([runToEnd(a.rootless, holdsA), runToEnd(b.rootful, holdsB)]);
    expect(fileLockHolders(files.rootful)).toEqual([]);
    expect(fileLockHolders(files.rootless)).toEqual([]);
  });
});

/**
 * flock(2)'s rules in memory, for orders the kernel decides: a hold is granted while nothing
 * conflicts (waiters do not block a shared request), and a release grants the waiters it frees
 * at once, before the releasing run goes on, the order the race tests need.
 */
function memoryFileLock(): FileLock & { mode(): string } {
  let shared = 0;
  let exclusive = false;
  const waiting: { mode: 'shared' | 'exclusive'; grant: (h: HeldLock) => void }[] = [];
  const free = (mode: 'shared' | 'exclusive') => !exclusive && (mode === 'shared' || shared === 0);
  const hold = (mode: 'shared' | 'exclusive'): HeldLock => {
    if (mode === 'exclusive') exclusive = true;
    else shared++;
    return {
      release: async () => {
        if (mode === 'exclusive') exclusive = false;
        else shared--;
        for (let w = waiting[0]; w && free(w.mode); w = waiting[0]) {
          waiting.shift();
          w.grant(hold(w.mode));
        }
        return undefined;
      },
    };
  };
  const take: FileLock = async (mode, _signal, nonblock) => {
    if (free(mode)) return hold(mode);
    if (nonblock) throw new LockBusy('memory', mode);
    return new Promise((grant) => waiting.push({ mode, grant }));
  };
  return Object.assign(take, {
    mode: () => (exclusive ? 'exclusive' : shared ? `shared x${shared}` : 'free'),
  });
}

describe("a run's apparatus is gone before another run holds the identity alone (a sink container met by systemd.userns-precreated, 1 round of 5)", () => {
  /** Runs A and B on one identity, both holding it for their run; A's apparatus is up. */
  const twoRuns = async () => {
    const file = memoryFileLock();
    const a = new IdentityLock(file);
    const b = new IdentityLock(file);
    const apparatusOfA = { up: true, removals: 0 };
    a.beforeYield = async () => {
      if (apparatusOfA.up) apparatusOfA.removals++;
      apparatusOfA.up = false;
      return [];
    };
    return { file, a, b, apparatusOfA, holdA: await a.hold(), holdB: await b.hold() };
  };
  /**
   * B's exclusive claim once granted: does A's apparatus stay up (podman would join its
   * containers' namespace)? As systemd.userns-precreated, it waits a bounded time for it to go.
   */
  const bAloneMeets = async (b: IdentityLock, apparatusOfA: { up: boolean }) => {
    const release = await b.acquire(true, undefined, { yieldFirst: true });
    const gone = await waitUntil(() => !apparatusOfA.up, 2_000, 10);
    await release();
    return !gone;
  };

  it('B waits for A; A, to hold it alone too, gives the shared hold up: B gets it, A has removed its apparatus', async () => {
    const { a, b, apparatusOfA, holdA, holdB } = await twoRuns();
    const bMet = bAloneMeets(b, apparatusOfA);
    await new Promise((r) => setImmediate(r));
    // A's claim keeps the run's apparatus (yieldFirst false): it goes because B got the identity
    const releaseA = a.acquire(true);
    expect(await bMet).toBe(false);
    expect(apparatusOfA.removals).toBe(1);
    await holdB(); // B's run ends; A's claim gets the identity alone
    await (await releaseA)();
    await holdA();
  });

  it("B waits while A holds it alone; A's release grants B first: A's resumed shared hold waits, its apparatus gone", async () => {
    const { file, a, b, apparatusOfA, holdA, holdB } = await twoRuns();
    await holdB(); // B's own run hold dropped (ended), only its claim's wait below
    const releaseA = await a.acquire(true); // A alone: its keeping claim runs
    expect(file.mode()).toBe('exclusive');
    const bMet = bAloneMeets(b, apparatusOfA);
    await new Promise((r) => setImmediate(r));
    apparatusOfA.up = true; // A's keeping claim made it
    apparatusOfA.removals = 0;
    const aDone = releaseA(); // B is granted at once; A's shared hold must wait for B
    expect(await bMet).toBe(false);
    await aDone;
    expect(apparatusOfA.removals).toBe(1);
    await holdA();
  });

  it('what the yield could not remove reaches the claim that yielded (its row), not only a progress line', async () => {
    const { a, holdA, holdB } = await twoRuns();
    await holdB();
    a.beforeYield = async () => ['remove sink container podproof-x-sink-1: exit 125'];
    const failures: string[] = [];
    const release = await a.acquire(true, undefined, { yieldFirst: true, failures });
    expect(failures).toEqual(['remove sink container podproof-x-sink-1: exit 125']);
    await release();
    await holdA();
  });

  it('a lone run that keeps its apparatus keeps it (nothing contended)', async () => {
    const { a, apparatusOfA, holdA, holdB } = await twoRuns();
    await holdB(); // B is gone
    const releaseA = await a.acquire(true);
    await releaseA();
    expect(apparatusOfA).toEqual({ up: true, removals: 0 });
    await holdA();
  });
});

describe('IdentityLock across processes (flock)', () => {
  it("the holder's waiting process keeps none of the launch's descriptors", async () => {
    // under `sudo -n` the harness cannot kill the holder's group: a waiter still on the launch's
    // stdout kept sudo (and the release) from ever ending
    const file = join(dir, 'fds.lock');
    const held = await holdFileLock(file, 'shared');
    try {
      const findWaiter = () =>
        readdirSync('/proc')
          .filter((p) => /^\d+$/.test(p))
          .find((p) => {
            try {
              const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
              return argv[0]?.endsWith('tail') && argv.includes(`--pid=${process.pid}`);
            } catch {
              return false;
            }
          });
      // the holder says `held` just before its shell execs the waiting tail: wait for the exec
      let waiter: string | undefined;
      await waitUntil(
        () => {
          waiter = findWaiter();
          return waiter !== undefined;
        },
        10_000,
        20,
      );
      expect(waiter).toBeDefined();
      for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${waiter}/fd/${fd}`)).toBe('/dev/null');
    } finally {
      await held.release();
    }
  });
  it("an exclusive hold keeps another lock's claims waiting until it is released", async () => {
    const file = join(dir, 'a.lock');
    const first = lockOn(file);
    const waits: string[] = [];
    const second = lockOn(file, waits);
    const release = await first.acquire(true);
    const shared = second.acquire(false);
    // another shared hold of the first lock's file answers only once the exclusive one is gone
    const probe = holdFileLock(file, 'exclusive', { signal: AbortSignal.timeout(1_500) }).then(
      (h) => h.release(),
      () => 'refused',
    );
    expect(await probe).toBe('refused');
    expect(await settledFirst(shared, Promise.resolve())).toBe('pending');
    await release();
    const releaseShared = await shared;
    expect(waits).toEqual(['shared']);
    await releaseShared();
  });

  it('shared holds of two locks go together; their claims share one file lock each', async () => {
    const file = join(dir, 'b.lock');
    const [a, b] = [lockOn(file), lockOn(file)];
    const held = await Promise.all([a.acquire(false), a.acquire(false), b.acquire(false)]);
    for (const release of held) await release();
  });

  it('a wait given up (the run deadline) holds nothing', async () => {
    const file = join(dir, 'c.lock');
    const holder = await lockOn(file).acquire(true);
    const late = lockOn(file);
    await expect(late.acquire(false, AbortSignal.timeout(300))).rejects.toThrow(/gave up waiting/);
    await holder();
    const again = await late.acquire(true);
    await again();
  });

  it('a holder whose process was SIGKILLed blocks no one', async () => {
    const file = join(dir, 'd.lock');
    // another run: a node process, and flock holding the file until that process ends (as holdFileLock does)
    const run: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    started.push(run);
    const holder = spawn(
      'flock',
      [
        '--close',
        '--exclusive',
        file,
        'sh',
        '-c',
        'echo held && exec tail --pid="$1" -f /dev/null </dev/null >/dev/null 2>&1',
        'sh',
        String(run.pid),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    started.push(holder);
    await new Promise<void>((resolve) =>
      holder.stdout?.on('data', (d) => /held/.test(String(d)) && resolve()),
    );
    const waiting = lockOn(file).acquire(true);
    run.kill('SIGKILL');
    const release = await waiting;
    await release();
    expect(holder.exitCode ?? (await new Promise((r) => holder.once('exit', r)))).toBe(0);
  });
});
