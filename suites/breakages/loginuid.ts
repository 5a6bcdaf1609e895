/** The breakages of the loginuid claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { realPodman } from '../helpers.js';
import { type Mutant, systemdRun, toDaemon } from './kit.js';

export const loginuidBreakages: Mutant[] = [
  // loginuid.retained
  {
    name: 'run-via-daemon',
    claim: 'loginuid.retained',
    how: 'podman run goes to an API service started before (the daemon model)',
    kind: 'wrapper',
    wrapper: (env) => toDaemon(env, 'run'),
  },
  {
    name: 'loginuid-lost',
    claim: 'loginuid.retained',
    how: 'rootful: podman rewrites its loginuid; rootless: podman run is handed to the systemd user manager',
    kind: 'wrapper',
    wrapper: (env) =>
      env.who.name === 'rootful'
        ? { always: 'if has run && ! has --remote; then echo 4242 > /proc/self/loginuid; fi' }
        : {
            always: `if has run && ! has --remote; then exec ${systemdRun(env)} ${realPodman} "\${args[@]}"; fi`,
          },
  },
];
