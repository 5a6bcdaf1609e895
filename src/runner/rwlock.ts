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

/** The claims of one identity, in this process and across processes (another run, a vitest worker). */
export class IdentityLock {
  private readonly here = new RwLock();
  private sharedHolders = 0;
  private sharedFile: Promise<HeldLock> | undefined;

  /**
   * `file` takes the host-wide lock; `onWait` hears once when another process keeps this one
   * waiting for more than a second.
   */
  constructor(
    private readonly file: FileLock,
    private readonly onWait?: (mode: 'shared' | 'exclusive') => void,
  ) {}

  /**
   * Hold the identity shared (most claims) or alone (`exclusive`): first in this process (fair,
   * in arrival order), then host-wide, where this process's shared holders share one file lock.
   * A `signal` that aborts while another process holds it rejects (nothing held).
   */
  async acquire(exclusive: boolean, signal?: AbortSignal): Promise<() => Promise<void>> {
    const releaseHere = await this.here.acquire(exclusive);
    try {
      if (exclusive) {
        const held = await this.waitFor(this.file('exclusive', signal), 'exclusive');
        return async () => {
          await held.release();
          releaseHere();
        };
      }
      this.sharedHolders++;
      this.sharedFile ??= this.file('shared', signal);
      const file = this.sharedFile;
      try {
        await this.waitFor(file, 'shared');
      } catch (err) {
        if (--this.sharedHolders === 0 && this.sharedFile === file) this.sharedFile = undefined;
        throw err;
      }
      return async () => {
        if (--this.sharedHolders === 0 && this.sharedFile === file) {
          this.sharedFile = undefined;
          await (await file).release();
        }
        releaseHere();
      };
    } catch (err) {
      releaseHere();
      throw err;
    }
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
