import type { HeldLock } from '../exec/run.js';

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
export type FileLock = (mode: 'shared' | 'exclusive', signal?: AbortSignal) => Promise<HeldLock>;

/**
 * The identities of one process: one in-process lock for all of them, so an `exclusive` claim
 * runs with no other claim of the process running, whatever its identity. It then holds no
 * host-wide lock but its own identity's exclusive one: a process that waited for one identity
 * while it held another's shared could wait forever on a second run doing the same the other
 * way round (seen: two runs, each done with one identity and holding it for its teardown, each
 * waiting for the other's); holding none while it waits, and waiting for nothing while it holds
 * an exclusive lock, no two runs can wait on each other.
 */
export class LockGroup {
  readonly here = new RwLock();
  readonly members: IdentityLock[] = [];
}

/**
 * One identity of a run, in this process and across processes (another run, a vitest worker).
 * The run holds it shared from its first podman call to the end of its teardown ({@link hold}),
 * and so does each claim ({@link acquire}); an `exclusive` claim holds it alone, in the process
 * (every other claim of its {@link LockGroup} waits) and host-wide (other runs' podman calls of
 * this identity wait).
 */
export class IdentityLock {
  /** Shared needs of this process: the run's own hold and its running claims. */
  private needs = 0;
  /** The host-wide shared lock held for them. */
  private file: Promise<HeldLock> | undefined;

  /**
   * `take` takes the host-wide lock (none: in this process only); `onWait` hears when another
   * process keeps this one waiting for more than a second, and every 30 s after.
   */
  constructor(
    private readonly take: FileLock | undefined,
    private readonly onWait?: (mode: 'shared' | 'exclusive', waitedS: number) => void,
    private readonly group: LockGroup = new LockGroup(),
  ) {
    group.members.push(this);
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
   * rejects (nothing held).
   */
  async acquire(exclusive: boolean, signal?: AbortSignal): Promise<() => Promise<void>> {
    const releaseHere = await this.group.here.acquire(exclusive);
    try {
      if (exclusive) {
        // no claim of this process runs now (`here`): the run's shared holds of every identity
        // yield, so it holds nothing host-wide while it waits (see LockGroup)
        for (const m of this.group.members) await m.dropFile();
        let held: HeldLock;
        try {
          held = await this.waitFor(this.takeFile('exclusive', signal), 'exclusive');
        } catch (err) {
          await this.resumeShared();
          throw err;
        }
        return async () => {
          try {
            await held.release();
            await this.resumeShared();
          } finally {
            releaseHere();
          }
        };
      }
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

  /** After an exclusive hold: the shared holds the group's identities still need, again. */
  private async resumeShared(): Promise<void> {
    for (const m of this.group.members) if (m.needs > 0) await m.sharedFile();
  }

  private takeFile(mode: 'shared' | 'exclusive', signal?: AbortSignal): Promise<HeldLock> {
    return this.take ? this.take(mode, signal) : Promise.resolve({ release: async () => undefined });
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
