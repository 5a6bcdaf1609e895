/** The breakages of the caps claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { conf, type Mutant } from './kit.js';

export const capsBreakages: Mutant[] = [
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
];
