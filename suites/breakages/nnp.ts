/** The breakages of the nnp claims: each must leave its claim refuted (or inconclusive, where it says so). */
import type { Mutant } from './kit.js';

export const nnpBreakages: Mutant[] = [
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
];
