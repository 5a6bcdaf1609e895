import type { Outcome } from './types.js';

/** What the treatment showed: does the claimed property hold, and what was seen. */
export interface Observation {
  holds: boolean;
  observed: string;
}

/** A side of the experiment: an observation, or why none could be made. */
export type Side = { ok: true; value: Observation } | { ok: false; error: string };

/**
 * The verdict rule every claim follows (pure):
 * treatment failed to run -> error; property does not hold -> refuted; control failed to run or
 * shows no contrast -> inconclusive; else proven.
 */
export function decide(treatment: Side, control: Side): Outcome {
  if (!treatment.ok) return { verdict: 'error', reason: `treatment: ${treatment.error}` };
  if (!treatment.value.holds) return { verdict: 'refuted', reason: `treatment: ${treatment.value.observed}` };
  if (!control.ok) return { verdict: 'inconclusive', reason: `control could not run: ${control.error}` };
  if (!control.value.holds) {
    return { verdict: 'inconclusive', reason: `control shows no contrast: ${control.value.observed}` };
  }
  return { verdict: 'proven', reason: `${treatment.value.observed}; control: ${control.value.observed}` };
}
