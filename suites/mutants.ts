/**
 * The mutation table: broken hosts every claim must catch. Each mutant is a podman wrapper
 * (arguments dropped, replaced or added; podman handed to a daemon or to systemd) or real
 * configuration fed through CONTAINERS_CONF / CONTAINERS_STORAGE_CONF in temp files (never /etc).
 * A mutant is caught when the claim is `refuted`, or `inconclusive` where the breakage removes the
 * control's contrast (the table says which). `proven` on a broken host is a survivor.
 */

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Identity, IdentityName } from '../src/exec/identity.js';
import { hostContainersConf, hostStorageConf, realPodman, testSession } from './helpers.js';

/** What a mutant needs from the test: a running API service for daemon mutants. */
export interface MutantEnv {
  who: Identity;
  /** Start (once per identity) `podman system service` on a socket with podproof's storage; returns its socket path. */
  apiService(): Promise<string>;
  /** Root's API service (once per kind) that any local user can reach; returns its URL. */
  rootfulApiService(kind: 'unix' | 'tcp'): Promise<string>;
}

/** The bash a mutant puts into the podman wrapper (see `podmanWrapper`). */
export interface WrapperEdit {
  /** Edits the arguments of `podman run`. */
  editRun?: string;
  /** Runs first for every command (it may `exec` something else). */
  always?: string;
}

export interface Mutant {
  /** Short name, unique per claim. */
  name: string;
  claim: string;
  /** How the host is broken. */
  how: string;
  kind: 'wrapper' | 'config';
  /** Identities this breakage applies to (default: every identity of the claim). */
  identities?: readonly IdentityName[];
  wrapper(env: MutantEnv): WrapperEdit | Promise<WrapperEdit>;
  /** The verdict that catches it (default `refuted`). */
  caughtAs?: 'refuted' | 'inconclusive';
}

const conf = (override: Record<string, unknown>) => (env: MutantEnv) => ({
  always: `export CONTAINERS_CONF=${hostContainersConf(env.who, override)}`,
});

/** Everything after podman's global storage flags, sent to the API service instead. */
const toDaemon = async (env: MutantEnv, verb: string): Promise<WrapperEdit> =>
  toUrl(`unix://${await env.apiService()}`, verb);

const toUrl = (url: string, verb: string): WrapperEdit => ({
  always: `if has ${verb} && ! has --remote; then
  strip_globals
  exec ${realPodman} --remote --url ${url} "\${args[@]}"
fi`,
});

const systemdRun = (env: MutantEnv) =>
  `systemd-run ${env.who.name === 'rootless' ? '--user ' : ''}--wait --pipe --quiet --collect`;

