/**
 * The fault table (issue 26): faults injected into a run at a known moment, each with the rows
 * it may end as. A fault never becomes a proof: a row it touches ends `error` or `inconclusive`
 * with a reason that names what went wrong, or with the verdict a lone run gives where the fault
 * must not matter (a second `podproof clean`). suites/faults.test.ts runs each and checks that
 * nothing is left.
 *
 * Most faults are injected by a podman wrapper at the command they must precede (suites/wrapper.ts
 * has its bash library), so the moment is an event, not a guess: the sink is killed right before
 * the control's client runs, the registry right before the treatment's pull. The wrapper writes
 * `DIR/injected` when it did its part; a run where it did not proves nothing and fails the test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Identity, IdentityName } from '../src/exec/identity.js';
import { processRunning } from '../src/exec/procs.js';
import { waitUntil } from '../src/exec/wait.js';
import type { Verdict } from '../src/experiment/types.js';

/** What a fault needs around the run: env for the CLI, and what undoes it afterwards. */
export interface FaultScene {
  env?: Record<string, string>;
  /** Runs beside the prove (resolves when its part is done or the run ended). */
  during?: (ended: AbortSignal) => Promise<void>;
  /** Undo the fault; returns what the fault's own place still held (it must be nothing). */
  stop(): Promise<string[]>;
}

export interface Fault {
  name: string;
  /** What is done, and when (the table's first column). */
  fault: string;
  /** The claims the run proves (`--only`). */
  claims: string[];
  identities?: IdentityName[];
  /** More arguments for `prove`. */
  args?: string[];
  /**
   * Bash the wrapper runs before every podman command (the library of suites/wrapper.ts; `$DIR`
   * is the fault's dir, `$REAL` the real podman).
   */
  always?: string;
  /** Set up before the run (`dir`: the fault's own dir, writable by every identity). */
  scene?: (dir: string, rootless: Identity | undefined) => FaultScene | Promise<FaultScene>;
  /** The verdicts the fault's rows may end as. */
  verdicts: Verdict[];
  /** A row not `proven` names the fault with this. */
  reason: RegExp;
}

/** Bash: has the wrapper injected its fault already (once per run)? Marks it with what it did. */
const once = (what: string) => `[[ ! -e $DIR/injected ]] && { echo ${what} > "$DIR/injected"; }`;

const args = `printf '%s\\n' "\${args[@]}"`;

/** Is the manager's process (systemd --user of `uid`) running? */
export function userManagerPid(uid: number): number | undefined {
  try {
    const out = execFileSync('pgrep', ['-u', String(uid), '-x', 'systemd'], { encoding: 'utf8' });
    // pgrep lists a zombie too: a manager that exited and is not yet reaped is not running
    return out
      .trim()
      .split('\n')
      .map(Number)
      .find((pid) => pid > 0 && processRunning(pid));
  } catch {
    return undefined;
  }
}

