/** The breakages of the systemd claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { realPodman, testSession } from '../helpers.js';
import { type Mutant, systemdRun, toDaemon } from './kit.js';

export const systemdBreakages: Mutant[] = [
  // systemd.pull-blocked
  {
    name: 'pull-via-systemd',
    claim: 'systemd.pull-blocked',
    how: 'the restricted podman asks the manager (D-Bus is AF_UNIX) to run the pull unrestricted',
    kind: 'wrapper',
    wrapper: (env) => ({
      always: `if has pull; then exec ${systemdRun(env)} ${realPodman} "\${args[@]}"; fi`,
    }),
  },
  {
    name: 'pull-via-daemon',
    claim: 'systemd.pull-blocked',
    how: 'the pull goes to an unrestricted API service over its unix socket',
    kind: 'wrapper',
    wrapper: (env) => toDaemon(env, 'pull'),
  },
  // systemd.socket-activation
  {
    name: 'drop-network-none',
    claim: 'systemd.socket-activation',
    how: 'the socket-activated container gets a network after all',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--network=none$'" }),
  },
  {
    name: 'no-listen-fds',
    claim: 'systemd.socket-activation',
    how: 'podman does not pass the sockets on (LISTEN_FDS dropped)',
    kind: 'wrapper',
    wrapper: () => ({ always: 'unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES' }),
  },
  // systemd.restricted-still-serves
  {
    name: 'pull-always',
    claim: 'systemd.restricted-still-serves',
    how: 'the restricted service has to pull (--pull=never becomes always)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'replace_arg --pull=never --pull=always' }),
  },
  {
    name: 'no-listen-fds',
    claim: 'systemd.restricted-still-serves',
    how: 'podman does not pass the sockets on (LISTEN_FDS dropped)',
    kind: 'wrapper',
    wrapper: () => ({ always: 'unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES' }),
  },
  // systemd.userns-precreated
  {
    name: 'unshare-noop',
    claim: 'systemd.userns-precreated',
    how: '`podman unshare` does nothing: the oneshot succeeds without creating the namespace',
    kind: 'wrapper',
    wrapper: () => ({ always: 'if has unshare; then exit 0; fi' }),
  },
  {
    name: 'unshare-elsewhere',
    claim: 'systemd.userns-precreated',
    how: 'the oneshot creates its user namespace for another podman state dir (the service cannot join it)',
    kind: 'wrapper',
    wrapper: (env) => {
      const elsewhere = join(env.who.runtimeDir, `pp-elsewhere-${testSession.id}`);
      // the oneshot's pause process may live on there: stop it, then remove the dir
      testSession.onTeardown(`remove ${elsewhere}`, () => {
        for (const f of [
          join(elsewhere, 'tmpdir', 'pause.pid'),
          join(elsewhere, 'libpod', 'tmp', 'pause.pid'),
        ]) {
          try {
            process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
          } catch {}
        }
        rmSync(elsewhere, { recursive: true, force: true });
      });
      return {
        always: `if has unshare; then
  mkdir -p ${elsewhere}
  for i in "\${!args[@]}"; do case \${args[$i]} in --tmpdir|--runroot) args[$((i + 1))]=${elsewhere}/\${args[$i]#--};; esac; done
  export XDG_RUNTIME_DIR=${elsewhere}
fi`,
      };
    },
  },
];
