import { join } from 'node:path';
import type { ExecContext } from '../exec/context.js';
import { NotObserved } from '../exec/errors.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { scaled } from '../exec/time-scale.js';
import { waitUntil } from '../exec/wait.js';
import { which } from '../exec/which.js';
import { freePort } from '../host/ports.js';
import type { Podman } from '../podman/podman.js';
import { systemdUnavailable } from './transient.js';
import { execLine, installUnits, unitJournalArgv } from './units.js';

/** The sockets of the echo socket unit, in Listen order (systemd passes the fds in this order). */
export function echoSockets(port: number, unixPath: string) {
  return [
    {
      line: `ListenStream=127.0.0.1:${port}`,
      kind: 'stream',
      client: `tcp4:127.0.0.1:${port}`,
      name: 'tcp4',
    },
    { line: `ListenStream=[::1]:${port}`, kind: 'stream', client: `tcp6:[::1]:${port}`, name: 'tcp6' },
    { line: `ListenStream=${unixPath}`, kind: 'stream', client: `unix-connect:${unixPath}`, name: 'unix' },
    {
      line: `ListenDatagram=127.0.0.1:${port}`,
      kind: 'dgram4',
      client: `udp4:127.0.0.1:${port}`,
      name: 'udp4',
    },
    { line: `ListenDatagram=[::1]:${port}`, kind: 'dgram6', client: `udp6:[::1]:${port}`, name: 'udp6' },
  ] as const;
}

export type EchoListen = ReturnType<typeof echoSockets>[number];

/** The unit pair: a socket unit and the service it activates, running the echo server with podman. */
export function echoUnits(opts: {
  base: string;
  sockets: readonly EchoListen[];
  podmanArgv: (args: string[]) => string[];
  runFlags: string[];
  image: string;
  serviceProperties?: string[];
  unitProperties?: string[];
}): Record<string, string> {
  const kinds = opts.sockets.map((s) => s.kind).join(',');
  const exec = opts.podmanArgv([
    'run',
    '--rm',
    '--network=none',
    ...opts.runFlags,
    '-e',
    `PODPROOF_FD_KINDS=${kinds}`,
    opts.image,
    'node',
    '/podproof/echo-server.js',
  ]);
  return {
    [`${opts.base}.socket`]: [
      '[Unit]',
      `Description=podproof echo sockets (${opts.base})`,
      '',
      '[Socket]',
      ...opts.sockets.map((s) => s.line),
      // the unix socket's file goes with the unit (systemd's default keeps it)
      'RemoveOnStop=yes',
      '',
    ].join('\n'),
    [`${opts.base}.service`]: [
      '[Unit]',
      `Description=podproof echo server in a --network=none container (${opts.base})`,
      ...(opts.unitProperties ?? []),
      '',
      '[Service]',
      `ExecStart=${execLine(exec)}`,
      'TimeoutStopSec=15',
      ...(opts.serviceProperties ?? []),
      '',
    ].join('\n'),
  };
}

/** Send `line` through socat; UDP waits `-t` for the answer since it has no end of stream. */
export function socatArgv(s: EchoListen): string[] {
  // -t: how long the echo may take once the line is sent, -T: idle time; the first connection
  // starts the container, which takes longer on a slow host (both on its time scale)
  const seconds = (ms: number) => String(scaled(ms) / 1000);
  return ['socat', '-t', seconds(s.kind === 'stream' ? 20_000 : 3_000), '-T', seconds(30_000), '-', s.client];
}

/** Does socat's output carry the echo (pure)? */
export function echoed(e: Evidence, line: string): boolean {
  return (succeeded(e) || (e.answered === true && !e.failure)) && e.stdout.split('\n').includes(line);
}

/** Where the socket-activation claims' needs are not met, the reason. */
export function socketActivationNeeds(
  host: Parameters<typeof systemdUnavailable>[0],
  identity: string,
): string | undefined {
  if (!which('socat')) return "needs socat on the host (the articles' client)";
  return systemdUnavailable(host, identity);
}

/** What the echo service needs: the claim's exec context, and podman's argv for the unit's ExecStart. */
export type EchoEnv = ExecContext & { podman: Pick<Podman, 'argv'> };

/**
 * Install the echo socket + service for this identity, start the socket, and return helpers.
 * Everything is removed at the end of the claim and at teardown.
 */
