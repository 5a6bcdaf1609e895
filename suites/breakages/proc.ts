/** The breakages of the proc claims: each must leave its claim refuted (or inconclusive, where it says so). */
import type { Mutant } from './kit.js';

export const procBreakages: Mutant[] = [
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
];
