import { ECHO_NO_SOCKETS_EXIT } from '../apparatus/echo-server.js';
import type { Evidence } from '../exec/evidence.js';
import type { Claim } from '../experiment/types.js';
import { allHold, type Observation } from '../experiment/verdict.js';
import { type ServiceEnd, socketActivationNeeds } from '../systemd/echo.js';
import { describeSends, type Send, sent, serveAll, startEcho } from '../systemd/serve.js';

import { checkServesAll, type EchoRun, type EchoSetup, echoSetup } from './systemd-echo.js';

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

export const socketActivation: Claim<EchoSetup, EchoRun> = {
  id: 'systemd.socket-activation',
  startEarly: true,
  title: 'a socket-activated --network=none container serves tcp4, tcp6, udp4, udp6 and a unix socket',
  source: 'echo hello | socat - udp6:[::1]:3000 -> hello; ip -brief addr inside: only lo',
  identities: ['rootful', 'rootless'],
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  setup: echoSetup,
  treatment: {
    setting: 'a socket unit passes its sockets to the --network=none container',
    async observe(ctx, { image }) {
      const echo = await startEcho(ctx, { image }, 'socket');
      const { sends } = await serveAll(echo, 'treatment', 'service-ends');
      const first = echo.sockets[0];
      const interfaces = first
        ? await echo.send(first, 'podproof-interfaces', 'treatment: container interfaces')
        : undefined;
      return { sends, interfaces };
    },
    check: ({ sends, interfaces }) =>
      allHold([checkServesAll('socket-activated', sends), checkOnlyLoopback(interfaces)]),
  },
  // the same service and container started without its socket unit: its echo server runs, finds
  // no socket to serve and exits; only then are the sockets tried (and nothing is stopped while
  // its podman still sets the container up)
  control: {
    setting: 'the same service started without its socket unit',
    async observe(ctx, { image }) {
      const echo = await startEcho(ctx, { image, withoutSocketUnit: true }, 'service');
      const end = await echo.serviceEnd("control: wait for the service's end");
      const { sends } = await serveAll(echo, 'control', 'each-timeout');
      return { sends, end };
    },
    check: ({ sends, end }) => checkRanWithoutSockets(sends, end ?? { ended: false }),
  },
};
