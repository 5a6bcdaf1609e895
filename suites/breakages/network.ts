/** The breakages of the network claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { realPodman } from '../helpers.js';
import { conf, type Mutant } from './kit.js';

export const networkBreakages: Mutant[] = [
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
];
