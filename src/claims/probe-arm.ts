import type { ImageSpec } from '../apparatus/images.js';
import type { ClaimContext } from '../experiment/types.js';
import { type Observation, type Side, sideOf } from '../experiment/verdict.js';
import { type ProbeOutcome, probe } from '../probe/probe.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';

/** What every probe claim's setup provides: the image both arms run. */
export interface ProbeSetup {
  image: string;
}

type FromSetup<S, T> = T | ((setup: S) => T);

/** One arm of a probe claim: the flags and attempts that make it this arm, and the pure check that judges it. */
export interface ProbeArm<S extends ProbeSetup> {
  /** `treatment: ...` or `control: ...`: names the container and the evidence. */
  purpose: string;
  flags?: FromSetup<S, readonly string[]>;
  attempts?: FromSetup<S, readonly Attempt[]>;
  check(s: ProbeSnapshot, setup: S): Observation;
}

const pick = <S, T>(v: FromSetup<S, T> | undefined, setup: S): T | undefined =>
  typeof v === 'function' ? (v as (setup: S) => T)(setup) : v;

/** An arm that starts one probe container and judges its snapshot (a treatment or a control). */
export function probeArm<S extends ProbeSetup>(
  arm: ProbeArm<S>,
): (ctx: ClaimContext, setup: S) => Promise<Side> {
  return async (ctx, setup) =>
    sideOf(
      await probe(ctx.podman, setup.image, {
        flags: [...(pick(arm.flags, setup) ?? [])],
        attempts: pick(arm.attempts, setup),
        purpose: arm.purpose,
      }),
      (s) => arm.check(s, setup),
    );
}

/** A setup that only needs the fixture image. */
export const imageOf =
  (spec: ImageSpec) =>
  async (ctx: ClaimContext): Promise<ProbeSetup> => ({ image: await ctx.image(spec) });

/** How often a control may ask again when its network's DNS dropped the question. */
const DROPPED_RETRIES = 2;

/**
 * Run a control probe again (at most twice) while `dropped` says its DNS question got no answer:
 * aardvark-dns before 1.11 drops every query while it reloads, and each container start or stop
 * in any of its networks makes it reload (containers/aardvark-dns#389). Every try is evidence; a
 * control can only gain its contrast this way, never the treatment its property.
 */
export async function askAgainWhileDropped(
  ctx: ClaimContext,
  run: (again: boolean) => Promise<ProbeOutcome>,
  dropped: (s: ProbeSnapshot) => boolean,
): Promise<ProbeOutcome> {
  for (let retry = 0; ; retry++) {
    const outcome = await run(retry > 0);
    if (!outcome.ok || ctx.signal.aborted || retry === DROPPED_RETRIES || !dropped(outcome.snapshot))
      return outcome;
  }
}
