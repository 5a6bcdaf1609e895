import {
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describeEvidence, type Evidence, type EvidenceLog } from '../exec/evidence.js';
import type { Identity } from '../exec/identity.js';
import { processArgv, processesWhere, processRunning } from '../exec/procs.js';
import { type ExecOptions, exec, succeeded } from '../exec/run.js';
import { FIXTURE_LABEL, SESSION_LABEL, type Session } from '../exec/session.js';
import { waitUntil } from '../exec/wait.js';
import { which } from '../exec/which.js';
import { parseMountinfo } from '../parse/mounts.js';
import { OBJECT_KINDS, type ObjectKind } from './objects.js';
import { storeConmon } from './orphans.js';

/** Where a podman handle keeps images and containers. */
export type StorageMode = 'podproof' | 'host';

export interface PodmanOptions {
  /** Absolute path of the podman binary (see {@link resolvePodmanBinary}). */
  binary: string;
  identity: Identity;
  session: Session;
  log?: EvidenceLog;
  /**
   * `podproof` (default): a storage of the harness's own per identity (`--root/--runroot/--tmpdir`),
   * away from the user's images and containers. `host`: the identity's default storage.
   */
  storage?: StorageMode;
  /** Abort signal for every call (default: the session's). */
  signal?: AbortSignal;
  /** Talk to a podman API service at this URL (`unix:///path`) instead of running podman locally. */
  remoteUrl?: string;
}

/** Per-identity storage of the harness's own. containers.conf, the runtime and subuid still come from the host. */
export function storagePaths(identity: Identity): { root: string; runroot: string; tmpdir: string } {
  const run = identity.uid === 0 ? '/run/podproof' : join(identity.runtimeDir, 'podproof');
  return {
    root: join(identity.home, '.cache', 'podproof', 'storage'),
    runroot: join(run, 'storage'),
    tmpdir: join(run, 'libpod'),
  };
}

/**
 * The pause process's pid files of a rootless identity: podman joins the one under its
 * `--tmpdir` for podproof's store, and podman's default for the identity's own (pure).
 */
export function pausePidFiles(identity: Identity): Record<StorageMode, string> {
  return {
    podproof: join(storagePaths(identity).tmpdir, 'pause.pid'),
    host: join(identity.runtimeDir, 'libpod', 'tmp', 'pause.pid'),
  };
}

/** Does the pid file name a running process (the store's pause process, up)? */
export function pauseProcessUp(file: string): boolean {
  let pid = '';
  try {
    pid = readFileSync(file, 'utf8').trim();
  } catch {}
  return /^\d+$/.test(pid) && processRunning(Number(pid));
}

/** Runs again of a rootless command that met the pause-join race (see isPauseJoinRace). */
const PAUSE_JOIN_TRIES = 3;

/** The {@link Podman.once} question of the store's graph driver. */
export const STORAGE_DRIVER = 'storage driver';

/** {@link Podman.once} answers, by question, session, binary, identity and storage. */
const answered = new Map<string, Promise<unknown>>();

/** Options for one `podman run`. */
export interface RunContainer {
  image: string;
  /** Command and arguments inside the container. */
  command: string[];
  /** Flags the experiment is about (`--network=none`, `--cap-drop=all`, ...). */
  flags?: string[];
  purpose?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
  /** Start podman with this audit login UID (see ExecOptions.loginuid). */
  loginuid?: number;
  /** The container's name (default: a new session name from the purpose). */
  name?: string;
}

/**
 * How long an aborted podman command may go on ending by itself (a probe container takes well
 * under a second) before it is signalled. podman signalled midway leaves what it was making
 * behind: a container's network namespace, veth, address and firewall rules (4.3), an image's
 * temp file in /var/tmp.
 */
export const ABORT_GRACE_MS = 5_000;
const SECRET_NAMES = ['secret', 'ls', '--format', '{{.Name}}'];

/** Secrets named for `sessionId` (any podproof session when undefined), from `secret ls` names (pure). */
export function sessionSecrets(names: string, sessionId: string | undefined): string[] {
  const prefix = new RegExp(`^podproof-${sessionId ?? '[a-z0-9]+'}-`);
  return names
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => prefix.test(n));
}

