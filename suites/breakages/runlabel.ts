/** The breakages of the runlabel claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { realPodman } from '../helpers.js';
import type { Mutant } from './kit.js';

export const runlabelBreakages: Mutant[] = [
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
];