export const FAULTS: Fault[] = [
  {
    name: 'sink-killed',
    fault: "the network sink's container is killed right before the control's client runs",
    claims: ['network.egress-blocked'],
    always: `if has run && ${args} | grep -q -- '^--network=podproof-' && ${args} | grep -q 'resolv.conf'; then
  collect_globals
  for c in $("$REAL" "\${globals[@]}" ps -q --filter "label=io.podproof.session=$sess" --filter name=sink); do
    "$REAL" "\${globals[@]}" kill --signal KILL "$c" >/dev/null 2>&1 && echo "killed sink $c as $(id -u)" >> "$DIR/injected"
  done
fi`,
    verdicts: ['error', 'inconclusive'],
    reason: /sink|[Cc]ouldn't connect|Failed to connect/,
  },
  {
    name: 'registry-killed',
    fault: 'the local registry is killed (SIGKILL) right before the treatment pulls',
    claims: ['trust.policy'],
    // the registry is the harness's own process (root's): a rootless wrapper could not kill it
    identities: ['rootful'],
    always: `if has pull && ${args} | grep -q '/treatment$'; then
  s=$(${args} | sed -n 's|.*/podproof-\\([a-z0-9]*\\)/.*|\\1|p' | head -n 1)
  pkill -KILL -f -- "registry serve .*podproof-$s-" && ${once('registry killed')}
fi`,
    verdicts: ['error', 'inconclusive'],
    reason: /connection refused|dial tcp|registry/,
  },
  {
    name: 'user-manager-restarted',
    fault:
      "the rootless user's systemd manager is stopped (SIGTERM) as its service starts the container, then started again",
    claims: ['systemd.socket-activation'],
    identities: ['rootless'],
    // MANAGERPID: systemd sets it for what a user manager starts
    always: `if [[ -n $INVOCATION_ID && -n $MANAGERPID && $(id -u) != 0 ]] && has run && [[ ! -e $DIR/injected ]]; then
  echo "stopped the user manager $MANAGERPID" > "$DIR/injected"; kill -TERM "$MANAGERPID"
fi`,
    scene: (dir, rootless) => ({
      async during(ended) {
        if (!rootless) return;
        // start it again once the wrapper stopped it (the event: its marker, then the process gone)
        const stopped = await waitUntil(
          () => existsSync(join(dir, 'injected')) && userManagerPid(rootless.uid) === undefined,
          120_000,
          100,
          ended,
        );
        if (stopped) startUserManager(rootless);
      },
      async stop() {
        if (!rootless) return [];
        // whatever happened, the host keeps a running user manager (as the suite found it): the
        // one stopped first ends (bounded), then one is started where none runs
        const marker = join(dir, 'injected');
        const stopped = Number(
          /manager (\d+)/.exec(existsSync(marker) ? readFileSync(marker, 'utf8') : '')?.[1],
        );
        if (stopped > 0 && !(await waitUntil(() => !processRunning(stopped), 30_000, 100)))
          return [`the stopped user manager ${stopped} still runs`];
        startUserManager(rootless);
        // the suites after this one need it: a manager not started again is this test's failure
        return userManagerPid(rootless.uid) === undefined
          ? ['no user manager runs after the fault (scripts/prepare-host did not start one)']
          : [];
      },
    }),
    verdicts: ['error', 'inconclusive'],
    reason: /.+/,
  },
  {
    name: 'tmpdir-full',
    fault: 'TMPDIR is a 256 KiB tmpfs that is already full',
    claims: ['volume.noexec', 'rootfs.read-only'],
    scene(dir) {
      const tmp = join(dir, 'tmp');
      mkdirSync(tmp);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=1777', 'podproof-fault', tmp]);
      const fill = join(tmp, 'fill');
      try {
        writeFileSync(fill, Buffer.alloc(1024 * 1024));
      } catch {} // ENOSPC: full, as meant
      writeFileSync(join(dir, 'injected'), `TMPDIR ${tmp}: a full tmpfs\n`);
      return {
        env: { TMPDIR: tmp },
        async stop() {
          // podproof's own names; podman 4.3 itself leaves a temp file (digits) when a write of
          // its fails with ENOSPC, whoever runs it: a finding for the table, not podproof's
          const files = readdirSync(tmp).filter((f) => f !== 'fill');
          execFileSync('umount', [tmp]);
          return files.map((f) => (/^\d+$/.test(f) ? `(podman's own temp file ${f})` : `TMPDIR: ${f}`));
        },
      };
    },
    // a claim that writes no temp file is proven as a lone run proves it
    verdicts: ['error', 'proven'],
    reason: /ENOSPC|[Nn]o space left/,
  },
  {
    name: 'storage-lock-held',
    fault:
      "podman's container store lock is held (fcntl write lock, 15 s) right before the treatment's container is made; the claim's deadline is 6 s",
    claims: ['rootfs.read-only'],
    identities: ['rootful'],
    args: ['--claim-timeout', '6'],
    // c/storage locks overlay-containers/containers.lock with fcntl(F_SETLKW) (flock(1) would not
    // conflict): perl holds it as another podman would, and says when it has it
    always: `if has run && has --read-only && [[ ! -e $DIR/injected ]]; then
  collect_globals
  setsid perl -e 'use Fcntl; open(my $f, ">>", $ARGV[0]) or die; my $l = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die; open(my $h, ">", "$ARGV[1]/held.tmp"); print $h "$$\\n"; close $h; rename("$ARGV[1]/held.tmp", "$ARGV[1]/held"); sleep 15' "\${globals[1]}/overlay-containers/containers.lock" "$DIR" </dev/null >/dev/null 2>&1 &
  for _ in $(seq 100); do [[ -e $DIR/held ]] && break; sleep 0.1; done
  [[ -e $DIR/held ]] && echo "store lock held by $(cat "$DIR/held")" > "$DIR/injected"
fi`,
    scene: (dir) => ({
      async stop() {
        // the holder lets go by itself; the host is as found once it has
        const held = join(dir, 'held');
        const pid = existsSync(held) ? Number(readFileSync(held, 'utf8').trim()) : 0;
        if (pid > 0 && !(await waitUntil(() => !processRunning(pid), 40_000, 200)))
          return [`lock holder ${pid}`];
        return [];
      },
    }),
    verdicts: ['error'],
    reason: /timed out: its deadline \(6 s\) passed/,
  },
  {
    name: 'second-clean',
    fault: 'two `podproof clean` run at once as the run starts its first container (root)',
    claims: ['secrets.not-committed', 'network.egress-blocked', 'rootfs.read-only'],
    always: `if [[ $(id -u) == 0 ]] && has run && [[ ! -e $DIR/injected ]]; then
  echo "two cleans" > "$DIR/injected"
  "$NODE" "$CLI" clean > "$DIR/clean-1.log" 2>&1 & "$NODE" "$CLI" clean > "$DIR/clean-2.log" 2>&1; wait
  echo "clean exits done" >> "$DIR/injected"
fi`,
    // clean leaves a live session alone: the rows are what a lone run gives
    verdicts: ['proven'],
    reason: /^$/,
  },
];

/**
 * Start the rootless user manager again where it is not running: its `user@UID.service` where
 * systemd is PID 1, else scripts/prepare-host (which starts one on a host without it, as here).
 */
export function startUserManager(rootless: Identity): void {
  if (userManagerPid(rootless.uid) !== undefined) return;
  if (existsSync('/run/systemd/system') && readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd')
    execFileSync('systemctl', ['start', `user@${rootless.uid}.service`], { stdio: 'ignore' });
  else execFileSync(fileURLToPath(new URL('../scripts/prepare-host', import.meta.url)), { stdio: 'ignore' });
}