/**
 * Rootless podman refuses every command ("invalid internal status, try resetting the pause
 * process") when its store lists containers as running whose conmon is gone and no pause process
 * is left to join (pure).
 */
export function isStaleRootlessState(e: Pick<Evidence, 'exitCode' | 'stderr'>): boolean {
  // the same words also preface a newuidmap that cannot map (NoNewPrivileges, no subuid range):
  // only the two ways of finding nothing alive to join are a stale store
  const deadPause =
    /invalid internal status, try resetting the pause process.*(?:could not find any running process|cannot re-exec process to join the existing user namespace)/i;
  // a container marked running whose network namespace was mounted in the dead pause process's
  // mount namespace: its file is a plain empty file now (not nsfs), and listing it fails
  const deadNetns =
    /joining network namespace (?:of|for) container \w+: (?:error )?retrieving network namespace at \S*\/netns\/\S+: unknown FS magic/i;
  return e.exitCode !== 0 && (deadPause.test(e.stderr) || deadNetns.test(e.stderr));
}

/**
 * Rootless podman's C start-up (before any of podman itself runs) failed to enter the pause
 * process's mount namespace and chdir back to where it was started: seen once in CI, 34 ms into a
 * run while the store's pause process had just been made by concurrent commands (pure). Nothing
 * was done; the command can be run again.
 */
export function isPauseJoinRace(e: Pick<Evidence, 'exitCode' | 'stderr'>): boolean {
  return e.exitCode === 1 && /^cannot chdir to \S+: No such file or directory\s*$/.test(e.stderr.trim());
}

/** The lines of a podman file events log that are whole JSON events (pure): a torn one is left out. */
export function wholeEventLines(text: string): { kept: string; dropped: number } {
  const lines = text.split('\n');
  const kept = lines.filter((l) => {
    if (!l.trim()) return true;
    try {
      return typeof JSON.parse(l) === 'object';
    } catch {
      return false;
    }
  });
  return { kept: kept.join('\n'), dropped: lines.length - kept.length };
}

/**
 * podman 4.3's events reader stops for good at the first line of its file log that is not a whole
 * event: a podman killed while writing one (seen in CI; and in every run here, where stopping a
 * socket-activated service kills its container's `podman container cleanup` mid-write), every
 * later `podman events` empty. The log of podproof's own store (under its own --tmpdir) loses such
 * lines before a run and before podproof reads events; where this process may write it. The whole
 * lines go to a new file renamed over the old one (same owner and mode): podman opens the log for
 * each event it appends, so no write of its lands in the middle of ours. Returns how many it dropped.
 */
export function repairEventsLog(identity: Identity): number {
  const me = process.getuid?.();
  if (me !== 0 && me !== identity.uid) return 0;
  const file = join(storagePaths(identity).tmpdir, 'events', 'events.log');
  let text: string;
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const { kept, dropped } = wholeEventLines(text);
  if (!dropped) return 0;
  const fresh = `${file}.podproof-${process.pid}`;
  writeFileSync(fresh, kept, { mode: Number(st.mode) & 0o777 });
  if (me === 0) chownSync(fresh, Number(st.uid), Number(st.gid));
  renameSync(fresh, file);
  return dropped;
}

/** What leaves a rootless store in that state, said where podproof resets it or asks the user to. */
export const STALE_STATE_CAUSE =
  'containers marked running whose processes are gone: a SIGKILL of the pause process and conmon, or a reboot that kept /run';

/** `podman images` names under a session's registry scope (`HOST:PORT/podproof-SESSION/...`), by session (pure). */
export function sessionImageNamesIn(names: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of names.split('\n').map((n) => n.trim())) {
    const id = /^[^/]+\/podproof-([a-z0-9]+)\//.exec(name)?.[1];
    if (id) out.set(id, [...(out.get(id) ?? []), name]);
  }
  return out;
}

/** Podman subcommands that write an image (into the store or a registry) through big temp files. */
const IMAGE_WRITERS = new Set(['pull', 'push', 'import', 'load', 'commit', 'build']);

/**
 * Whether `podman ARGS` writes an image (pure): its subcommand (after global flags, each `--flag`
 * without `=` taken with its value, and an `image` group) is one of {@link IMAGE_WRITERS}.
 */
