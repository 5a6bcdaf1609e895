/**
 * - `proven`: the treatment shows the claimed property and the control shows the contrast.
 * - `refuted`: the treatment does not show the property (this host breaks the claim).
 * - `inconclusive`: the control shows no contrast, so this host cannot tell.
 * - `skipped`: the host lacks what the claim needs; the reason says what.
 * - `error`: the harness itself failed (crash, timeout, missing binary); never counted as proven.
 */
export type Verdict = 'proven' | 'refuted' | 'inconclusive' | 'skipped' | 'error';
export const VERDICTS: readonly Verdict[] = ['proven', 'refuted', 'inconclusive', 'skipped', 'error'];

/** What a claim's run returns: a verdict and a one-line reason. */
export interface Outcome {
  verdict: Verdict;
  reason: string;
}

/** What the treatment showed: does the claimed property hold, and what was seen. */
export interface Observation {
  holds: boolean;
  observed: string;
}

/**
 * A side of the experiment: an observation, or why none could be made (`unexplained`: the arm
 * ran, but its check met output it cannot explain).
 */
export type Side = { ok: true; value: Observation } | { ok: false; error: string; unexplained?: true };

/**
 * The verdict rule every claim follows (pure):
 * treatment failed to run -> error; property does not hold -> refuted; control output not
 * explained -> error; control failed to run or shows no contrast -> inconclusive; else proven.
 */
export function decide(treatment: Side, control: Side): Outcome {
  if (!treatment.ok) return { verdict: 'error', reason: `treatment: ${treatment.error}` };
  if (!treatment.value.holds) return { verdict: 'refuted', reason: `treatment: ${treatment.value.observed}` };
  if (!control.ok && control.unexplained) return { verdict: 'error', reason: `control: ${control.error}` };
  if (!control.ok) return { verdict: 'inconclusive', reason: `control could not run: ${control.error}` };
  if (!control.value.holds) {
    return { verdict: 'inconclusive', reason: `control shows no contrast: ${control.value.observed}` };
  }
  return { verdict: 'proven', reason: `${treatment.value.observed}; control: ${control.value.observed}` };
}

/** Several sides that must all hold: the first error wins, else holds when every one holds. */
export function allOf(sides: Side[]): Side {
  const failed = sides.find((s) => !s.ok);
  if (failed) return failed;
  const values = sides.map((s) => (s as { ok: true; value: Observation }).value);
  const broken = values.filter((v) => !v.holds);
  return {
    ok: true,
    value: {
      holds: broken.length === 0,
      observed: (broken.length ? broken : values).map((v) => v.observed).join('; '),
    },
  };
}

/** Observations that must all hold: holds when every one does; says what broke, else all (pure). */
export function allHold(observations: readonly Observation[]): Observation {
  const broken = observations.filter((v) => !v.holds);
  return {
    holds: observations.length > 0 && broken.length === 0,
    observed: (broken.length ? broken : observations).map((v) => v.observed).join('; '),
  };
}
