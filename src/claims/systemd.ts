import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ECHO_NO_SOCKETS_EXIT } from '../apparatus/echo-server.js';
import { BUSYBOX, NODE } from '../apparatus/images.js';
import { localRegistry, pushImage, registryBinary } from '../apparatus/registry.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { waitUntil } from '../exec/wait.js';
import type { Claim, ClaimContext } from '../experiment/types.js';
import { allOf, type Observation, type Side } from '../experiment/verdict.js';
import { readTextIfAny } from '../host/files.js';
import { restrictedServiceRuntimeBug } from '../host/parse.js';
import { storagePaths } from '../podman/podman.js';
import {
  describeSocat,
  type EchoSocket,
  echoed,
  type ServiceEnd,
  socketActivationNeeds,
  startEchoSocket,
} from '../systemd/echo.js';
import { runAsService, stopUnit, systemdUnavailable } from '../systemd/transient.js';
import { execLine } from '../systemd/units.js';

/** The property the articles put on podman's service. */
export const RESTRICT_INET = 'RestrictAddressFamilies=AF_UNIX AF_NETLINK';

/** The expected failure of a pull without internet sockets (pure). */
export function isAddressFamilyBlocked(e: {
  exitCode: number | null;
  stderr: string;
  stdout: string;
  failure?: string;
}): boolean {
  return (
    !e.failure &&
    e.exitCode === 125 &&
    /address family not supported by protocol/.test(`${e.stderr}\n${e.stdout}`)
  );
}

/** Treatment check (pure): the restricted pull failed with the expected error, nothing else. */
export function checkPullBlocked(e: Evidence): Observation {
  return {
    holds: isAddressFamilyBlocked(e),
    observed: `with ${RESTRICT_INET}: ${describeEvidence(e).replace(/^`[^`]*` /, '')}`,
  };
}

/** The side of a process-level check: a process that did not run to an exit is a harness error. */
function sideOfRun(e: Evidence, check: (e: Evidence) => Observation): Side {
  return e.failure ? { ok: false, error: describeEvidence(e) } : { ok: true, value: check(e) };
}

interface PullSetup {
  /** `podman pull` of an image in the local registry, as argv for a service. */
  pull: string[];
}

export const pullBlocked: Claim<PullSetup> = {
  id: 'systemd.pull-blocked',
  startEarly: true,
  title: 'podman in a systemd service with RestrictAddressFamilies=AF_UNIX AF_NETLINK cannot pull',
  source: 'podman pull exits 125: dial tcp ...: socket: address family not supported by protocol',
  identities: ['rootful', 'rootless'],
  needs(host, identity) {
    if (!registryBinary())
      return 'needs a local registry: install docker-registry (Debian/Ubuntu) or docker-distribution (Fedora)';
    return systemdUnavailable(host, identity.name);
  },
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    const registry = await localRegistry(ctx.session, ctx.log);
    ctx.defer('stop the local registry', () => registry.stop());
    const ref = `${registry.address}/podproof-${ctx.session.id}/busybox:latest`;
    ctx.defer(`remove ${ref}`, () =>
      ctx.podman.cmd(['rmi', '-f', ref], { purpose: 'cleanup', timeoutMs: 60_000 }),
    );
    await pushImage(ctx.podman, image, ref, { purpose: 'push to the local registry' });
    return { pull: ctx.podman.argv(['pull', '--tls-verify=false', ref]) };
  },
  treatment: async (ctx, { pull }) =>
    sideOfRun(
      await pullAsService(ctx, pull, [RESTRICT_INET], 'treatment: restricted pull'),
      checkPullBlocked,
    ),
  control: async (ctx, { pull }) =>
    sideOfRun(await pullAsService(ctx, pull, [], 'control: unrestricted pull'), (x) => ({
      holds: succeeded(x),
      observed: `without it: pull exit ${x.exitCode}`,
    })),
};

/** Run the pull as a transient service of the identity's manager with these properties (stopped with the claim). */
function pullAsService(ctx: ClaimContext, pull: string[], properties: string[], purpose: string) {
  const user = ctx.identity.name === 'rootless';
  const unit = `${ctx.session.name('pull')}.service`;
  ctx.defer(`stop ${unit}`, () => stopUnit(ctx.exec, user, unit));
  return runAsService(ctx.exec, { user, unit, journal: ctx.session, properties, argv: pull, purpose });
}

/**
 * Send `line` to each socket in turn (the first connection starts the container); which echoed.
 * A serving echo server never exits: once systemd says the service's main process ended, the
 * send under way stops and the rest are not sent (each would only wait out its idle timeout).
 * A control whose service has no sockets (`each-timeout`) sends to every socket whatever it does.
 */
async function serveAll(
  echo: EchoSocket,
  purpose: string,
  until: 'service-ends' | 'each-timeout',
): Promise<Served> {
  const watch =
    until === 'service-ends' ? echo.watchServiceEnd(`${purpose}: watch for the service's end`) : undefined;
  const sends: Send[] = [];
  for (const s of echo.sockets) {
    const e = watch?.endLine()
      ? undefined
      : await echo.send(s, 'hello', `${purpose}: ${s.name}`, watch?.ended);
    sends.push({ name: s.name, e, ended: watch?.endLine() });
  }
  await watch?.stop();
  const missed = sends.some((x) => !sent(x));
  return { sends, journal: missed ? await echo.journal(`${purpose}: the service's journal`) : undefined };
}

