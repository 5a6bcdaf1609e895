/** The breakages of the pid claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { conf, type Mutant } from './kit.js';

export const pidBreakages: Mutant[] = [
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
];
