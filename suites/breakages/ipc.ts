/** The breakages of the ipc claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { conf, type Mutant } from './kit.js';

export const ipcBreakages: Mutant[] = [
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
];
