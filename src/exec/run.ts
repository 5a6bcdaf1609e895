import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describeEvidence, type Evidence, type EvidenceLog, type ExecFailure } from './evidence.js';
import { type Identity, launchAs } from './identity.js';
import { scaled } from './time-scale.js';

/** Options for {@link exec}: who runs the command, limits, input and where the evidence goes. */
export interface ExecOptions {
  /** Run as this identity (default: the harness process itself). */
  identity?: Identity;
  /** Kill the process after this long (default 120 s); the evidence says `timeout`. */
  timeoutMs?: number;
  /** Abort (SIGINT, a claim's deadline): the process is killed and the evidence says `aborted`. */
  signal?: AbortSignal;
  /** Text written to standard input. */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory (default: the identity's home for another user, else the current one). */
  cwd?: string;
  /** Where the evidence is recorded (besides being returned). */
  log?: EvidenceLog;
  /** Why the harness runs this, recorded in the evidence. */
  purpose?: string;
  /** Start the command with this audit login UID (needs root with CAP_AUDIT_CONTROL). */
  loginuid?: number;
  /**
   * Stop the command as soon as its standard output satisfies this: the answer the caller waits
   * for has come (a UDP client has no end of stream to exit on). The evidence then has
   * `answered: true` and the stopping signal, not a failure.
   */
  until?: (stdout: string) => boolean;
  /**
   * Stop the command when this aborts: the caller needs no more of it (a watcher whose event
   * will not matter any more, a client whose server has gone). Like `until`, the evidence then
   * has `answered: true`, not a failure; unlike `signal` it is no abort of the claim.
   */
  enough?: AbortSignal;
  /**
   * When `signal` aborts, end the work another way before signalling the process: podman 4.3
   * signalled while it sets up a container's network exits and leaves the network namespace, its
   * veth and its address behind. `stop` (a `podman kill NAME`) is tried until the process ends;
   * only if it has not ended `graceMs` after the abort is it signalled.
   */
  onAbort?: { graceMs: number; stop?: () => Promise<unknown> };
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** How often an abort's `stop` is tried again while the process runs on. */
const STOP_RETRY_MS = 250;

/**
 * The one function that starts processes. `argv` is an array, never a shell string. It never
 * throws for a failing command: the exit code, signal, output and any harness-level failure
 * (missing binary, timeout, abort) are all in the returned evidence.
 */
export async function exec(argv: string[], opts: ExecOptions = {}): Promise<Evidence> {
  if (argv.length === 0 || !argv[0]) throw new Error('exec: empty argv');
  const launch = launchWith(opts, argv);
  const startedAt = new Date();
  const started = performance.now();
  // aborted already (SIGINT, a deadline): start nothing. A podman killed while it starts can
  // still create its container, and teardown may have listed the session's containers already
  if (opts.signal?.aborted)
    return recordEvidence(
      argv,
      opts,
      { isCanceled: true },
      {
        started,
        startedAt,
        wrapped: false,
      },
    );
  const answered = new AbortController();
  const cancel = new AbortController();
  const cancelOn = [answered.signal, cancel.signal];
  const enough = () => answered.abort();
  if (opts.enough?.aborted) enough();
  else opts.enough?.addEventListener('abort', enough, { once: true });
  if (opts.signal && !opts.onAbort) cancelOn.push(opts.signal);
  const child = execa(launch.file, launch.args, {
    ...execaOptions(opts, launch),
    timeout: scaled(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    cancelSignal: AbortSignal.any(cancelOn),
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
  });
  if (opts.signal && opts.onAbort) endGently(child, opts.signal, opts.onAbort, cancel);
  killGroupOnExit(child, () => answered.signal.aborted || cancel.signal.aborted);
  if (opts.until) {
    let out = '';
    child.stdout?.on('data', (d: Buffer | string) => {
      out += String(d);
      if (!answered.signal.aborted && opts.until?.(out)) answered.abort();
    });
  }
  const result = await child;
  opts.enough?.removeEventListener('abort', enough);
  const evidence = recordEvidence(argv, opts, result, {
    started,
    startedAt,
    wrapped: launch.file !== argv[0],
    classify: !(answered.signal.aborted && !opts.signal?.aborted),
  });
  if (answered.signal.aborted) evidence.answered = true;
  // ended by its abort's `stop` (exit 137 from a killed container): still an abort, not a result
  if (opts.signal?.aborted && !evidence.failure) evidence.failure = 'aborted';
  if (process.env.PODPROOF_DEBUG)
    console.error(`podproof[debug]: ${describeEvidence(evidence)} [${evidence.durationMs} ms]`);
  return evidence;
}

/** On `signal`: try `stop` until the child ends, and cancel it (signal it) after `graceMs`. */
function endGently(
  child: Promise<unknown>,
  signal: AbortSignal,
  onAbort: NonNullable<ExecOptions['onAbort']>,
  cancel: AbortController,
): void {
  let ended = false;
  const end = child.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  const gently = async () => {
    let graceOver = false;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(() => {
        graceOver = true;
        r();
      }, onAbort.graceMs);
    });
    const pause = () => new Promise((r) => setTimeout(r, STOP_RETRY_MS).unref());
    while (!ended && !graceOver) await Promise.race([end, grace, onAbort.stop?.().then(pause) ?? grace]);
    clearTimeout(timer);
    if (!ended) cancel.abort();
  };
  const startEnding = () => void gently();
  if (signal.aborted) void gently();
  else {
    signal.addEventListener('abort', startEnding, { once: true });
    // a session's signal outlives its many commands: let go of each once it has ended
    void end.then(() => signal.removeEventListener('abort', startEnding));
  }
}

/**
 * A process the harness killed (a timeout, an abort, an answer come, a stop) may have started
 * others that still hold its output open: a forked worker of ansible-playbook, a shell's
 * background job. Node would wait for them to close it. Each process is started as the leader
 * of its own process group, so once a killed one has exited, what is left of its group is
 * killed too. Helpers that must outlive a command leave its group themselves (podman's pause
 * process and conmon start their own sessions). A group the harness may not signal (a root
 * command under `sudo -n` from a normal user) is left to sudo, which passes signals on.
 */
function killGroupOnExit(
  child: { pid?: number; killed: boolean; once(event: 'exit', listener: () => void): unknown },
  stoppedByHarness: () => boolean,
): void {
  child.once('exit', () => {
    if (!child.pid || !(child.killed || stoppedByHarness())) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: nothing left in the group; EPERM: another user's processes (see above)
    }
  });
}

