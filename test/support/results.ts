import type { ClaimResult, Verdict } from '../../src/experiment/types.js';

/** A hand-made result row for pure report logic (diff, waivers, merge). */
export const row = (claim: string, identity: 'rootful' | 'rootless', verdict: Verdict): ClaimResult => ({
  claim,
  identity,
  verdict,
  title: '',
  reason: `${verdict} because`,
  durationMs: 1,
  evidence: [],
});
