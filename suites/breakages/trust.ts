/** The breakages of the trust claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testSession } from '../helpers.js';
import type { Mutant } from './kit.js';

export const trustBreakages: Mutant[] = [
  // trust.policy
  {
    name: 'ignore-policy',
    claim: 'trust.policy',
    how: "podman pull ignores --signature-policy (this host's own policy.json accepts anything)",
    kind: 'wrapper',
    wrapper: () => ({
      always: `if has pull; then drop_with_value --signature-policy; fi`,
    }),
  },
  {
    name: 'accept-anything',
    claim: 'trust.policy',
    how: 'the policy podman reads accepts anything',
    kind: 'config',
    wrapper: () => {
      const policy = join(testSession.tempDir('policy'), 'accept.json');
      writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }), {
        mode: 0o644,
      });
      return { always: `if has pull; then replace_value --signature-policy ${policy}; fi` };
    },
  },
];