export function writesImages(args: string[]): boolean {
  let i = 0;
  while (i < args.length && args[i]?.startsWith('-')) i += args[i]?.includes('=') ? 1 : 2;
  if (args[i] === 'image') i += 1;
  return IMAGE_WRITERS.has(args[i] ?? '');
}

/** Each session's image temp dir, by session id and identity (see Podman.imageTempDir). */
const imageTempDirs = new Map<string, string>();

/** Resets of a stale rootless store under way, by storage root (see Podman.resetStaleStore). */
const storeResets = new Map<string, Promise<Evidence>>();

/**
 * The network namespace file in a container's OCI spec (its `config.json`), where it is in
 * podman's netns dir for `identity` (pure).
 */
export function netnsFileInSpec(
  spec: string,
  identity: Pick<Identity, 'uid' | 'runtimeDir'>,
): string | undefined {
  let path: unknown;
  try {
    const namespaces = (JSON.parse(spec) as { linux?: { namespaces?: { type?: string; path?: unknown }[] } })
      .linux?.namespaces;
    path = namespaces?.find((n) => n.type === 'network')?.path;
  } catch {
    return undefined;
  }
  const dir = identity.uid === 0 ? '/run/netns/' : join(identity.runtimeDir, 'netns/');
  return typeof path === 'string' && path.startsWith(dir) && /^netns-[\w-]+$/.test(path.slice(dir.length))
    ? path
    : undefined;
}

/** The network namespace files named by the OCI specs of the containers in the graph root `root`. */
function netnsFilesOfStore(root: string, identity: Identity): string[] {
  const files: string[] = [];
  for (const driverDir of entriesOf(root).filter((d) => d.endsWith('-containers')))
    for (const id of entriesOf(join(root, driverDir))) {
      let spec: string;
      try {
        spec = readFileSync(join(root, driverDir, id, 'userdata', 'config.json'), 'utf8');
      } catch {
        continue;
      }
      const file = netnsFileInSpec(spec, identity);
      if (file) files.push(file);
    }
  return files;
}

function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A signal that never fires: commands that end what an abort left must not be aborted themselves. */
const NEVER = new AbortController().signal;

/** A typed handle on the podman CLI for one identity. Argv arrays only; every call is evidence. */
export class Podman {
  readonly binary: string;
  readonly identity: Identity;
  readonly session: Session;
  readonly storage: StorageMode;
  private readonly log: EvidenceLog | undefined;
  private readonly signal: AbortSignal;
  readonly remoteUrl: string | undefined;

  constructor(opts: PodmanOptions) {
    this.remoteUrl = opts.remoteUrl;
    this.signal = opts.signal ?? opts.session.signal;
    this.binary = opts.binary;
    this.identity = opts.identity;
    this.session = opts.session;
    this.log = opts.log;
    this.storage = opts.storage ?? 'podproof';
  }

  /** Global flags that come before the subcommand. */
  globalFlags(): string[] {
    if (this.remoteUrl) return ['--remote', '--url', this.remoteUrl];
    if (this.storage === 'host') return [];
    const s = storagePaths(this.identity);
    return ['--root', s.root, '--runroot', s.runroot, '--tmpdir', s.tmpdir];
  }

  /** Full argv for `podman ARGS`. */
  argv(args: string[]): string[] {
    return [this.binary, ...this.globalFlags(), ...args];
  }