/** What {@link serveAll} saw: socat's evidence per socket, and the service's journal when one did not echo. */
interface Served {
  sends: Send[];
  journal?: Evidence;
}

/** One line sent through one socket: socat's evidence (none when not sent), and systemd's line if the service had ended. */
export interface Send {
  name: string;
  e?: Evidence;
  ended?: string;
}

/** Did this send come back as the echo of hello (pure)? */
function sent(x: Send): boolean {
  return x.e !== undefined && echoed(x.e, 'hello');
}

function describeSends(sends: Send[]): string {
  const served = sends.filter(sent).map((x) => x.name);
  const missing = sends
    .filter((x) => !sent(x))
    .map((x) => `${x.name} ${x.e ? describeSocat(x.e) : 'not sent'}`);
  const ended = sends.find((x) => x.ended)?.ended;
  return `served hello on ${served.join(', ') || 'nothing'}${missing.length ? `; no echo on ${missing.join('; ')}` : ''}${ended ? `; the service ended: ${ended}` : ''}`;
}

/** Treatment check (pure): every socket echoed hello. */
export function checkServesAll(label: string, sends: Send[]): Observation {
  return {
    holds: sends.length > 0 && sends.every(sent),
    observed: `${label}: ${describeSends(sends)}`,
  };
}

/**
 * Control check of `socket-activation` (pure): nothing echoed, and the container did run: the
 * service ended with the echo server's own exit code for "no sockets given". A podman that
 * could not start the container (125-127) or a service still running is no such contrast.
 */
export function checkRanWithoutSockets(sends: Send[], end: ServiceEnd): Observation {
  const ran = end.exitCode === ECHO_NO_SOCKETS_EXIT;
  const how = !end.ended
    ? `the service had not ended (${end.activeState ?? 'state unknown'})`
    : end.exitCode !== undefined
      ? `the service's main process exited ${end.exitCode}${ran ? ' (the echo server: no sockets given)' : ''}`
      : `the service's main process was killed by signal ${end.signal ?? '?'}`;
  return {
    holds: ran && !sends.some(sent),
    observed: `without the socket unit: ${how}; ${describeSends(sends)}`,
  };
}

/** Treatment check (pure): the echo server reports only the loopback interface. */
export function checkOnlyLoopback(e: Evidence | undefined): Observation {
  const names = /interfaces: (\S*)/.exec(e?.stdout ?? '')?.[1] ?? '?';
  return { holds: names === 'lo', observed: `container interfaces: ${names}` };
}

/** podman's pull refused its internet socket, in a service's journal (pure): Go's `dial tcp ...: socket: address family not supported by protocol`. */
export function pullBlockedLine(journal: string): string | undefined {
  return journal
    .split('\n')
    .find((l) => /dial (tcp|udp)\S* [^\n]*address family not supported by protocol/.test(l));
}