export async function startEchoSocket(
  ctx: EchoEnv,
  opts: {
    runFlags?: string[];
    serviceProperties?: string[];
    unitProperties?: string[];
    withDatagrams?: boolean;
    /** More units installed with the pair (a oneshot the service requires). */
    extraUnits?: Record<string, string>;
    /** The node fixture (NODE), resolved by the caller: no podman call happens here. */
    image: string;
    /** Install the service alone (the socket-activation control: the same container, no sockets passed). */
    withoutSocketUnit?: boolean;
  },
) {
  const image = opts.image;
  const port = await freePort();
  const base = ctx.session.name('echo');
  const unixPath = ctx.session.expectFile(join(ctx.identity.runtimeDir, `${base}.sock`));
  const all = echoSockets(port, unixPath);
  const sockets = opts.withDatagrams === false ? all.filter((s) => s.kind === 'stream') : all;
  const pair = echoUnits({
    base,
    sockets,
    podmanArgv: (args) => ctx.podman.argv(args),
    runFlags: ['--pull=never', '--name', base, '--label', ctx.session.label, ...(opts.runFlags ?? [])],
    image,
    serviceProperties: opts.serviceProperties,
    unitProperties: opts.unitProperties,
  });
  if (opts.withoutSocketUnit) delete pair[`${base}.socket`];
  const units = await installUnits(ctx.exec, ctx.identity, ctx.session, { ...opts.extraUnits, ...pair });
  // done when the echo (or any answer line) is back: a UDP client has no end of stream to wait for
  const send = (s: EchoListen, line: string, purpose: string, enough?: AbortSignal) =>
    ctx.exec(socatArgv(s), {
      input: `${line}\n`,
      purpose,
      timeoutMs: 60_000,
      until: (out) => out.includes('\n'),
      enough,
    });
  const journalArgv = (...more: string[]) => unitJournalArgv(ctx.identity, `${base}.service`, ...more);
  // what the service printed (podman's and the runtime's errors), for a side that did not serve
  const journal = (purpose: string) => ctx.exec(journalArgv('--lines', '40'), { purpose, timeoutMs: 30_000 });
  /**
   * Follow the service's journal until systemd says its main process ended. The echo server
   * never exits while it serves, so that line is the event a waiting client can stop on: a
   * failing service is otherwise started again from the pending connection until the client's
   * idle timeout (minutes under a slow VM). Where there is no journal (no journald), `ended`
   * never aborts and clients wait as before. `stop()` ends the watch and returns its evidence.
   */
  const watchServiceEnd = (purpose: string): ServiceEndWatch => {
    const ended = new AbortController();
    const enough = new AbortController();
    const watch = ctx
      .exec(journalArgv('--lines=all', '--follow'), {
        purpose,
        timeoutMs: 3_600_000,
        enough: enough.signal,
        until: (out) => serviceEndLine(out) !== undefined,
      })
      .then((e) => {
        const line = serviceEndLine(e.stdout);
        if (line) ended.abort(line);
        return e;
      });
    return {
      ended: ended.signal,
      endLine: () => (ended.signal.aborted ? String(ended.signal.reason) : undefined),
      stop: () => {
        enough.abort();
        return watch;
      },
    };
  };
  /**
   * After a send that did not echo: was the socket unit still listening? A socket unit stays
   * `active` (or turns `failed` when its service keeps failing) under a manager that kept it; one
   * that is `inactive`, unknown, or a manager that does not answer (stopped, restarted) means
   * the send never reached the service: nothing was observed, whatever the verdict would say.
   */
  const socketStillListened = async (purpose: string): Promise<void> => {
    if (opts.withoutSocketUnit) return;
    const shown = await units.systemctl(['show', '--property=ActiveState', `${base}.socket`], purpose);
    const { listened, state } = socketUnitListened(shown);
    if (listened) return;
    throw new NotObserved(
      `the socket unit ${base}.socket was ${state ?? 'not answered for'} after the sends: its manager stopped or restarted (${describeEvidence(shown)}), so no send reached the service`,
    );
  };
  /** One line through one socket, the client stopped when the service's main process ends. */
  const sendWhileServing = async (s: EchoListen, line: string, purpose: string, side: string) => {
    const watch = watchServiceEnd(`${side}: watch for the service's end`);
    const e = await send(s, line, purpose, watch.ended);
    await watch.stop();
    if (!echoed(e, line)) await socketStillListened(`${side}: was the socket unit still listening?`);
    return { e, ended: watch.endLine() };
  };
  /**
   * Wait (bounded) until the service's main process has ended, by systemd's own state: a
   * service stopped while its podman still sets the container up can leave that container's
   * network namespace behind (podman 4.3), so a side that expects its service to end waits for it.
   */
  const serviceEnd = async (purpose: string, timeoutMs = 60_000): Promise<ServiceEnd> => {
    let end: ServiceEnd = { ended: false };
    let lost: string | undefined;
    const show = async () => {
      const shown = await units.systemctl(
        [
          'show',
          '--property=ActiveState',
          '--property=ExecMainCode',
          '--property=ExecMainStatus',
          '--property=ExecMainStartTimestampMonotonic',
          '--property=ExecMainExitTimestampMonotonic',
          `${base}.service`,
        ],
        purpose,
      );
      end = parseServiceEnd(shown.stdout);
      // a manager that does not answer, or one that never ran the started service (a restarted
      // manager), will not end it either: nothing to wait for
      if (!succeeded(shown) || end.neverRan) lost = describeEvidence(shown);
      return end.ended || lost !== undefined;
    };
    await waitUntil(show, timeoutMs, 200, ctx.signal);
    if (lost)
      throw new NotObserved(
        `the service ${base}.service was started but its manager ${end.neverRan ? 'never ran it' : 'did not answer'}: it stopped or restarted (${lost})`,
      );
    return end;
  };
  return {
    base,
    port,
    sockets,
    units,
    send,
    sendWhileServing,
    socketStillListened,
    journal,
    watchServiceEnd,
    serviceEnd,
    image,
  };
}