  /**
   * Run `podman ARGS` as this handle's identity. A call whose purpose is `cleanup` is not
   * cancelled by the handle's signal (SIGINT, a claim's deadline): it is what removes things then.
   */
  async cmd(args: string[], opts: Omit<ExecOptions, 'identity' | 'log'> = {}): Promise<Evidence> {
    const env =
      writesImages(args) && !opts.env?.TMPDIR ? { ...opts.env, TMPDIR: this.imageTempDir() } : opts.env;
    const run = () =>
      exec(this.argv(args), {
        ...opts,
        ...(env ? { env } : {}),
        identity: this.identity,
        log: this.log,
        signal: opts.signal ?? (opts.purpose === 'cleanup' ? undefined : this.signal),
        onAbort: opts.onAbort ?? { graceMs: ABORT_GRACE_MS },
      });
    let first = await run();
    // rootless podman that could not enter its pause process's namespaces did nothing: again, a
    // few times (bounded), each once the store's pause process it names is up
    for (
      let again = 0;
      again < PAUSE_JOIN_TRIES && this.identity.name === 'rootless' && isPauseJoinRace(first);
      again++
    ) {
      await waitUntil(() => pauseProcessUp(this.pausePidFile()), 2_000, 50, this.signal);
      first = await run();
    }
    if (!this.ownsRootlessStore() || !isStaleRootlessState(first)) return first;
    // podman stopped in its setup, before doing anything: reset podproof's store, then once more
    await this.resetStaleStore();
    return run();
  }

  /** The pause process's pid file podman joins for this handle's store (under its --tmpdir, or podman's default). */
  pausePidFile(): string {
    return pausePidFiles(this.identity)[this.storage];
  }

  /** Does this handle's store have its pause process running (rootless: the user namespace exists)? */
  pauseProcessUp(): boolean {
    return pauseProcessUp(this.pausePidFile());
  }

  /**
   * Where podman puts an image's big temp files while it writes one (`storage*`, `buildah*`;
   * /var/tmp unless TMPDIR says otherwise): a journaled session dir per identity, so a podman
   * that dies midway (SIGPIPE once a SIGKILLed run's pipes close) leaves them where `clean` looks.
   */
  imageTempDir(): string {
    const key = `${this.session.id}/${this.identity.name}`;
    let dir = imageTempDirs.get(key);
    if (!dir) {
      dir = this.session.tempDir(`image-tmp-${this.identity.name}`, {
        owner: this.identity,
        writer: this.identity,
      });
      imageTempDirs.set(key, dir);
    }
    return dir;
  }

  /** The rootless storage this handle uses is podproof's own, which podproof may repair. */
  private ownsRootlessStore(): boolean {
    return this.identity.name === 'rootless' && this.storage === 'podproof' && !this.remoteUrl;
  }

  /**
   * `podman system migrate` on podproof's own rootless store: it ends the store's pause process
   * and marks its "running" containers stopped. Only podproof's containers live there, and none
   * of them has a live conmon (else podman would have joined it). Concurrent callers share one.
   */
  private resetStaleStore(): Promise<Evidence> {
    const key = storagePaths(this.identity).root;
    let reset = storeResets.get(key);
    if (!reset) {
      reset = this.migrateStaleStore(key).finally(() => storeResets.delete(key));
      storeResets.set(key, reset);
    }
    return reset;
  }