type ExecaResult = Awaited<ReturnType<typeof execa>>;
/** What the evidence is made of: a finished process, or one never started. */
type ProcessOutcome = Partial<
  Pick<ExecaResult, 'exitCode' | 'signal' | 'stdout' | 'stderr' | 'timedOut' | 'isCanceled' | 'cause'>
>;

/** What every process started here shares: never reject (the evidence says what happened), output kept as is. */
function execaOptions(
  opts: Pick<ExecOptions, 'cwd'>,
  launch: { env?: Record<string, string>; cwd?: string },
) {
  return {
    reject: false,
    forceKillAfterDelay: 3000,
    // its own process group (and session): what it starts can be killed with it, see killGroupOnExit
    detached: true,
    env: launch.env,
    cwd: opts.cwd ?? launch.cwd,
    stripFinalNewline: false,
    encoding: 'utf8',
  } as const;
}

/** Build (and log) the evidence of one finished process. */
function recordEvidence(
  argv: string[],
  opts: Pick<ExecOptions, 'identity' | 'purpose' | 'loginuid' | 'log'>,
  result: ProcessOutcome,
  at: { started: number; startedAt: Date; wrapped: boolean; classify?: boolean },
): Evidence {
  const stderr = String(result.stderr ?? '');
  const evidence: Evidence = {
    argv,
    identity: opts.identity?.name ?? 'host',
    user: opts.identity?.user ?? currentUserName(),
    purpose: opts.purpose,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stdout: String(result.stdout ?? ''),
    stderr,
    durationMs: Math.round(performance.now() - at.started),
    startedAt: at.startedAt.toISOString(),
  };
  if (opts.loginuid !== undefined) evidence.loginuid = opts.loginuid;
  const failure = at.classify === false ? undefined : classifyFailure(result, at.wrapped, stderr);
  if (failure) evidence.failure = failure;
  if (failure === 'missing-binary' && !stderr) evidence.stderr = `${argv[0]}: command not found`;
  opts.log?.add(evidence);
  return evidence;
}

