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
 * One identity of a run, in this process and across processes (another run, a vitest worker).
 * The run holds it shared from its first podman call to the end of its teardown ({@link hold}),
 * and so does each claim ({@link acquire}); an `exclusive` claim holds it alone, in the process
 * (its other claims wait) and host-wide (other runs' podman calls of this identity wait).
 */
export class IdentityLock {
  private readonly here = new RwLock();
  /** Shared needs of this process: the run's own hold and its running claims. */
  private needs = 0;
  /** The host-wide shared lock held for them. */
  private file: Promise<HeldLock> | undefined;

  /**
   * `take` takes the host-wide lock (none: in this process only); `onWait` hears once when
   * another process keeps this one waiting for more than a second.
   */
  constructor(
    private readonly take: FileLock | undefined,
    private readonly onWait?: (mode: 'shared' | 'exclusive') => void,
  ) {}

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
    const releaseHere = await this.here.acquire(exclusive);
    try {
      if (exclusive) {
        // no claim of this process holds it now (`here`): the run's own shared hold yields
        await this.dropFile();
        const held = await this.waitFor(this.takeFile('exclusive', signal), 'exclusive');
        return async () => {
          try {
            await held.release();
            if (this.needs > 0) await this.sharedFile();
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

  private async waitFor(held: Promise<HeldLock>, mode: 'shared' | 'exclusive'): Promise<HeldLock> {
    const timer = setTimeout(() => this.onWait?.(mode), 1_000);
    try {
      return await held;
    } finally {
      clearTimeout(timer);
    }
  }
}