export const MUTANTS: Mutant[] = [
  // network.loopback-only
  {
    name: 'drop-network-none',
    claim: 'network.loopback-only',
    how: 'podman ignores --network=none',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--network=none$'" }),
  },
  {
    name: 'none-becomes-host',
    claim: 'network.loopback-only',
    how: '--network=none becomes --network=host',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'replace_arg --network=none --network=host' }),
  },
  {
    name: 'conf-netns-none',
    claim: 'network.loopback-only',
    how: 'containers.conf netns="none": the default network is none too',
    kind: 'config',
    wrapper: conf({ containers: { netns: 'none' } }),
    caughtAs: 'inconclusive',
  },
  // network.egress-blocked
  {
    name: 'drop-network-none',
    claim: 'network.egress-blocked',
    how: 'podman ignores --network=none',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--network=none$'" }),
  },
  {
    name: 'none-becomes-host',
    claim: 'network.egress-blocked',
    how: '--network=none becomes --network=host',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'replace_arg --network=none --network=host' }),
  },
  {
    name: 'rootless-ignores-none',
    claim: 'network.egress-blocked',
    how: 'only rootless podman ignores --network=none (the default network instead)',
    kind: 'wrapper',
    identities: ['rootless'],
    wrapper: () => ({ editRun: "[[ $(id -u) != 0 ]] && drop_args '^--network=none$'" }),
  },
  // network.isolate-option
  {
    name: 'drop-isolate',
    claim: 'network.isolate-option',
    how: 'podman network create ignores --opt isolate=true',
    kind: 'wrapper',
    wrapper: () => ({ always: "if has network && has create; then drop_args '^--opt=isolate=true$'; fi" }),
  },
  {
    name: 'isolate-false',
    claim: 'network.isolate-option',
    how: 'podman network create reads isolate=true as false',
    kind: 'wrapper',
    wrapper: () => ({
      always: 'if has network && has create; then replace_arg --opt=isolate=true --opt=isolate=false; fi',
    }),
  },
  {
    name: 'isolate-always',
    claim: 'network.isolate-option',
    how: 'every network is created isolated (the control cannot show the default reach)',
    kind: 'wrapper',
    wrapper: () => ({
      always:
        'if has network && has create && ! has --opt=isolate=true; then args=("${args[@]:0:${#args[@]}-1}" --opt=isolate=true "${args[@]: -1}"); fi',
    }),
    caughtAs: 'inconclusive',
  },
  // caps.default-set
  {
    name: 'add-net-raw',
    claim: 'caps.default-set',
    how: 'every container also gets CAP_NET_RAW',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --cap-add=CAP_NET_RAW' }),
  },
  {
    name: 'conf-sys-admin',
    claim: 'caps.default-set',
    how: 'containers.conf default_capabilities adds SYS_ADMIN',
    kind: 'config',
    wrapper: conf({
      containers: {
        default_capabilities: [
          'CHOWN',
          'DAC_OVERRIDE',
          'FOWNER',
          'FSETID',
          'KILL',
          'NET_BIND_SERVICE',
          'SETFCAP',
          'SETGID',
          'SETPCAP',
          'SETUID',
          'SYS_CHROOT',
          'SYS_ADMIN',
        ],
      },
    }),
  },
  {
    name: 'ignore-cap-add',
    claim: 'caps.default-set',
    how: 'podman ignores --cap-add (the control cannot lift the restriction)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--cap-add='" }),
    caughtAs: 'inconclusive',
  },
  // caps.drop-add
  {
    name: 'ignore-cap-drop',
    claim: 'caps.drop-add',
    how: 'podman ignores --cap-drop',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--cap-drop='" }),
  },
  {
    name: 'ignore-cap-add',
    claim: 'caps.drop-add',
    how: 'podman ignores --cap-add',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--cap-add='" }),
  },
  // userns.rootless-map
  {
    name: 'other-userns',
    claim: 'userns.rootless-map',
    how: 'containers get another user namespace (rootless keep-id, rootful a shifted --uidmap)',
    kind: 'wrapper',
    wrapper: (env) => ({
      editRun:
        env.who.name === 'rootless'
          ? 'has --userns=keep-id || add_after_run --userns=keep-id'
          : 'has --uidmap=0:200000:65536 || add_after_run --uidmap=0:300000:65536 --gidmap=0:300000:65536',
    }),
  },
  {
    name: 'conf-userns',
    claim: 'userns.rootless-map',
    how: 'containers.conf userns: keep-id (rootless), auto (rootful)',
    kind: 'config',
    wrapper: (env) => conf({ containers: { userns: env.who.name === 'rootless' ? 'keep-id' : 'auto' } })(env),
  },
  // userns.auto-ranges
  {
    name: 'auto-becomes-host',
    claim: 'userns.auto-ranges',
    how: '--userns=auto is replaced by --userns=host',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'replace_arg --userns=auto --userns=host' }),
  },
  {
    name: 'one-shared-range',
    claim: 'userns.auto-ranges',
    how: '--userns=auto hands every container the same range',
    kind: 'wrapper',
    wrapper: () => ({
      editRun:
        'replace_arg --userns=auto --uidmap=0:1:4096; has --uidmap=0:1:4096 && add_after_run --gidmap=0:1:4096',
    }),
  },
  {
    name: 'storage-min-size',
    claim: 'userns.auto-ranges',
    how: 'podman reads another storage.conf: auto-userns-min-size 2048',
    kind: 'config',
    // rootless podman 4.3 given a storage.conf through CONTAINERS_STORAGE_CONF sizes --userns=auto
    // ranges by the image (65534 here), not by this key: rootful only
    identities: ['rootful'],
    wrapper: (env) => ({
      always: `export CONTAINERS_STORAGE_CONF=${hostStorageConf(env.who, { storage: { options: { 'auto-userns-min-size': 2048 } } })}`,
    }),
  },
  // pid.isolated
  {
    name: 'add-pid-host',
    claim: 'pid.isolated',
    how: 'every container joins the host PID namespace',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --pid=host' }),
  },
  {
    name: 'conf-pidns-host',
    claim: 'pid.isolated',
    how: 'containers.conf pidns="host"',
    kind: 'config',
    wrapper: conf({ containers: { pidns: 'host' } }),
  },
  // rootless.host-files
  {
    name: 'root-socket',
    claim: 'rootless.host-files',
    how: "the user's podman run goes to root's API socket, made accessible to others (the docker-group setup)",
    kind: 'wrapper',
    wrapper: async (env) => toUrl(await env.rootfulApiService('unix'), 'run'),
  },
  {
    name: 'root-tcp',
    claim: 'rootless.host-files',
    how: "the user's podman run goes to root's API service listening on loopback TCP",
    kind: 'wrapper',
    wrapper: async (env) => toUrl(await env.rootfulApiService('tcp'), 'run'),
  },
  // ipc.none
  {
    name: 'drop-ipc-none',
    claim: 'ipc.none',
    how: 'podman ignores --ipc=none',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--ipc=none$'" }),
  },
  {
    name: 'none-becomes-private',
    claim: 'ipc.none',
    how: '--ipc=none becomes --ipc=private (a namespace of its own, with /dev/shm)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'replace_arg --ipc=none --ipc=private' }),
  },
  {
    name: 'none-becomes-host',
    claim: 'ipc.none',
    how: '--ipc=none becomes --ipc=host',
    kind: 'wrapper',
    // rootless --ipc=host bind-mounts the host's /dev/mqueue, which a host may lack (this one does)
    identities: ['rootful'],
    wrapper: () => ({ editRun: 'replace_arg --ipc=none --ipc=host' }),
  },
  {
    name: 'conf-ipcns-none',
    claim: 'ipc.none',
    how: 'containers.conf ipcns="none": the default has no /dev/shm either',
    kind: 'config',
    wrapper: conf({ containers: { ipcns: 'none' } }),
    caughtAs: 'inconclusive',
  },
  // devices.minimal
  {
    name: 'add-device',
    claim: 'devices.minimal',
    how: 'every container also gets the host device /dev/net/tun',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --device=/dev/net/tun' }),
  },
  {
    name: 'conf-devices',
    claim: 'devices.minimal',
    how: 'containers.conf devices adds /dev/net/tun to every container',
    kind: 'config',
    wrapper: conf({ containers: { devices: ['/dev/net/tun'] } }),
  },
  // proc.masked
  {
    name: 'unmask-keys',
    claim: 'proc.masked',
    how: 'every container runs with --security-opt unmask=/proc/keys',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --security-opt=unmask=/proc/keys' }),
  },
  {
    name: 'privileged',
    claim: 'proc.masked',
    how: 'every container runs --privileged (nothing masked)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --privileged' }),
  },
  {
    name: 'unmask-all',
    claim: 'proc.masked',
    how: 'podman adds --security-opt unmask=ALL to every run and create (the spec it writes masks nothing)',
    kind: 'wrapper',
    wrapper: () => ({
      always: 'add_after_verb create --security-opt=unmask=ALL',
      editRun: 'add_after_run --security-opt=unmask=ALL',
    }),
  },
  {
    name: 'ignore-unmask',
    claim: 'proc.masked',
    how: 'podman ignores --security-opt unmask (the control cannot show the paths)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--security-opt=unmask=ALL$'" }),
    caughtAs: 'inconclusive',
  },
  // sys.read-only
  {
    name: 'privileged',
    claim: 'sys.read-only',
    how: 'every container runs --privileged (/sys read-write)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --privileged' }),
  },
  {
    name: 'bind-host-sys',
    claim: 'sys.read-only',
    how: "every container gets the host's /sys bound read-write over its own",
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --volume=/sys:/sys:rw' }),
  },
  {
    name: 'ignore-privileged',
    claim: 'sys.read-only',
    how: 'podman ignores --privileged (the control cannot show a writable /sys)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--privileged$'" }),
    caughtAs: 'inconclusive',
  },
  // rootfs.read-only
  {
    name: 'drop-read-only',
    claim: 'rootfs.read-only',
    how: 'podman ignores --read-only',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--read-only$'" }),
  },
  {
    name: 'no-read-only-tmpfs',
    claim: 'rootfs.read-only',
    how: '--read-only comes without its tmpfs mounts (/tmp, /var/tmp, /run read-only too)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'has --read-only && add_after_run --read-only-tmpfs=false' }),
  },
  // volume.noexec
  {
    name: 'drop-noexec',
    claim: 'volume.noexec',
    how: 'podman drops the noexec volume option',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'for i in "${!args[@]}"; do args[$i]=${args[$i]//,noexec/}; done' }),
  },
  {
    name: 'noexec-becomes-exec',
    claim: 'volume.noexec',
    how: 'podman reads noexec as exec',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'for i in "${!args[@]}"; do args[$i]=${args[$i]//,noexec/,exec}; done' }),
  },
  // seccomp.default
  {
    name: 'unconfined',
    claim: 'seccomp.default',
    how: 'every container runs with --security-opt seccomp=unconfined',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --security-opt=seccomp=unconfined' }),
  },
  {
    name: 'conf-allow-all-profile',
    claim: 'seccomp.default',
    how: 'containers.conf seccomp_profile is a filter that allows every syscall (Seccomp: 2 all the same)',
    kind: 'config',
    wrapper: (env) => {
      const profile = join(testSession.tempDir('seccomp'), 'allow-all.json');
      writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }), { mode: 0o644 });
      return conf({ containers: { seccomp_profile: profile } })(env);
    },
  },
  // nnp.no-new-privileges
  {
    name: 'drop-nnp',
    claim: 'nnp.no-new-privileges',
    how: 'podman ignores --security-opt no-new-privileges',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--security-opt=no-new-privileges$'" }),
  },
  {
    name: 'nnp-false',
    claim: 'nnp.no-new-privileges',
    how: 'podman reads no-new-privileges as false',
    kind: 'wrapper',
    wrapper: () => ({
      editRun: 'replace_arg --security-opt=no-new-privileges --security-opt=no-new-privileges=false',
    }),
  },
  {
    name: 'nnp-always',
    claim: 'nnp.no-new-privileges',
    how: 'every container gets no-new-privileges (the control cannot show the setuid binary working)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --security-opt=no-new-privileges' }),
    caughtAs: 'inconclusive',
  },
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
  // runlabel.display
  {
    name: 'ignore-display',
    claim: 'runlabel.display',
    how: 'podman runlabel ignores --display and runs the command',
    kind: 'wrapper',
    wrapper: () => ({ always: "if has runlabel; then drop_args '^--display$'; fi" }),
  },
  {
    name: 'display-also-runs',
    claim: 'runlabel.display',
    how: 'podman runlabel --display prints the command and runs it too',
    kind: 'wrapper',
    wrapper: () => ({
      always: `if has runlabel && has --display; then
  run=(); for a in "\${args[@]}"; do [[ $a == --display ]] || run+=("$a"); done
  ${realPodman} "\${run[@]}" >/dev/null
fi`,
    }),
  },
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
  // network.separate-names
  {
    name: 'join-every-network',
    claim: 'network.separate-names',
    how: "a container on one of the session's networks is put on all of them, the sink's too",
    kind: 'wrapper',
    wrapper: () => ({
      editRun: `collect_globals
nets=$(${realPodman} "\${globals[@]}" network ls --format '{{.Name}}' | grep -E "^podproof-$sess-net-[0-9]+$" | paste -sd, -)
for i in "\${!args[@]}"; do [[ \${args[$i]} =~ ^--network=podproof-.*-net-[0-9]+$ ]] && args[$i]="--network=$nets"; done`,
    }),
  },
  {
    name: 'sink-network-for-all',
    claim: 'network.separate-names',
    how: 'podman ignores the network asked for and uses the one an existing container is on',
    kind: 'wrapper',
    wrapper: () => ({
      editRun: `collect_globals
sinknet=$(${realPodman} "\${globals[@]}" ps --filter "name=podproof-$sess-sink-" --format '{{.Networks}}' | head -n 1)
if [[ -n $sinknet ]]; then for i in "\${!args[@]}"; do [[ \${args[$i]} =~ ^--network=podproof-.*-net-[0-9]+$ ]] && args[$i]="--network=$sinknet"; done; fi`,
    }),
  },
  // secrets.not-committed
  {
    name: 'secret-env-in-config',
    claim: 'secrets.not-committed',
    how: "podman passes an env secret as a plain -e variable (the container's config keeps it)",
    kind: 'wrapper',
    wrapper: () => ({
      editRun: `collect_globals
root=$(${realPodman} "\${globals[@]}" info --format '{{.Store.GraphRoot}}')
for i in "\${!args[@]}"; do
  if [[ \${args[$i]} == --secret && \${args[$((i + 1))]} == *,type=env,target=* ]]; then
    spec=\${args[$((i + 1))]}; name=\${spec%%,*}; var=\${spec##*target=}
    id=$(${realPodman} "\${globals[@]}" secret inspect --format '{{.ID}}' "$name")
    value=$(sed -n "s/.*\\"$id\\":\\"\\([^\\"]*\\)\\".*/\\1/p" "$root/secrets/filedriver/secretsdata.json" | base64 -d)
    args[$i]=-e; args[$((i + 1))]="$var=$value"
  fi
done`,
    }),
  },
  {
    name: 'secret-file-in-layer',
    claim: 'secrets.not-committed',
    how: 'podman mounts no secret file: the container writes the value to the path itself, into its layer',
    kind: 'wrapper',
    wrapper: () => ({
      editRun: `kept=(); skip=0; for i in "\${!args[@]}"; do
  if ((skip)); then skip=0; continue; fi
  if [[ \${args[$i]} == --secret && \${args[$((i + 1))]} != *,* ]]; then skip=1; continue; fi
  kept+=("\${args[$i]}")
done; args=("\${kept[@]}")`,
    }),
  },
  // trust.policy
  {
    name: 'ignore-policy',
    claim: 'trust.policy',
    how: "podman pull ignores --signature-policy (this host's own policy.json accepts anything)",
    kind: 'wrapper',
    wrapper: () => ({
      always: `if has pull; then drop_with_value --signature-policy; fi`,
    }),
  },
  {
    name: 'accept-anything',
    claim: 'trust.policy',
    how: 'the policy podman reads accepts anything',
    kind: 'config',
    wrapper: () => {
      const policy = join(testSession.tempDir('policy'), 'accept.json');
      writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }), {
        mode: 0o644,
      });
      return { always: `if has pull; then replace_value --signature-policy ${policy}; fi` };
    },
  },
  // image.signed-only
  {
    name: 'ignore-policy',
    claim: 'image.signed-only',
    how: "podman pull ignores --signature-policy (this host's own policy.json accepts anything)",
    kind: 'wrapper',
    wrapper: () => ({
      always: `if has pull; then drop_with_value --signature-policy; fi`,
    }),
  },
  {
    name: 'push-ignores-sign-by',
    claim: 'image.signed-only',
    how: 'podman push ignores --sign-by: the "signed" image carries no signature',
    kind: 'wrapper',
    wrapper: () => ({ always: `if has push; then drop_with_value --sign-by; fi` }),
  },
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
  // image.inspect-without-run
  {
    name: 'mount-also-runs',
    claim: 'image.inspect-without-run',
    how: "podman image mount runs the image's command first",
    kind: 'wrapper',
    wrapper: () => ({
      always: `collect_globals
if has image && has mount && ! has unshare; then ${realPodman} "\${globals[@]}" run --rm "\${args[-1]}" >/dev/null 2>&1; fi`,
    }),
  },
  {
    name: 'mount-empty',
    claim: 'image.inspect-without-run',
    how: "podman image mount hands back a path without the image's files",
    kind: 'wrapper',
    wrapper: () => ({
      always: 'if has image && has mount && ! has unshare; then echo /nonexistent-podproof-mount; exit 0; fi',
    }),
  },
];