/**
 * Control check of `restricted-still-serves` (pure): no echo, and the right failure: the
 * service's journal shows podman's pull refused its socket, or (where there is no journal)
 * systemd failed both service and socket after the start limit. podman 5 retries a failed pull
 * with growing delays, so its service fails too slowly to reach systemd's start limit: there the
 * journal is the evidence.
 */
export function checkRestrictedPullFails(
  e: Evidence | undefined,
  states: string[],
  journal = '',
): Observation {
  const blocked = pullBlockedLine(journal);
  const bothFailed = states.length === 2 && states.every((x) => x === 'failed');
  return {
    holds: !(e && echoed(e, 'hello')) && (blocked !== undefined || bothFailed),
    observed: `restricted, --pull=always: ${e ? describeSocat(e) : 'not tried'}; is-failed service/socket: ${states.join('/')}${blocked ? `; the service's journal: ${blocked.trim()}` : ''}`,
  };
}

/** Install the echo units (removed with the claim) and start the socket unit, or the service alone. */
async function startEcho(
  ctx: ClaimContext,
  opts: Parameters<typeof startEchoSocket>[1],
  start: 'socket' | 'service',
) {
  const echo = await startEchoSocket(ctx, opts);
  ctx.defer(`remove units of ${echo.base}`, () => echo.units.remove());
  const started = await echo.units.systemctl(['start', `${echo.base}.${start}`], `start the ${start} unit`);
  if (!succeeded(started) && start === 'socket')
    throw new Error(`could not start the socket unit: ${describeEvidence(started)}`);
  return echo;
}

export const socketActivation: Claim = {
  id: 'systemd.socket-activation',
  startEarly: true,
  title: 'a socket-activated --network=none container serves tcp4, tcp6, udp4, udp6 and a unix socket',
  source: 'echo hello | socat - udp6:[::1]:3000 -> hello; ip -brief addr inside: only lo',
  identities: ['rootful', 'rootless'],
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  async treatment(ctx) {
    const echo = await startEcho(ctx, {}, 'socket');
    const { sends } = await serveAll(echo, 'treatment', 'service-ends');
    const first = echo.sockets[0];
    const ifaces = first
      ? await echo.send(first, 'podproof-interfaces', 'treatment: container interfaces')
      : undefined;
    return allOf([
      { ok: true, value: checkServesAll('socket-activated', sends) },
      { ok: true, value: checkOnlyLoopback(ifaces) },
    ]);
  },
  // the same service and container started without its socket unit: its echo server runs, finds
  // no socket to serve and exits; only then are the sockets tried (and nothing is stopped while
  // its podman still sets the container up)
  async control(ctx) {
    const echo = await startEcho(ctx, { withoutSocketUnit: true }, 'service');
    const end = await echo.serviceEnd("control: wait for the service's end");
    const { sends } = await serveAll(echo, 'control', 'each-timeout');
    return { ok: true, value: checkRanWithoutSockets(sends, end) };
  },
};

/** The restricted service of the articles: no internet sockets, no new privileges. */
export const RESTRICTED_SERVICE = [`${RESTRICT_INET}`, 'NoNewPrivileges=yes'];

