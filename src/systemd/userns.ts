import { join } from 'node:path';
import type { ExecContext } from '../exec/context.js';
import { NotObserved } from '../exec/errors.js';
import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { waitUntil } from '../exec/wait.js';
import { processAlive, readPidFile } from '../host/procs.js';
import { type Podman, pausePidFiles, pauseProcessUp } from '../podman/podman.js';
import { describeSocat, type EchoEnv, echoed, startEchoSocket } from './echo.js';
import { RESTRICTED_SERVICE } from './serve.js';
import { execLine } from './units.js';

/**
 * What rootless podman says when it cannot create its user namespace: the setuid newuidmap does
 * not map under NoNewPrivileges ("newuidmap: write to uid_map failed", podman's "cannot set up
 * namespace using .../newuidmap").
 */
export const USERNS_REFUSED = /newuidmap|newgidmap|cannot set up namespace/i;

/** What tearing the user namespace down and serving after it needs. */
export type UsernsEnv = EchoEnv & {
  podman: Pick<Podman, 'argv' | 'cmd' | 'runningContainers' | 'binary'>;
  defer(name: string, fn: () => unknown): void;
};

/**
 * A restricted (NoNewPrivileges) rootless service can only join a user namespace that exists
 * (see {@link USERNS_REFUSED}): make sure podproof's store has its pause process, as the article's
 * `podman-usernamespace.service` oneshot does before such a service. Rootful: nothing to do.
 */
export async function ensureUserNamespace(
  ctx: Pick<ExecContext, 'identity'> & { podman: Pick<Podman, 'cmd' | 'pauseProcessUp'> },
): Promise<void> {
  if (ctx.identity.name !== 'rootless' || ctx.podman.pauseProcessUp()) return;
  const made = await ctx.podman.cmd(['unshare', '/bin/true'], {
    purpose: 'create the user namespace before the restricted service (as podman-usernamespace.service)',
    timeoutMs: 60_000,
  });
  if (!succeeded(made)) throw new Error(`podman unshare /bin/true: ${describeEvidence(made)}`);
}

/**
 * Tear the rootless user namespace down: stop every pause process podman could join. That is
 * podproof's own (under its --tmpdir) and the one at podman's default location
 * ($XDG_RUNTIME_DIR/libpod/tmp), which podman joins whatever --tmpdir says: left alive, the
 * restricted service would join it and the control would prove nothing. Running containers keep
 * their own namespaces; podman starts a new pause process on its next use (as `podman system
 * migrate` does).
 */
export async function tearDownUserns(ctx: UsernsEnv): Promise<{ ok: boolean; detail: string }> {
  const pids = [
    ...new Set(
      Object.values(pausePidFiles(ctx.identity))
        .map(readPidFile)
        .filter((pid) => processAlive(pid)),
    ),
  ];
  if (!pids.length) return { ok: true, detail: 'no pause process was running' };
  // SIGKILL: the pause process only holds the namespaces open, and takes seconds over SIGTERM
  await ctx.exec(['kill', '-KILL', ...pids], {
    purpose: 'tear down the user namespace (kill the pause processes)',
  });
  const gone = await waitUntil(() => !pids.some(processAlive), 5_000, 100, ctx.signal);
  if (!gone)
    return { ok: false, detail: `pause process(es) ${pids.filter(processAlive).join(', ')} still running` };
  return {
    ok: true,
    detail: `pause process${pids.length > 1 ? 'es' : ''} ${pids.join(', ')} stopped`,
  };
}

/**
 * The identity's own pause process (podman's default location), as it was when the claim began:
 * a user's restricted service may count on it, and a teardown stops it. Running then and gone at
 * the claim's end, it is made again by a throwaway store (podman keeps the tmpdir a store was made
 * with, so podproof's store cannot put one there, and the user's own store is theirs); the pause
 * process outlives the store, as podman's own does.
 */
export function keepDefaultPauseProcess(ctx: UsernsEnv): void {
  const pidFile = pausePidFiles(ctx.identity).host;
  if (!pauseProcessUp(pidFile)) return;
  ctx.defer("start the identity's own pause process again (podman's default location)", async () => {
    if (ctx.session.signal.aborted || pauseProcessUp(pidFile)) return;
    const made = await startDefaultPauseProcess(ctx, ctx.podman.binary);
    if (!succeeded(made)) throw new Error(describeEvidence(made));
  });
}

/**
 * Start a pause process at podman's default location ($XDG_RUNTIME_DIR/libpod/tmp) for the
 * identity, from a store of the session's own (removed at teardown). Its runroot is short: podman
 * before 5.1 refuses one of 50 characters or more.
 */
