import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { describeSocat, type EchoEnv, type EchoSocket, echoed, startEchoSocket } from './echo.js';
import { runAsService } from './transient.js';

/** The property the articles put on podman's service. */
export const RESTRICT_INET = 'RestrictAddressFamilies=AF_UNIX AF_NETLINK';

/** The restricted service of the articles: no internet sockets, no new privileges. */
export const RESTRICTED_SERVICE = [`${RESTRICT_INET}`, 'NoNewPrivileges=yes'];

/**
 * Send `line` to each socket in turn (the first connection starts the container); which echoed.
 * A serving echo server never exits: once systemd says the service's main process ended, the
 * send under way stops and the rest are not sent (each would only wait out its idle timeout).
 * A control whose service has no sockets (`each-timeout`) sends to every socket whatever it does.
 */
export async function serveAll(
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
  if (missed) await echo.socketStillListened(`${purpose}: was the socket unit still listening?`);
  return { sends, journal: missed ? await echo.journal(`${purpose}: the service's journal`) : undefined };
}

/** What {@link serveAll} saw: socat's evidence per socket, and the service's journal when one did not echo. */
export interface Served {
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
export function sent(x: Send): boolean {
  return x.e !== undefined && echoed(x.e, 'hello');
}

export function describeSends(sends: Send[]): string {
  const served = sends.filter(sent).map((x) => x.name);
  const missing = sends
    .filter((x) => !sent(x))
    .map((x) => `${x.name} ${x.e ? describeSocat(x.e) : 'not sent'}`);
  const ended = sends.find((x) => x.ended)?.ended;
  return `served hello on ${served.join(', ') || 'nothing'}${missing.length ? `; no echo on ${missing.join('; ')}` : ''}${ended ? `; the service ended: ${ended}` : ''}`;
}

/** Install the echo units (removed with the claim: `defer`) and start the socket unit, or the service alone. */
export async function startEcho(
  ctx: EchoEnv & { defer(name: string, fn: () => unknown): void },
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

/** Run the pull as a transient service of the identity's manager with these properties (stopped with the claim). */
export function pullAsService(
  ctx: Pick<EchoEnv, 'identity' | 'session' | 'exec'> & { defer(name: string, fn: () => unknown): void },
  pull: string[],
  properties: string[],
  purpose: string,
) {
  const user = ctx.identity.name === 'rootless';
  const unit = `${ctx.session.name('pull')}.service`;
  return runAsService(ctx.exec, {
    user,
    unit,
    journal: ctx.session,
    defer: (name, fn) => ctx.defer(name, fn),
    properties,
    argv: pull,
    purpose,
  });
}
