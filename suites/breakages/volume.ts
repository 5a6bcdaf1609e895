/** The breakages of the volume claims: each must leave its claim refuted (or inconclusive, where it says so). */
import type { Mutant } from './kit.js';

export const volumeBreakages: Mutant[] = [
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
];
