/** The breakages of the userns claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { hostStorageConf } from '../helpers.js';
import { conf, type Mutant } from './kit.js';

export const usernsBreakages: Mutant[] = [
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
];