/**
 * How to start `argv` for these options: as the identity, and behind the loginuid launcher when
 * a loginuid is asked for. The launcher needs root, so it goes inside `sudo` and outside `setpriv`.
 */
function launchWith(opts: ExecOptions, argv: string[]) {
  if (opts.loginuid === undefined) return launchAs(opts.identity, argv, opts.env);
  const withLoginuid = [process.execPath, loginuidLauncher(), String(opts.loginuid)];
  if (opts.identity?.via === 'sudo') return launchAs(opts.identity, [...withLoginuid, ...argv], opts.env);
  const inner = launchAs(opts.identity, argv, opts.env);
  return { ...inner, file: process.execPath, args: [...withLoginuid.slice(1), inner.file, ...inner.args] };
}

/** dist/exec/with-loginuid.js (from src/ under vitest, the built copy). */
export function loginuidLauncher(): string {
  const here = fileURLToPath(new URL('./with-loginuid.js', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../dist/exec/with-loginuid.js', import.meta.url));
}

function classifyFailure(
  result: { timedOut?: boolean; isCanceled?: boolean; exitCode?: number; signal?: string; cause?: unknown },
  wrapped: boolean,
  stderr: string,
): ExecFailure | undefined {
  if (result.timedOut) return 'timeout';
  if (result.isCanceled) return 'aborted';
  const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'missing-binary';
  if (result.exitCode === undefined && !result.signal) return 'spawn-error';
  // Through setpriv/sudo env, a missing command is exit 127 from `env`.
  if (wrapped && result.exitCode === 127 && /No such file or directory|command not found/.test(stderr)) {
    return 'missing-binary';
  }
  return undefined;
}

let cachedUser: string | undefined;
function currentUserName(): string {
  cachedUser ??= process.env.USER || String(process.getuid?.() ?? '');
  return cachedUser;
}

/** True when the command ran to a normal exit with code 0. */
export function succeeded(e: Evidence): boolean {
  return !e.failure && e.exitCode === 0;
}

/** A process left running in the background (a marker process, an API service). */
export interface BackgroundProcess {
  pid: number;
  /** Stop it (SIGTERM, then SIGKILL after 3 s); resolves to its evidence. Idempotent. */
  stop(): Promise<Evidence>;
  /** Its evidence once it ends, by itself or stopped (a VM that powers off). */
  ended: Promise<Evidence>;
}

/**
 * Start `argv` without waiting for it. The caller must `stop()` it (register that as a session
 * teardown); the evidence is recorded when it ends.
 */
export function spawnBackground(
  argv: string[],
  opts: Omit<ExecOptions, 'timeoutMs' | 'input'> = {},
): BackgroundProcess {
  if (argv.length === 0 || !argv[0]) throw new Error('spawnBackground: empty argv');
  const { child, done, stop } = startInBackground(argv, opts);
  return {
    pid: child.pid ?? -1,
    ended: done,
    stop,
  };
}

/**
 * Start `argv` as the identity without waiting: its process, its evidence once it ends (a stop on
 * purpose is not a failure; one that died by itself keeps its exit code), and the stop (SIGTERM,
 * then SIGKILL after 3 s; its group killed after). What spawnBackground and holdFileLock share.
 */
function startInBackground(argv: string[], opts: Omit<ExecOptions, 'timeoutMs' | 'input'>) {
  const launch = launchWith(opts, argv);
  const startedAt = new Date();
  const started = performance.now();
  const controller = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
  const child = execa(launch.file, launch.args, {
    ...execaOptions(opts, launch),
    cancelSignal: signal,
    stdin: 'ignore',
  });
  killGroupOnExit(child, () => controller.signal.aborted);
  const done = child.then((result) =>
    recordEvidence(argv, opts, result, {
      started,
      startedAt,
      wrapped: launch.file !== argv[0],
      classify: !controller.signal.aborted,
    }),
  );
  const stop = () => {
    controller.abort();
    return done;
  };
  return { child, done, stop };
}

/** A lock held by a `flock(1)` process (see {@link holdFileLock}). */
export interface HeldLock {
  /** End the holder: the kernel drops the lock with its last open file. */
  release(): Promise<Evidence | undefined>;
}

/**
 * Take `flock(2)` on `file`, shared or exclusive, as the identity: `flock(1)` holds it while its
 * command says `held` and waits (`tail --pid=THIS-PROCESS -f /dev/null`) for this process to end
 * (`--close`: only flock holds the file). The kernel drops the lock when flock ends: on release
 * (both killed), and within a second of this process's end, however it ends (SIGKILL too). No
 * lock file protocol of podproof's own: a dead holder never blocks anyone. Resolves once held;
 * rejects when `signal` aborts first (the wait is given up) or flock fails; with `nonblock`, it
 * does not wait: another holder rejects it at once with {@link LockBusy}.
 */
/** {@link holdFileLock} with `nonblock`: another process held the lock, so it was not taken. */
export class LockBusy extends Error {
  constructor(file: string, mode: string) {
    super(`${file} is held by another process (${mode} not taken)`);
    this.name = 'LockBusy';
  }
}

/** flock's exit code when `--nonblock` finds the lock held (its own default, 1, is any failure). */
const LOCK_BUSY_EXIT = 75;

export function holdFileLock(
  file: string,
  mode: 'shared' | 'exclusive',
  opts: Omit<ExecOptions, 'timeoutMs' | 'input'> & { nonblock?: boolean } = {},
): Promise<HeldLock> {
  // the command says `held` once flock holds the lock (flock's own --verbose words vary by
  // version and locale, and sit in its buffered stdout), then waits for this process to end; a
  // constant script, this process's PID its argument. The waiting `tail` keeps none of the
  // launch's descriptors: under `sudo -n` (a normal user's rootful identity) the harness may not
  // kill flock's group, so on release sudo passes SIGTERM to flock alone, and sudo (and the
  // evidence) could only end once nothing holds its output (seen: a VM run that hung at its
  // first exclusive claim, waiting for its own shared hold to go)
  const argv = [
    'flock',
    '--close',
    ...(opts.nonblock ? ['--nonblock', '--conflict-exit-code', String(LOCK_BUSY_EXIT)] : []),
    mode === 'shared' ? '--shared' : '--exclusive',
    file,
    'sh',
    '-c',
    'echo held && exec tail --pid="$1" -f /dev/null </dev/null >/dev/null 2>&1',
    'sh',
    String(process.pid),
  ];
  // its own wait is given up through `signal` below (the holder may already hold the lock):
  // the process itself stops on release only, killed with its group (tail too)
  const { child, done, stop: release } = startInBackground(argv, { ...opts, signal: undefined });
  return new Promise<HeldLock>((resolve, reject) => {
    let said = '';
    const onAbort = () => {
      void release();
      reject(new Error(`gave up waiting for ${mode} ${file}`));
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', (chunk: Buffer | string) => {
      said += String(chunk);
      // the command's first word: the lock is held
      if (/^held$/m.test(said)) {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({ release });
      }
    });
    void done.then((e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(
        opts.nonblock && e.exitCode === LOCK_BUSY_EXIT
          ? new LockBusy(file, mode)
          : new Error(`could not take the ${mode} lock ${file}: ${describeEvidence(e)}`),
      );
    });
  });
}
