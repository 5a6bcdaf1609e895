import { NODE } from '../apparatus/images.js';
import type { Evidence } from '../exec/evidence.js';
import type { Claim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import type { IdentityProfile } from '../host/profile.js';
import { restrictedServiceRuntimeBug } from '../parse/host.js';
import type { ServiceEnd } from '../systemd/echo.js';
import { describeSends, type Send, sent } from '../systemd/serve.js';

/** Treatment check (pure): every socket echoed hello. */
export function checkServesAll(label: string, sends: Send[]): Observation {
  return {
    holds: sends.length > 0 && sends.every(sent),
    observed: `${label}: ${describeSends(sends)}`,
  };
}

/** What a socket-activation arm saw: each send, and what the echo server or systemd said besides. */
export interface EchoRun {
  sends: Send[];
  /** The echo server's answer to `podproof-interfaces` (the treatment). */
  interfaces?: Evidence;
  /** How the service ended (the control, which has no sockets). */
  end?: ServiceEnd;
  /** The service's journal, where one send did not echo. */
  journal?: string;
  /** `systemctl is-failed` of service and socket (the restricted control). */
  states?: string[];
}

export interface EchoSetup {
  /** The node fixture the echo server runs in. */
  image: string;
  /** podman as `podman info` described it for this identity (for known runtime bugs). */
  podman: IdentityProfile['podman'];
}

export const echoSetup = async (ctx: Parameters<NonNullable<Claim['setup']>>[0]): Promise<EchoSetup> => ({
  image: await ctx.image(NODE),
  podman: ctx.host.identities[ctx.identity.name]?.podman,
});

/**
 * A restricted service's observation that did not hold, with a known runtime bug named beside it
 * when the service's output (journal, or the file its stderr went to) shows it (pure).
 */
export function withRuntimeNote(podman: EchoSetup['podman'], o: Observation, output = ''): Observation {
  const bug = o.holds ? undefined : restrictedServiceRuntimeBug(podman, output);
  return bug ? { ...o, observed: `${o.observed} (known: ${bug})` } : o;
}
