import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tmp from 'tmp';
import { describeEvidence } from './evidence.js';
import type { Identity } from './identity.js';
import { Journal, type JournalEntry, processStartTime, sessionStrays } from './journal.js';
import { type BackgroundProcess, type ExecOptions, exec, spawnBackground } from './run.js';

/**
 * The identity a temp dir's writer must be removed by: root through `sudo -n` from a normal user
 * leaves root-owned files the harness itself cannot remove (gpg's keyring, a signature store).
 */
export function writerThroughSudo(who: Identity | undefined): Identity | undefined {
  return who?.via === 'sudo' ? who : undefined;
}

/** Remove a session temp dir, as its writer when that is another identity (see {@link writerThroughSudo}). */
export async function removeTempDir(dir: string, writer?: Identity): Promise<void> {
  if (!writer) return rmSync(dir, { recursive: true, force: true });
  const e = await exec(['rm', '-rf', '--', dir], { identity: writer, timeoutMs: 60_000, purpose: 'cleanup' });
  if (e.exitCode !== 0) throw new Error(`rm -rf ${dir} as ${writer.name}: ${describeEvidence(e)}`);
}

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
  /** What the session makes, written ahead for `podproof clean` (see {@link Journal}). */
  readonly journal: Journal;
  private readonly teardowns: Teardown[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private tornDown: Promise<string[]> | undefined;

  constructor(id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`, journalDir?: string) {
    if (!/^[a-z0-9]+$/.test(id)) throw new Error(`session id must be [a-z0-9]+: ${id}`);
    this.id = id;
    this.journal = new Journal(id, journalDir);
  }

  /** Write an entry to the journal before making what it names. */
  record(entry: JournalEntry): void {
    this.refuseWhenEnding(entry.kind);
    this.journal.record(entry);
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
   * harness puts there (image tarballs, wrapper scripts); removed at teardown. `owner`: the dir
   * is that identity's (chowned when the harness runs as root; otherwise it is the harness's
   * own user's already), for a program that writes there or refuses a dir others own.
   * `writer`: an identity through `sudo -n` writes root-owned files in it (removed as root).
   */
  tempDir(what: string, opts: { writer?: Identity; owner?: Identity } = {}): string {
    this.refuseWhenEnding(`temp dir ${what}`);
    // named first, journaled, then made: a SIGKILL between the two leaves nothing unrecorded
    const dir = tmp.tmpNameSync({ prefix: `podproof-${this.id}-${what.replace(/[^\w.-]/g, '-')}-` });
    const writer = writerThroughSudo(opts.writer);
    this.makeJournaledDir(dir, 0o755, opts.owner, writer);
    chmodSync(dir, 0o755); // mkdir applies the umask
    return dir;
  }

  /** Journal `dir` (a temp dir to `clean`), register its removal, then make it, `owner`'s where the harness is root. */
  private makeJournaledDir(dir: string, mode: number, owner?: Identity, writer?: Identity): void {
    this.record({ kind: 'tempdir', path: dir, ...(writer ? { writer: writer.name } : {}) });
    this.onTeardown(`temp dir ${dir}`, () => removeTempDir(dir, writer));
    mkdirSync(dir, { mode });
    if (owner && process.getuid?.() === 0) chownSync(dir, owner.uid, owner.gid);
  }

  /**
   * A dir of this session under `parent`, named by {@link name} (short and fixed, where a temp
   * name is too long: a podman runroot before 5.1 must be under 50 characters); journaled and
   * removed as a temp dir is.
   */
  dirAt(parent: string, what: string, opts: { owner?: Identity } = {}): string {
    this.refuseWhenEnding(`dir ${what}`);
    const dir = join(parent, this.name(what));
    this.makeJournaledDir(dir, 0o700, opts.owner);
    return dir;
  }

  /**
   * A temp dir of this session (see {@link tempDir}) holding these files (name -> text), each
   * with `mode` (default 0644); returns each file's path by its name.
   */
  tempFiles<K extends string>(
    what: string,
    files: Record<K, string>,
    opts: { mode?: number; owner?: Identity } = {},
  ): Record<K, string> {
    const dir = this.tempDir(what, { owner: opts.owner });
    const paths = {} as Record<K, string>;
    for (const [name, text] of Object.entries(files) as [K, string][]) {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: opts.mode ?? 0o644 });
      chmodSync(path, opts.mode ?? 0o644); // writeFile applies the umask
      if (opts.owner && process.getuid?.() === 0) chownSync(path, opts.owner.uid, opts.owner.gid);
      paths[name] = path;
    }
    return paths;
  }

  /**
   * A temp dir of this session holding copies of host files (name in the dir -> source path),
   * modes kept: a binary a container runs from a volume, say. `owner`: dir and copies are that
   * identity's (see {@link tempDir}). Returns the dir.
   */
  tempCopies(what: string, files: Record<string, string>, opts: { owner?: Identity } = {}): string {
    const dir = this.tempDir(what, { owner: opts.owner });
    for (const [name, source] of Object.entries(files)) {
      copyFileSync(source, join(dir, name));
      if (opts.owner && process.getuid?.() === 0) chownSync(join(dir, name), opts.owner.uid, opts.owner.gid);
    }
    return dir;
  }

  /**
   * A file another program will make for this session (a socket unit's unix socket): journaled
   * now, removed at teardown and by `clean` if it is still there.
   */
  expectFile(path: string): string {
    this.refuseWhenEnding(`file ${path}`);
    this.record({ kind: 'file', path });
    this.onTeardown(`file ${path}`, () => rmSync(path, { force: true }));
    return path;
  }

  /**
   * Start a background process (journaled with its start time the moment it has a PID, so
   * `clean` can end it after SIGKILL without hitting a reused PID); stopped at teardown.
   */
  background(argv: string[], opts: Omit<ExecOptions, 'timeoutMs' | 'input'> = {}): BackgroundProcess {
    this.refuseWhenEnding(argv.join(' '));
    const p = spawnBackground(argv, { ...opts, signal: opts.signal ?? this.signal });
    const startTime = p.pid > 0 ? processStartTime(p.pid) : undefined;
    if (startTime)
      this.record({ kind: 'process', identity: opts.identity?.name ?? 'host', pid: p.pid, startTime, argv });
    this.onTeardown(`stop ${argv.join(' ')}`, async () => void (await p.stop()));
    return p;
  }

  /** Nothing new once the session is interrupted or tearing down: teardown may already be past it. */
  private refuseWhenEnding(what: string): void {
    if (this.tornDown || this.signal.aborted)
      throw new Error(`session ${this.id} is ending: not starting ${what}`);
  }

  /**
   * Work still running (a claim): on SIGINT, teardown first lets it wind down (its commands are
   * aborted, its own cleanup runs), bounded, so it cannot start a unit teardown has just stopped.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    work.then(
      () => this.inflight.delete(work),
      () => this.inflight.delete(work),
    );
    return work;
  }

  /** Run every teardown once (later calls wait for the first); returns the failures. */
  teardown(): Promise<string[]> {
    this.tornDown ??= (async () => {
      if (this.inflight.size) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...this.inflight]),
          new Promise((r) => {
            timer = setTimeout(r, 20_000);
          }),
        ]);
        clearTimeout(timer);
      }
      const failures: string[] = [];
      // the session's commands have ended or were aborted: a process still making something for
      // the session is a stray (an orphaned rootless podman child): end it before removing anything
      for (const pid of sessionStrays(SESSION_LABEL, this.id)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      // steps registered while tearing down (a claim still finishing) run too, in later passes
      for (let batch = this.teardowns.splice(0); batch.length; batch = this.teardowns.splice(0))
        for (const t of batch.reverse()) {
          if (process.env.PODPROOF_DEBUG)
            console.error(`podproof[debug]: ${(performance.now() / 1000).toFixed(2)} teardown: ${t.name}`);
          try {
            await t.fn();
          } catch (err) {
            failures.push(`${t.name}: ${(err as Error).message}`);
          }
        }
      // everything the journal names is gone: `clean` has nothing left to do for this session
      if (!failures.length) this.journal.close();
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
