/** The breakages of the api claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { realPodman } from '../helpers.js';
import type { Mutant } from './kit.js';

export const apiBreakages: Mutant[] = [
  // api.socket-owner-only
  {
    name: 'world-socket',
    claim: 'api.socket-owner-only',
    how: 'the API socket is made world-accessible once it exists',
    kind: 'wrapper',
    wrapper: () => ({
      always: `if has service; then
  sock=\${args[-1]#unix://}
  ( for i in $(seq 1 150); do [[ -S $sock ]] && { chmod 777 "$sock"; break; }; sleep 0.1; done ) &
fi`,
    }),
  },
  {
    name: 'tcp-too',
    claim: 'api.socket-owner-only',
    how: 'podman system service also listens on a TCP port of 127.0.0.1',
    kind: 'wrapper',
    wrapper: () => ({
      always: `collect_globals
if has service && ! has --remote; then
  ${realPodman} "\${globals[@]}" system service --time=20 tcp://127.0.0.1:$((20000 + RANDOM % 20000)) >/dev/null 2>&1 &
fi`,
    }),
  },
];
