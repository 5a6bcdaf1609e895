/** The breakages of the image claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { realPodman } from '../helpers.js';
import type { Mutant } from './kit.js';

export const imageBreakages: Mutant[] = [
  // image.signed-only
  {
    name: 'ignore-policy',
    claim: 'image.signed-only',
    how: "podman pull ignores --signature-policy (this host's own policy.json accepts anything)",
    kind: 'wrapper',
    wrapper: () => ({
      always: `if has pull; then drop_with_value --signature-policy; fi`,
    }),
  },
  {
    name: 'push-ignores-sign-by',
    claim: 'image.signed-only',
    how: 'podman push ignores --sign-by: the "signed" image carries no signature',
    kind: 'wrapper',
    wrapper: () => ({ always: `if has push; then drop_with_value --sign-by; fi` }),
  },
  // image.inspect-without-run
  {
    name: 'mount-also-runs',
    claim: 'image.inspect-without-run',
    how: "podman image mount runs the image's command first",
    kind: 'wrapper',
    wrapper: () => ({
      always: `collect_globals
if has image && has mount && ! has unshare; then ${realPodman} "\${globals[@]}" run --rm "\${args[-1]}" >/dev/null 2>&1; fi`,
    }),
  },
  {
    name: 'mount-empty',
    claim: 'image.inspect-without-run',
    how: "podman image mount hands back a path without the image's files",
    kind: 'wrapper',
    wrapper: () => ({
      always: 'if has image && has mount && ! has unshare; then echo /nonexistent-podproof-mount; exit 0; fi',
    }),
  },
];
