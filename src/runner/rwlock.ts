import { type HeldLock, LockBusy } from '../exec/run.js';

/**
 * A fair readers-writer lock: many shared holders or one exclusive holder, granted in arrival
 * order. Claims marked `exclusive` take it exclusively per identity.
 */
export class RwLock {
  private shared = 0;
  private exclusive = false;
  private readonly queue: { exclusive: boolean; grant: () => void }[] = [];

  /** Wait for the lock; call the returned function to release it. */
  acquire(exclusive: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({ exclusive, grant: () => resolve(() => this.release(exclusive)) });
      this.drain();
    });
  }

  private release(exclusive: boolean): void {
    if (exclusive) this.exclusive = false;
    else this.shared--;
    this.drain();
  }

  private drain(): void {
    while (this.queue.length) {
      const next = this.queue[0];
      if (!next) return;
      const free = next.exclusive ? !this.exclusive && this.shared === 0 : !this.exclusive;
      if (!free) return;
      this.queue.shift();
      if (next.exclusive) this.exclusive = true;
      else this.shared++;
      next.grant();
    }
  }
}

/** A lock other podproof processes honour too: `flock(2)` on a file (see holdFileLock). */
export type FileLock = (
  mode: 'shared' | 'exclusive',
  signal?: AbortSignal,
  nonblock?: boolean,
) => Promise<HeldLock>;

/**
 * The identities of one process, ranked alike in every process: rootless first, then rootful
 * (`LOCK_ORDER`). An exclusive claim first *tries* its identity's exclusive lock without waiting,
 * keeping every other shared hold (a lone run always gets it: the lock costs it nothing). Where
 * another run holds it, the claim pauses its own identity and those ranked after it (their
 * in-process locks, in rank order), drops their shared holds and waits, holding only the shared
 * locks of identities ranked before it. A run thus never waits for a lock while it holds one
 * ranked after it, and a run that holds an exclusive lock waits for nothing until its claim is
 * done, so no two runs can wait on each other (seen before: two runs, each done with one identity
 * and holding it shared for its teardown, each waiting for the other's exclusive hold, forever).
 * Rootless ranks first because its shared hold is what keeps a run's rootless containers safe
 * from another run's `systemd.userns-precreated` (podman would join their user namespace): a
 * rootful exclusive claim that waits keeps it.
 */
export class LockGroup {
  private readonly ranked: { lock: IdentityLock; rank: number }[] = [];

  /** Add a member at `rank` (every process must rank identities alike: see `LOCK_ORDER`). */
  add(lock: IdentityLock, rank: number): void {
    this.ranked.push({ lock, rank });
    this.ranked.sort((a, b) => a.rank - b.rank);
  }

  /** The members in rank order. */
  get members(): IdentityLock[] {
    return this.ranked.map((m) => m.lock);
  }
}

/**
 * One identity of a run, in this process and across processes (another run, a vitest worker).
 * The run holds it shared from its first podman call to the end of its teardown ({@link hold}),
 * and so does each claim ({@link acquire}); an `exclusive` claim holds it alone, in the process
 * (every other claim of its {@link LockGroup} waits) and host-wide (other runs' podman calls of
 * this identity wait).
 */
export class IdentityLock {
  /** This identity's claims in this process: many shared, or one exclusive. */
  private readonly here = new RwLock();
  /** Shared needs of this process: the run's own hold and its running claims. */
  private needs = 0;
  /** The host-wide shared lock held for them. */
  private file: Promise<HeldLock> | undefined;
  /**
   * What the run keeps of this identity between claims (its shared apparatus: a sink container),
   * removed before a contended exclusive claim gives up the shared hold: the run that gets the
   * identity alone must not meet it (`systemd.userns-precreated` waits for no container of the
   * store to run). Called while this process runs no other claim of the identity; it returns
   * what it could not remove, which the hold that yielded reports (`failures` of acquire).
   */
  beforeYield?: () => Promise<string[]>;

  /**
   * `take` takes the host-wide lock (none: in this process only); `onWait` hears when another
   * process keeps this one waiting for more than a second, and every 30 s after.
   */
  constructor(
    private readonly take: FileLock | undefined,
    private readonly onWait?: (mode: 'shared' | 'exclusive', waitedS: number) => void,
    private readonly group: LockGroup = new LockGroup(),
    rank = group.members.length,
  ) {
    group.add(this, rank);
  }

  /** The run's own shared hold: before its first podman call of this identity, released after its teardown. */
  async hold(signal?: AbortSignal): Promise<() => Promise<void>> {
    this.needs++;
    try {
      await this.sharedFile(signal);
    } catch (err) {
      this.needs--;
      throw err;
    }
    return async () => {
      if (--this.needs === 0) await this.dropFile();
    };
  }