  private async migrateStaleStore(root: string): Promise<Evidence> {
    // the containers' network namespaces were mounted in the dead pause process's mount namespace:
    // their files are empty now, and migrate forgets them (podman rm would not remove them)
    const netnsFiles = netnsFilesOfStore(root, this.identity);
    const opts = { identity: this.identity, log: this.log, timeoutMs: 120_000 };
    const migrated = await exec(this.argv(['system', 'migrate']), {
      ...opts,
      purpose: `reset podproof's rootless store (${STALE_STATE_CAUSE})`,
    });
    // migrate may exit 125 even so: stopping a container whose conmon is gone times out waiting
    // for its exit file (4.3), yet the container is marked stopped and the store works again
    const mounted = new Set(
      parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).map((m) => m.mountPoint),
    );
    for (const file of netnsFiles.filter((f) => existsSync(f) && !mounted.has(f)))
      await exec(['rm', '-f', '--', file], { ...opts, purpose: 'reset: a dead network namespace file' });
    return migrated;
  }

  /** `podman run --rm` with the session label and a unique name. */
  run(spec: RunContainer): Promise<Evidence> {
    return this.runContainer(['--rm', ...(spec.input !== undefined ? ['-i'] : [])], spec, 'run');
  }

  /**
   * `podman run -d` with the session label and a unique name; the container id is the evidence's
   * stdout. `--stop-timeout=0`: nothing the harness starts needs a graceful stop, and a shell or
   * httpd as PID 1 ignores SIGTERM, so `rm -f` (or `network rm -f`) would wait 10 s to kill it.
   */
  start(spec: Omit<RunContainer, 'input'>): Promise<Evidence> {
    return this.runContainer(['-d', '--stop-timeout=0'], spec, 'start');
  }

  /** `podman run MODE --name podproof-SESSION-... --label SESSION --pull=never FLAGS IMAGE COMMAND`. */
  private runContainer(mode: string[], spec: RunContainer, what: string): Promise<Evidence> {
    const name = spec.name ?? this.session.name(spec.purpose ?? what);
    return this.cmd(
      [
        'run',
        ...mode,
        '--name',
        name,
        '--label',
        this.session.label,
        '--pull=never',
        ...(spec.flags ?? []),
        spec.image,
        ...spec.command,
      ],
      {
        purpose: spec.purpose,
        timeoutMs: spec.timeoutMs ?? 60_000,
        signal: spec.signal,
        input: spec.input,
        loginuid: spec.loginuid,
        // aborted: kill the container and let podman run end (and --rm clean up) by itself
        onAbort: {
          graceMs: ABORT_GRACE_MS,
          stop: () =>
            this.cmd(['kill', name], {
              purpose: 'abort: kill the container',
              timeoutMs: 10_000,
              signal: NEVER,
            }),
        },
      },
    );
  }

  /**
   * The graph driver of this handle's store (`podman info`): asked once per session, binary,
   * identity and storage; a failed answer is not kept.
   */
  storageDriver(purpose: string): Promise<string> {
    return this.once(STORAGE_DRIVER, async () => {
      const info = await this.cmd(['info', '--format', '{{.Store.GraphDriverName}}'], {
        purpose,
        timeoutMs: 30_000,
      });
      const name = info.stdout.trim();
      if (!succeeded(info) || !name) throw new Error(`podman info failed: ${describeEvidence(info)}`);
      return name;
    });
  }

  /**
   * An answer to `what` known from elsewhere (host detection's `podman info`, made with this
   * handle's session, binary, identity and storage): {@link once} then asks nothing.
   */
  remember(what: string, answer: unknown): void {
    const key = this.onceKey(what);
    if (!answered.has(key)) answered.set(key, Promise.resolve(answer));
  }

  private onceKey(what: string): string {
    return `${what}|${this.session.id}|${this.binary}|${this.identity.name}|${this.storage}|${this.remoteUrl ?? ''}`;
  }

  /**
   * `ask` once per session, binary, identity and storage for the question `what` (concurrent
   * callers share the answer); a failed answer is not kept, so the next caller asks again.
   */
  once<T>(what: string, ask: () => Promise<T>): Promise<T> {
    const key = this.onceKey(what);
    let answer = answered.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = ask();
      answered.set(key, answer);
      answer.catch(() => answered.delete(key));
    }
    return answer;
  }

  /**
   * `podman commit CONTAINER IMAGE` with `--change` instructions. Rootless podman 4.3 commits
   * through a store whose runroot it takes from storage.conf alone, not from --runroot ("runroot
   * must be set"): with podproof's own storage, a temp storage.conf names the same graph root,
   * runroot and driver (given to this one command).
   */
  async commit(container: string, image: string, changes: string[], purpose: string): Promise<Evidence> {
    const env: Record<string, string> = {};
    if (this.identity.name === 'rootless' && this.storage === 'podproof' && !this.remoteUrl) {
      const driver = await this.storageDriver(`${purpose}: the storage driver`).catch(() => 'overlay');
      const s = storagePaths(this.identity);
      const file = join(this.session.tempDir('storage-conf'), 'storage.conf');
      writeFileSync(
        file,
        `[storage]\ndriver = "${driver}"\ngraphroot = "${s.root}"\nrunroot = "${s.runroot}"\n`,
        { mode: 0o644 },
      );
      env.CONTAINERS_STORAGE_CONF = file;
    }
    // commit's temp files go to the session's image temp dir (see cmd)
    return this.cmd(['commit', ...changes.flatMap((c) => ['--change', c]), container, image], {
      purpose,
      timeoutMs: 120_000,
      env,
    });
  }

  /**
   * The OCI runtime spec (config.json text) this podman writes for a container of `image` with
   * `flags`: a detached container of `cat /dev/null` (any image the probe can use has cat) is run
   * and left exited, its spec read as this identity from its bundle, and the container removed.
   * Throws with the failing command.
   */
  async runtimeSpec(image: string, flags: string[] = [], purpose = 'spec'): Promise<string> {
    const name = this.session.name('spec');
    try {
      const run = await this.cmd(
        [
          'run',
          '-d',
          '--name',
          name,
          '--label',
          this.session.label,
          '--pull=never',
          ...flags,
          image,
          'cat',
          '/dev/null',
        ],
        { purpose: `${purpose}: run`, timeoutMs: 60_000 },
      );
      if (!succeeded(run))
        throw new Error(`could not make a container's runtime spec: ${describeEvidence(run)}`);
      const path = await this.bundleConfig(run.stdout.trim(), purpose);
      const read = await exec(['cat', '--', path], {
        identity: this.identity,
        log: this.log,
        signal: this.signal,
        purpose: `${purpose}: read config.json`,
        timeoutMs: 15_000,
      });
      if (!succeeded(read)) throw new Error(`could not read ${path}: ${describeEvidence(read)}`);
      return read.stdout;
    } finally {
      await this.cmd(['rm', '-f', name], { purpose: 'cleanup', timeoutMs: 60_000 });
    }
  }

  /**
   * Where a container's config.json is. In podproof's own store it is known without asking:
   * c/storage keeps a container's files under GRAPHROOT/DRIVER-containers/ID/userdata, libpod's
   * bundle; elsewhere (a user's store, a remote) podman is asked.
   */
  private async bundleConfig(id: string, purpose: string): Promise<string> {
    if (this.storage === 'podproof' && !this.remoteUrl && /^[0-9a-f]{64}$/.test(id)) {
      const driver = await this.storageDriver(`${purpose}: the storage driver`);
      return join(storagePaths(this.identity).root, `${driver}-containers`, id, 'userdata', 'config.json');
    }
    const e = await this.cmd(['inspect', '--format', '{{.OCIConfigPath}}', id], {
      purpose: `${purpose}: inspect`,
      timeoutMs: 60_000,
    });
    if (!succeeded(e)) throw new Error(`could not find a container's runtime spec: ${describeEvidence(e)}`);
    return e.stdout.trim();
  }

  /** {@link repairEventsLog} of this handle's store, where it is podproof's own (not a user's, not a remote). */
  repairEventsLog(): number {
    return this.storage === 'podproof' && !this.remoteUrl ? repairEventsLog(this.identity) : 0;
  }

  /** The same handle, talking to the API service at `url` (the client/server model). */
  remote(url: string): Podman {
    return new Podman({
      binary: this.binary,
      identity: this.identity,
      session: this.session,
      log: this.log,
      storage: this.storage,
      signal: this.signal,
      remoteUrl: url,
    });
  }

  /** `podman exec CONTAINER COMMAND...` */
  execIn(container: string, command: string[], purpose?: string): Promise<Evidence> {
    return this.cmd(['exec', container, ...command], { purpose, timeoutMs: 60_000 });
  }

  /**
   * Remove containers in one call: exited ones, and running ones {@link start}ed here (their stop
   * timeout is 0, so `rm -f` kills them at once).
   */
  async remove(containers: string[], purpose = 'cleanup'): Promise<Evidence> {
    return this.cmd(['rm', '-f', ...containers], { purpose, timeoutMs: 60_000 });
  }

  /**
   * Ids of this store's containers whose conmon still runs. In podproof's own store (local) read
   * from /proc, without a call: podman joins a running container's user namespace through its
   * conmon, so conmon is what counts; elsewhere `podman ps -q` is asked.
   */
  async runningContainers(purpose: string): Promise<string[]> {
    if (this.storage === 'podproof' && !this.remoteUrl) {
      const { root } = storagePaths(this.identity);
      return processesWhere((argv) => storeConmon(argv, root) !== undefined).flatMap(
        (pid) => storeConmon(processArgv(pid) ?? [], root) ?? [],
      );
    }
    const ps = await this.cmd(['ps', '-q'], { purpose, timeoutMs: 60_000 });
    return succeeded(ps) ? ps.stdout.split('\n').filter(Boolean) : ['(podman ps failed)'];
  }

  /**
   * Wait (up to `timeoutMs`) until no `podman ... container cleanup` process for this storage is
   * left. conmon runs that cleanup asynchronously after a container exits; podman 4.3 can
   * deadlock when it overlaps new containers with fresh id mappings (podman#16062).
   */
  async settle(timeoutMs = 15_000): Promise<void> {
    const root = this.storage === 'podproof' ? storagePaths(this.identity).root : undefined;
    await waitUntil(() => pendingCleanups(root).length === 0, timeoutMs);
  }

  /**
   * Remove what carries the session label (`sessionId`), or any podproof session label when
   * `sessionId` is undefined: of each kind in `kinds` (default all; see `kindsLeft`). Fixture
   * images are kept (see {@link removeFixtureImages}).
   */
  async removeLabelled(
    sessionId: string | undefined,
    kinds: ReadonlySet<ObjectKind> = new Set(OBJECT_KINDS),
  ): Promise<Evidence[]> {
    const filter = sessionId ? `label=${SESSION_LABEL}=${sessionId}` : `label=${SESSION_LABEL}`;
    const out: Evidence[] = [];
    const opts = { purpose: 'cleanup', timeoutMs: 60_000, signal: new AbortController().signal };
    const listThenRemove = async (kind: ObjectKind, list: string[], remove: string[]) => {
      if (!kinds.has(kind)) return;
      const ls = await this.cmd(list, opts);
      out.push(ls);
      const ids = ls.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      if (ids.length) out.push(await this.cmd([...remove, ...ids], opts));
    };
    // the usual case is nothing left (claims remove what they make): one round of listings at once
    const listings = (
      [
        ['pod', ['pod', 'ps', '-q']],
        ['container', ['ps', '-a', '-q']],
        ['volume', ['volume', 'ls', '-q']],
        ['network', ['network', 'ls', '-q']],
        ['image', ['images', '-q']],
      ] as const
    ).filter(([kind]) => kinds.has(kind));
    const [secrets, ...lists] = await Promise.all([
      kinds.has('secret') ? this.cmd(SECRET_NAMES, opts) : undefined,
      ...listings.map(([, l]) => this.cmd([...l, '--filter', filter], opts)),
    ]);
    // secrets take no label before podman 4.4: theirs is the session's name prefix
    const secretNames = sessionSecrets(secrets?.stdout ?? '', sessionId);
    if (secretNames.length) out.push(await this.cmd(['secret', 'rm', ...secretNames], opts));
    if (lists.every((e) => e && succeeded(e) && !e.stdout.trim())) return [...(lists as Evidence[]), ...out];
    await listThenRemove('pod', ['pod', 'ps', '-q', '--filter', filter], ['pod', 'rm', '-f']);
    // kill first: `rm -f` waits out the stop timeout when PID 1 ignores SIGTERM (`rm -t 0` needs podman 4).
    // One by one, and not judged: a container that exits meanwhile fails a joint kill for all of them
    const running = await this.cmd(['ps', '-q', '--filter', filter], opts);
    await Promise.all(
      running.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((id) => this.cmd(['kill', id], opts)),
    );
    await listThenRemove('container', ['ps', '-a', '-q', '--filter', filter], ['rm', '-f', '-v']);
    // a container killed a moment ago may still be in conmon's cleanup (its shm mount busy:
    // "device or resource busy"): wait for those cleanups to end, then remove what is left
    const busy = out.findIndex((e) => e.argv.includes('rm') && e.exitCode !== 0);
    if (busy >= 0) {
      await this.settle();
      out.splice(busy, 1); // judged by the second attempt
      await listThenRemove('container', ['ps', '-a', '-q', '--filter', filter], ['rm', '-f', '-v']);
    }
    await listThenRemove('volume', ['volume', 'ls', '-q', '--filter', filter], ['volume', 'rm', '-f']);
    await listThenRemove('network', ['network', 'ls', '-q', '--filter', filter], ['network', 'rm', '-f']);
    await listThenRemove('image', ['images', '-q', '--filter', filter], ['rmi', '-f']);
    return out;
  }

  /** Remove the cached fixture images (`podproof clean --images`). */
  async removeFixtureImages(): Promise<Evidence[]> {
    const opts = { purpose: 'cleanup', timeoutMs: 60_000, signal: new AbortController().signal };
    const ls = await this.cmd(['images', '-q', '--filter', `label=${FIXTURE_LABEL}`], opts);
    const ids = [
      ...new Set(
        ls.stdout
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      ),
    ];
    return ids.length ? [ls, await this.cmd(['rmi', '-f', ...ids], opts)] : [ls];
  }

  /** The objects that carry a podproof session label (what `removeLabelled` would remove). */
  /**
   * Names a session gave images it did not make (pulled from its own local registry:
   * `127.0.0.1:PORT/podproof-SESSION/NAME:TAG`), by session: they carry the fixture's labels, not
   * the session's, so only their names say whose they are.
   */
  async sessionImageNames(): Promise<Map<string, string[]>> {
    const e = await this.cmd(['images', '--format', '{{.Repository}}:{{.Tag}}'], {
      purpose: 'list',
      timeoutMs: 60_000,
    });
    if (e.exitCode !== 0) throw new Error(`podman images failed: ${e.stderr.trim()}`);
    return sessionImageNamesIn(e.stdout);
  }

  async listLabelled(sessionId?: string): Promise<string[]> {
    const filter = sessionId ? `label=${SESSION_LABEL}=${sessionId}` : `label=${SESSION_LABEL}`;
    const found: string[] = [];
    for (const [kind, args] of [
      ['container', ['ps', '-a', '--format', '{{.ID}} {{.Names}}', '--filter', filter]],
      ['pod', ['pod', 'ps', '--format', '{{.ID}} {{.Name}}', '--filter', filter]],
      ['image', ['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}', '--filter', filter]],
      ['volume', ['volume', 'ls', '--format', '{{.Name}}', '--filter', filter]],
      ['network', ['network', 'ls', '--format', '{{.ID}} {{.Name}}', '--filter', filter]],
    ] as const) {
      const e = await this.cmd([...args], { purpose: 'list', timeoutMs: 60_000 });
      if (e.exitCode !== 0) throw new Error(`podman ${args[0]} failed: ${e.stderr.trim()}`);
      for (const line of e.stdout.split('\n')) if (line.trim()) found.push(`${kind} ${line.trim()}`);
    }
    const secrets = await this.cmd(SECRET_NAMES, { purpose: 'list', timeoutMs: 60_000 });
    for (const name of sessionSecrets(secrets.stdout, sessionId)) found.push(`secret ${name}`);
    return found;
  }
}

