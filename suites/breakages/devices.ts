/** The breakages of the devices claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { conf, type Mutant } from './kit.js';

export const devicesBreakages: Mutant[] = [
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
];