  /**
   * Hold the identity shared (most claims) or alone (`exclusive`): first in this process (fair,
   * in arrival order), then host-wide. A `signal` that aborts while another process holds it
   * rejects (nothing held). `failures` gets what the identities' `beforeYield` could not remove
   * while this hold was taken or given back: the claim that yielded reports it.
   */
  async acquire(
    exclusive: boolean,
    signal?: AbortSignal,
    opts: { yieldFirst?: boolean; failures?: string[] } = {},
  ): Promise<() => Promise<void>> {
    if (exclusive) return this.acquireExclusive(signal, opts.yieldFirst === true, opts.failures ?? []);
    const releaseHere = await this.here.acquire(false);
    try {
      // a claim's shared need is the run's kind of hold, inside this process's lock
      const drop = await this.hold(signal);
      return async () => {
        try {
          await drop();
        } finally {
          releaseHere();
        }
      };
    } catch (err) {
      releaseHere();
      throw err;
    }
  }

  /**
   * An exclusive claim's hold (see {@link LockGroup}): this identity paused in this process and
   * its shared hold dropped (`yieldFirst`: what the run keeps of it removed before); then its exclusive lock, tried without waiting; where another run
   * holds it, the identities ranked from this one on paused and dropped, and the lock waited for.
   */
  private async acquireExclusive(
    signal: AbortSignal | undefined,
    yieldFirst: boolean,
    failures: string[],
  ): Promise<() => Promise<void>> {
    let releaseHere = await this.here.acquire(true);
    let paused: IdentityLock[] = [this];
    try {
      // a run waiting for the identity alone gets it the moment the shared hold goes: a claim
      // that does not keep the run's apparatus removes it first
      if (yieldFirst) await this.yieldApparatus(failures);
      await this.dropFile();
      let held = await this.tryFile('exclusive', signal);
      if (!held) {
        // contended: its shared hold back while the identities ranked after it drain (their
        // in-process locks, in rank order; this one, the first, is held already): dropped
        // only for the wait itself, it keeps its own containers out of other runs' exclusive
        // claims as long as it can (where another run holds it alone already, see resumeShared)
        await this.resumeShared([this], failures);
        const releases: (() => void)[] = [releaseHere];
        releaseHere = () => {
          for (const r of releases.splice(0).reverse()) r();
        };
        paused = this.group.members.slice(this.group.members.indexOf(this));
        for (const m of paused) if (m !== this) releases.push(await m.here.acquire(true));
        // what the run keeps of each goes before its shared hold: the run that gets one alone
        // must not meet it
        for (const m of paused) {
          await m.yieldApparatus(failures);
          await m.dropFile();
        }
        held = await this.waitFor(this.takeFile('exclusive', signal), 'exclusive');
      }
      const exclusive = held;
      return async () => {
        try {
          await exclusive.release();
          await this.resumeShared(paused, failures);
        } finally {
          releaseHere();
        }
      };
    } catch (err) {
      await this.resumeShared(paused, failures).catch(() => undefined);
      releaseHere();
      throw err;
    }
  }

  /**
   * After an exclusive hold: the shared holds these identities still need, again, in order. One
   * another run took alone in between (its waiting exclusive claim got it first) first loses
   * what this run keeps of it: that claim would meet it, and this run waits on that claim.
   */
  private async resumeShared(members: IdentityLock[], failures: string[]): Promise<void> {
    for (const m of members) {
      if (m.needs === 0) continue;
      if (!m.file) {
        const held = await m.tryFile('shared');
        if (held) m.file = Promise.resolve(held);
        else await m.yieldApparatus(failures);
      }
      await m.sharedFile();
    }
  }

  /** What the run keeps of this identity removed ({@link beforeYield}), its failures added to `failures`. */
  private async yieldApparatus(failures: string[]): Promise<void> {
    failures.push(...((await this.beforeYield?.()) ?? []));
  }

  /** The host-wide lock without waiting: undefined where another process holds it. */
  private tryFile(mode: 'shared' | 'exclusive', signal?: AbortSignal): Promise<HeldLock | undefined> {
    return this.takeFile(mode, signal, true).catch((err: unknown) => {
      if (err instanceof LockBusy) return undefined;
      throw err;
    });
  }

  private takeFile(mode: 'shared' | 'exclusive', signal?: AbortSignal, nonblock = false): Promise<HeldLock> {
    return this.take
      ? this.take(mode, signal, nonblock)
      : Promise.resolve({ release: async () => undefined });
  }

  private sharedFile(signal?: AbortSignal): Promise<HeldLock> {
    if (!this.file) {
      const file = this.takeFile('shared', signal);
      this.file = file;
      file.catch(() => {
        if (this.file === file) this.file = undefined;
      });
    }
    return this.waitFor(this.file, 'shared');
  }

  private async dropFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    const held = await file?.catch(() => undefined);
    await held?.release();
  }

  /** Wait for a host-wide hold; `onWait` hears after a second and then every 30 s, with the seconds waited. */
  private async waitFor(held: Promise<HeldLock>, mode: 'shared' | 'exclusive'): Promise<HeldLock> {
    const from = performance.now();
    const say = () => this.onWait?.(mode, Math.round((performance.now() - from) / 1000));
    let repeat: ReturnType<typeof setInterval> | undefined;
    const timer = setTimeout(() => {
      say();
      repeat = setInterval(say, 30_000);
    }, 1_000);
    try {
      return await held;
    } finally {
      clearTimeout(timer);
      clearInterval(repeat);
    }
  }
}
