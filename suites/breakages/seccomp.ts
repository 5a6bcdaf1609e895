/** The breakages of the seccomp claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testSession } from '../helpers.js';
import { conf, type Mutant } from './kit.js';

export const seccompBreakages: Mutant[] = [
  // seccomp.default
  {
    name: 'unconfined',
    claim: 'seccomp.default',
    how: 'every container runs with --security-opt seccomp=unconfined',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --security-opt=seccomp=unconfined' }),
  },
  {
    name: 'conf-allow-all-profile',
    claim: 'seccomp.default',
    how: 'containers.conf seccomp_profile is a filter that allows every syscall (Seccomp: 2 all the same)',
    kind: 'config',
    wrapper: (env) => {
      const profile = join(testSession.tempDir('seccomp'), 'allow-all.json');
      writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }), { mode: 0o644 });
      return conf({ containers: { seccomp_profile: profile } })(env);
    },
  },
];