export const restrictedStillServes: Claim = {
  id: 'systemd.restricted-still-serves',
  startEarly: true,
  title:
    'a restricted socket-activated container with --pull=never still serves; with --pull=always it fails',
  source:
    'RestrictAddressFamilies=AF_UNIX AF_NETLINK + NoNewPrivileges: hello over tcp4/tcp6/unix; --pull=always: is-failed says failed',
  identities: ['rootful', 'rootless'],
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  async treatment(ctx) {
    const echo = await startEcho(
      ctx,
      { withDatagrams: false, serviceProperties: RESTRICTED_SERVICE },
      'socket',
    );
    const served = await serveAll(echo, 'treatment', 'service-ends');
    return {
      ok: true,
      value: withRuntimeNote(
        ctx,
        checkServesAll('restricted, --pull=never', served.sends),
        served.journal?.stdout,
      ),
    };
  },
  // the same restricted service asked to pull cannot reach any registry
  async control(ctx) {
    const echo = await startEcho(
      ctx,
      { withDatagrams: false, serviceProperties: RESTRICTED_SERVICE, runFlags: ['--pull=always'] },
      'socket',
    );
    const first = echo.sockets[0];
    const e = first
      ? (await echo.sendWhileServing(first, 'hello', 'control: tcp4 with --pull=always', 'control')).e
      : undefined;
    const journal = await echo.journal("control: the service's journal");
    const isFailed = async () => {
      const st = await echo.units.systemctl(
        ['is-failed', `${echo.base}.service`, `${echo.base}.socket`],
        'control: is-failed',
      );
      return st.stdout.trim().split('\n');
    };
    let states = await isFailed();
    // without the pull's own error in a journal, the failure shown is systemd's: the failing
    // service is retried until its start limit, then systemd fails the socket too
    if (!pullBlockedLine(journal.stdout))
      await waitUntil(
        async () => {
          states = await isFailed();
          return states.every((x) => x === 'failed');
        },
        20_000,
        200,
        ctx.signal,
      );
    return { ok: true, value: checkRestrictedPullFails(e, states, journal.stdout) };
  },
};

/** Whether a process is alive (reads /proc). */
function alive(pid: string): boolean {
  return /^\d+$/.test(pid) && existsSync(`/proc/${pid}`);
}

const readText = (file: string): string => readTextIfAny(file) ?? '';

const readPid = (file: string): string => readText(file).trim();

/**
 * Tear the rootless user namespace down: stop every pause process podman could join. That is
 * podproof's own (under its --tmpdir) and the one at podman's default location
 * ($XDG_RUNTIME_DIR/libpod/tmp), which podman joins whatever --tmpdir says: left alive, the
 * restricted service would join it and the control would prove nothing. Running containers keep
 * their own namespaces; podman starts a new pause process on its next use (as `podman system
 * migrate` does).
 */
async function tearDownUserns(ctx: ClaimContext): Promise<{ ok: boolean; detail: string }> {
  const files = [
    join(storagePaths(ctx.identity).tmpdir, 'pause.pid'),
    join(ctx.identity.runtimeDir, 'libpod', 'tmp', 'pause.pid'),
  ];
  const pids = [...new Set(files.map(readPid).filter(alive))];
  if (!pids.length) return { ok: true, detail: 'no pause process was running' };
  // SIGKILL: the pause process only holds the namespaces open, and takes seconds over SIGTERM
  await ctx.exec(['kill', '-KILL', ...pids], {
    purpose: 'tear down the user namespace (kill the pause processes)',
  });
  const stopped = await waitUntil(() => !pids.some(alive), 5_000, 100, ctx.signal);
  if (!stopped)
    return { ok: false, detail: `pause process(es) ${pids.filter(alive).join(', ')} still running` };
  return { ok: true, detail: `pause process${pids.length > 1 ? 'es' : ''} ${pids.join(', ')} stopped` };
}

/**
 * Wait until no container of this identity's store runs. With no pause process left, podman
 * joins the user namespace of a running container through its conmon (the other side's echo
 * container, say): the restricted service would serve without the oneshot, and the control
 * would prove nothing. Returns the ids still running at the bound.
 */
async function runningContainersGone(ctx: ClaimContext): Promise<string[]> {
  let ids: string[] = [];
  await waitUntil(
    async () => {
      const ps = await ctx.podman.cmd(['ps', '-q'], {
        purpose: 'containers that would share their user namespace',
      });
      ids = succeeded(ps) ? ps.stdout.split('\n').filter(Boolean) : ['(podman ps failed)'];
      return ids.length === 0;
    },
    30_000,
    500,
    ctx.signal,
  );
  return ids;
}

/**
 * What rootless podman says when it cannot create its user namespace: the setuid newuidmap does
 * not map under NoNewPrivileges ("newuidmap: write to uid_map failed", podman's "cannot set up
 * namespace using .../newuidmap").
 */