export async function startDefaultPauseProcess(
  ctx: Pick<ExecContext, 'session' | 'identity' | 'exec'>,
  binary: string,
) {
  const root = ctx.session.tempDir('pause-store', { owner: ctx.identity });
  const runroot = ctx.session.dirAt(ctx.identity.runtimeDir, 'pause', { owner: ctx.identity });
  return ctx.exec([binary, '--root', root, '--runroot', runroot, 'unshare', '/bin/true'], {
    purpose: "start the identity's own pause process (podman's default location)",
    timeoutMs: 60_000,
  });
}

/**
 * Wait until no container of this identity's store runs. With no pause process left, podman
 * joins the user namespace of a running container through its conmon (the other side's echo
 * container, say): the restricted service would serve without the oneshot, and the control
 * would prove nothing. Returns the ids still running at the bound.
 */
export async function runningContainersGone(ctx: UsernsEnv): Promise<string[]> {
  let ids: string[] = [];
  await waitUntil(
    async () => {
      ids = await ctx.podman.runningContainers('containers that would share their user namespace');
      return ids.length === 0;
    },
    30_000,
    100,
    ctx.signal,
  );
  return ids;
}

/** What a serve-after-teardown run saw. */
export interface ServedAfterTeardown {
  served: boolean;
  observed: string;
  /** The service's journal, where it did not serve. */
  journal?: string;
  /** The service's stderr, from the file it went to. */
  serviceOutput: string;
}

/** Serve hello through a fresh restricted echo service after tearing the user namespace down. */
export async function servesAfterTeardown(
  ctx: UsernsEnv,
  image: string,
  withPrecreate: boolean,
): Promise<ServedAfterTeardown> {
  const running = await runningContainersGone(ctx);
  if (running.length)
    throw new NotObserved(
      `container(s) ${running.join(', ')} still running: podman would join their user namespace, with or without the oneshot`,
    );
  // from here until the service starts, no podman of this identity may run: it would recreate the namespace
  const down = await tearDownUserns(ctx);
  if (!down.ok) throw new NotObserved(down.detail);
  const precreate = ctx.session.name('userns');
  // the service's stderr also goes to a file of the harness: the control's failure is read there
  // on hosts without journald too (systemd >= 236 has file:)
  const logDir = ctx.session.tempDir(withPrecreate ? 'userns-treatment' : 'userns-control', {
    owner: ctx.identity,
  });
  const serviceLog = join(logDir, 'service.err');
  const echo = await startEchoSocket(ctx, {
    image,
    withDatagrams: false,
    serviceProperties: [...RESTRICTED_SERVICE, `StandardError=file:${serviceLog}`],
    unitProperties: withPrecreate ? [`Requires=${precreate}.service`, `After=${precreate}.service`] : [],
    extraUnits: withPrecreate
      ? {
          [`${precreate}.service`]: [
            '[Unit]',
            'Description=podproof: create the rootless user namespace outside the restricted service',
            '',
            '[Service]',
            'Type=oneshot',
            'RemainAfterExit=yes',
            `ExecStart=${execLine(ctx.podman.argv(['unshare', '/bin/true']))}`,
            '',
          ].join('\n'),
        }
      : {},
  });
  try {
    const started = await echo.units.systemctl(['start', `${echo.base}.socket`], 'start the socket unit');
    if (!succeeded(started)) throw new NotObserved(describeEvidence(started));
    const first = echo.sockets[0];
    if (!first) throw new NotObserved('the echo unit has no socket');
    const side = withPrecreate ? 'treatment' : 'control';
    const { e, ended } = await echo.sendWhileServing(first, 'hello', `${side}: tcp4`, side);
    const st = await echo.units.systemctl(['is-failed', `${echo.base}.service`], 'service state');
    const served = echoed(e, 'hello');
    return {
      served,
      journal: served ? undefined : (await echo.journal("the service's journal")).stdout,
      // read through the exec layer: the service's stderr is kept with the evidence
      serviceOutput: (
        await ctx.exec(['cat', '--', serviceLog], { purpose: "the service's stderr (its file)" })
      ).stdout,
      observed: `${down.detail}; ${withPrecreate ? 'after the oneshot `podman unshare /bin/true`' : 'without it'}: tcp4 ${describeSocat(e)}, service ${st.stdout.trim() || 'unknown'}${ended ? ` (${ended})` : ''}`,
    };
  } finally {
    // now, not at the claim's end: this side's echo container must be gone before the other side's
    // teardown (remove() is idempotent; the session's teardown also has it, for a SIGINT)
    await echo.units.remove();
  }
}