/**
 * Did a socket unit keep listening, by `systemctl show --property=ActiveState` (pure)? `active`,
 * or `failed` (its service kept failing: the trigger limit); `inactive` or no answer is a socket
 * its manager no longer had.
 */
export function socketUnitListened(shown: Pick<Evidence, 'exitCode' | 'stdout'>): {
  listened: boolean;
  state?: string;
} {
  const state = /^ActiveState=(\S+)/m.exec(shown.stdout)?.[1];
  return { listened: shown.exitCode === 0 && (state === 'active' || state === 'failed'), state };
}

/** How a service's main process ended, from `systemctl show` (see {@link parseServiceEnd}). */
export interface ServiceEnd {
  /** The main process has exited (or was killed) and the unit is no longer active. */
  ended: boolean;
  activeState?: string;
  /** Its exit code, when it exited (not killed by a signal). */
  exitCode?: number;
  /** The signal number, when a signal killed it. */
  signal?: number;
  /** Inactive, and its main process never started (a manager that lost the unit it was told to start). */
  neverRan?: boolean;
}

/** `systemctl show` of ActiveState, ExecMainCode, ExecMainStatus, ExecMain{Start,Exit}TimestampMonotonic (pure). */
export function parseServiceEnd(text: string): ServiceEnd {
  const p = new Map(
    text
      .split('\n')
      .map((l) => /^(\w+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]] as [string, string]),
  );
  const activeState = p.get('ActiveState');
  const exitedAt = Number(p.get('ExecMainExitTimestampMonotonic') ?? 0);
  const ended = exitedAt > 0 && (activeState === 'failed' || activeState === 'inactive');
  const startedAt = Number(p.get('ExecMainStartTimestampMonotonic') ?? 0);
  const neverRan =
    activeState === 'inactive' &&
    startedAt === 0 &&
    exitedAt === 0 &&
    p.has('ExecMainStartTimestampMonotonic');
  // ExecMainCode is a CLD_* code: 1 exited (status = exit code), 2 killed, 3 dumped (status = signal)
  const code = Number(p.get('ExecMainCode'));
  const status = Number(p.get('ExecMainStatus'));
  return {
    ended,
    activeState,
    ...(ended && code === 1 && Number.isInteger(status) ? { exitCode: status } : {}),
    ...(ended && (code === 2 || code === 3) && Number.isInteger(status) ? { signal: status } : {}),
    ...(neverRan ? { neverRan } : {}),
  };
}

/** A follow of a service's journal, from {@link startEchoSocket}. */
export interface ServiceEndWatch {
  /** Aborts, with systemd's line as its reason, once the service's main process has ended. */
  ended: AbortSignal;
  /** systemd's line, once the service's main process has ended. */
  endLine(): string | undefined;
  /** End the watch; its evidence. */
  stop(): Promise<Evidence>;
}

/**
 * systemd's line saying a service's main process ended, in a unit's journal (pure): "Main
 * process exited, code=...", "Failed with result '...'" (v233+), "Deactivated successfully" (v248+).
 */
export function serviceEndLine(journal: string): string | undefined {
  return journal
    .split('\n')
    .find((l) => /(Main process exited, code=|Failed with result '|Deactivated successfully)/.test(l));
}

export type EchoSocket = Awaited<ReturnType<typeof startEchoSocket>>;

export function describeSocat(e: Evidence): string {
  // stopped by the caller (the service had ended) before any answer came
  if (e.answered && !e.failure && !e.stdout.trim())
    return `stopped after ${Math.round(e.durationMs / 1000)} s without an answer`;
  return succeeded(e) || (e.answered && !e.failure)
    ? `answered ${JSON.stringify(e.stdout.trim())}`
    : describeEvidence(e).replace(/^`[^`]*` /, '');
}