export const USERNS_REFUSED = /newuidmap|newgidmap|cannot set up namespace/i;

/**
 * Control check (pure): without the oneshot the restricted service does not serve, and it failed
 * because podman could not create the user namespace (its stderr says so), not for any other reason
 * (a runtime bug, a missing image, a crash).
 */
export function checkUsernsRefused(served: boolean, observed: string, serviceOutput: string): Observation {
  const line = serviceOutput.split('\n').find((l) => USERNS_REFUSED.test(l));
  return {
    holds: !served && line !== undefined,
    observed: `${observed}; ${line ? `podman: ${line.trim()}` : "no user-namespace error in the service's output"}`,
  };
}

/** Serve hello through a fresh restricted echo service after tearing the user namespace down. */
async function servesAfterTeardown(
  ctx: ClaimContext,
  image: string,
  withPrecreate: boolean,
): Promise<
  { served: boolean; observed: string; journal?: Evidence; serviceOutput: string } | { error: string }
> {
  const running = await runningContainersGone(ctx);
  if (running.length)
    return {
      error: `container(s) ${running.join(', ')} still running: podman would join their user namespace, with or without the oneshot`,
    };
  // from here until the service starts, no podman of this identity may run: it would recreate the namespace
  const down = await tearDownUserns(ctx);
  if (!down.ok) return { error: down.detail };
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
    if (!succeeded(started)) return { error: describeEvidence(started) };
    const first = echo.sockets[0];
    if (!first) return { error: 'no socket' };
    const side = withPrecreate ? 'treatment' : 'control';
    const { e, ended } = await echo.sendWhileServing(first, 'hello', `${side}: tcp4`, side);
    const st = await echo.units.systemctl(['is-failed', `${echo.base}.service`], 'service state');
    const served = echoed(e, 'hello');
    return {
      served,
      journal: served ? undefined : await echo.journal("the service's journal"),
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

/**
 * The side of a serve-after-teardown run: the treatment served; the control did not, for the user
 * namespace podman could not make; or why the side could not run.
 */
function servedSide(
  ctx: ClaimContext,
  r: Awaited<ReturnType<typeof servesAfterTeardown>>,
  want: boolean,
): Side {
  if ('error' in r) return { ok: false, error: r.error };
  if (!want) return { ok: true, value: checkUsernsRefused(r.served, r.observed, r.serviceOutput) };
  return {
    ok: true,
    value: withRuntimeNote(
      ctx,
      { holds: r.served, observed: r.observed },
      `${r.journal?.stdout ?? ''}\n${r.serviceOutput}`,
    ),
  };
}

/**
 * A restricted service's observation that did not hold, with a known runtime bug named beside it
 * when the service's output (journal, or the file its stderr went to) shows it.
 */
function withRuntimeNote(ctx: ClaimContext, o: Observation, output = ''): Observation {
  const bug = o.holds
    ? undefined
    : restrictedServiceRuntimeBug(ctx.host.identities[ctx.identity.name]?.podman, output);
  return bug ? { ...o, observed: `${o.observed} (known: ${bug})` } : o;
}

export const usernsPrecreated: Claim<string> = {
  id: 'systemd.userns-precreated',
  startEarly: true,
  title: 'a restricted (NoNewPrivileges) rootless service needs the user namespace created before it starts',
  source:
    'podman-usernamespace.service: a oneshot `podman unshare /bin/true` ordered before the restricted service',
  identities: ['rootless'],
  // it stops podproof's pause process: nothing else of this identity may run meanwhile
  exclusive: true,
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  setup: (ctx) => ctx.image(NODE), // before the teardown: looking it up runs podman
  treatment: async (ctx, image) => servedSide(ctx, await servesAfterTeardown(ctx, image, true), true),
  control: async (ctx, image) => servedSide(ctx, await servesAfterTeardown(ctx, image, false), false),
};

export const systemdClaims: Claim[] = [
  pullBlocked,
  socketActivation,
  restrictedStillServes,
  usernsPrecreated,
];
