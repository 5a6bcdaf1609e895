import type { Claim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { socketActivationNeeds } from '../systemd/echo.js';
import {
  keepDefaultPauseProcess,
  type ServedAfterTeardown,
  servesAfterTeardown,
  USERNS_REFUSED,
} from '../systemd/userns.js';

export { USERNS_REFUSED };

import { type EchoSetup, echoSetup, withRuntimeNote } from './systemd-echo.js';

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

/** Did a serve-after-teardown run echo (pure)? */
function checkServedAfterOneshot(r: ServedAfterTeardown, podman: EchoSetup['podman']): Observation {
  return withRuntimeNote(
    podman,
    { holds: r.served, observed: r.observed },
    `${r.journal ?? ''}\n${r.serviceOutput}`,
  );
}

export const usernsPrecreated: Claim<EchoSetup, ServedAfterTeardown> = {
  id: 'systemd.userns-precreated',
  startEarly: true,
  title: 'a restricted (NoNewPrivileges) rootless service needs the user namespace created before it starts',
  source:
    'podman-usernamespace.service: a oneshot `podman unshare /bin/true` ordered before the restricted service',
  identities: ['rootless'],
  // it stops podproof's pause process: nothing else of this identity may run meanwhile
  exclusive: true,
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  // before the teardown: looking the image up runs podman; the user's own pause process, running
  // now, runs again at the end
  setup: async (ctx) => {
    keepDefaultPauseProcess(ctx);
    return echoSetup(ctx);
  },
  treatment: {
    setting: 'ordered after a oneshot `podman unshare /bin/true` service',
    observe: (ctx, { image }) => servesAfterTeardown(ctx, image, true),
    check: (r, { podman }) => checkServedAfterOneshot(r, podman),
  },
  control: {
    setting: 'the same restricted service without the oneshot',
    observe: (ctx, { image }) => servesAfterTeardown(ctx, image, false),
    check: (r) => checkUsernsRefused(r.served, r.observed, r.serviceOutput),
  },
};
