import { randomBytes } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import tmp from 'tmp';

/** The label every podman object the harness creates carries. */
export const SESSION_LABEL = 'io.podproof.session';
/** The label fixture images carry (kept between runs for reuse). */
export const FIXTURE_LABEL = 'io.podproof.fixture';

type Teardown = { name: string; fn: () => Promise<void> | void };

/**
 * One run of the harness: an id that labels everything it creates, and the teardown that
 * removes it all again, on success, failure, timeout and SIGINT alike.
 */
export class Session {
  readonly id: string;
  /** Aborted on SIGINT/SIGTERM: every running exec stops. */
  readonly abort = new AbortController();
  private readonly teardowns: Teardown[] = [];
  private tornDown: Promise<string[]> | undefined;

  constructor(id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`) {
    if (!/^[a-z0-9]+$/.test(id)) throw new Error(`session id must be [a-z0-9]+: ${id}`);
    this.id = id;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** `--label` value for podman. */
  get label(): string {
    return `${SESSION_LABEL}=${this.id}`;
  }

  /** A unique name for a container, unit or file: `podproof-SESSION-WHAT-N`. */
  name(what: string): string {
    nameCounter += 1;
    return `podproof-${this.id}-${what.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${nameCounter}`;
  }

  /** Register cleanup; run in reverse order at teardown. */
  onTeardown(name: string, fn: () => Promise<void> | void): void {
    this.teardowns.push({ name, fn });
  }

  /**
   * A temp dir for this session, world-readable so the rootless identity can read files the
   * harness puts there (image tarballs, wrapper scripts); removed at teardown.
   */
  tempDir(what: string): string {
    const dir = tmp.dirSync({ prefix: `podproof-${this.id}-${what}-`, mode: 0o755 }).name;
    chmodSync(dir, 0o755); // tmp applies the umask
    this.onTeardown(`temp dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Run every teardown once (later calls wait for the first); returns the failures. */
  teardown(): Promise<string[]> {
    this.tornDown ??= (async () => {
      const failures: string[] = [];
      for (const t of this.teardowns.splice(0).reverse()) {
        if (process.env.PODPROOF_DEBUG) console.error(`podproof[debug]: teardown: ${t.name}`);
        try {
          await t.fn();
        } catch (err) {
          failures.push(`${t.name}: ${(err as Error).message}`);
        }
      }
      return failures;
    })();
    return this.tornDown;
  }

  /**
   * On SIGINT/SIGTERM: abort running commands, tear down, exit 130/143. Returns a function that
   * removes the handlers again.
   */
  installSignalHandlers(
    onSignal?: (sig: NodeJS.Signals) => void,
    onFailure: (failure: string) => void = (f) => console.error(`podproof: cleanup failed: ${f}`),
  ): () => void {
    // Stay registered while tearing down: execa's signal-exit re-raises the signal (killing
    // the process mid-cleanup) as soon as it sees no other listener.
    let received: NodeJS.Signals | undefined;
    const handler = (sig: NodeJS.Signals) => {
      if (received) return; // a second Ctrl-C while cleaning up: keep cleaning up
      received = sig;
      onSignal?.(sig);
      this.abort.abort(new Error(`interrupted by ${sig}`));
      void this.teardown()
        .then((failures) => failures.forEach(onFailure))
        .finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }
}

let nameCounter = 0;