/**
 * The podman binary every call uses: `--podman PATH`, else `PODPROOF_PODMAN`, else `podman` on
 * PATH. Resolved to an absolute path so every identity runs the same binary (a wrapper included).
 */
export function resolvePodmanBinary(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const wanted = explicit || env.PODPROOF_PODMAN || 'podman';
  const found = which(wanted, env);
  if (!found) throw new PodmanNotFoundError(wanted);
  return found;
}

/** podman could not be found; the message says where podproof looked. */
export class PodmanNotFoundError extends Error {
  constructor(readonly wanted: string) {
    super(
      wanted.includes('/')
        ? `podman binary ${wanted} does not exist or is not executable`
        : `podman not found on PATH (install podman, or pass --podman PATH / set PODPROOF_PODMAN)`,
    );
    this.name = 'PodmanNotFoundError';
  }
}

/** PIDs of `podman container cleanup` processes (for one storage root, when given). */
export function pendingCleanups(root?: string): number[] {
  return processesWhere((args) => isContainerCleanup(args, root));
}

/**
 * Is this argv a `podman ... container cleanup` (of the store at `root`) (pure)? The two words
 * side by side: conmon's own argv names them too, apart (`--exit-command-arg container
 * --exit-command-arg cleanup`), for as long as its container runs.
 */
export function isContainerCleanup(args: readonly string[], root?: string): boolean {
  return (
    args.some((a, i) => a === 'container' && args[i + 1] === 'cleanup') && (!root || args.includes(root))
  );
}
