import type { ImageSpec } from '../apparatus/images.js';
import {
  type Arm,
  type ClaimContext,
  NotObserved,
  type Unexplained,
  unexplained,
} from '../experiment/types.js';
import { allHold, type Observation, type Side } from '../experiment/verdict.js';
import type { ProbeOutcome } from '../probe/probe.js';
import type { Attempt } from '../probe/script.js';
import type { PlannedProbe } from '../probe/shared.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';

/** What every probe claim's setup provides: the image both arms run. */
export interface ProbeSetup {
  image: string;
}

type FromSetup<S, T> = T | ((setup: S) => T);

/** One arm of a probe claim: the flags and attempts that make it this arm, and the pure check that judges it. */
export interface ProbeArm<S extends ProbeSetup> {
  /** `treatment: ...` or `control: ...`: names the container and the evidence. */
  purpose: FromSetup<S, string>;
  /** The arm's setting for the report, when `purpose` depends on the setup (default: `purpose`). */
  setting?: string;
  flags?: FromSetup<S, readonly string[]>;
  attempts?: FromSetup<S, readonly Attempt[]>;
  check(s: ProbeSnapshot, setup: S): Observation | Unexplained;
  /**
   * For a control only: its DNS question got no answer (aardvark-dns reloading), so it is asked
   * again (see {@link askAgainWhileDropped}).
   */
  askAgainWhen?: (s: ProbeSnapshot, setup: S) => boolean;
  /**
   * False: this arm's own container, never one another claim ran with the same flags (it must
   * run while this claim's setup lives, e.g. a marker process on the host). Default true.
   */
  share?: FromSetup<S, boolean>;
}

const pick = <S, T>(v: FromSetup<S, T> | undefined, setup: S): T | undefined =>
  typeof v === 'function' ? (v as (setup: S) => T)(setup) : v;

/** An arm that starts one probe container and judges its snapshot (a treatment or a control). */
export function probeArm<S extends ProbeSetup>(arm: ProbeArm<S>): Arm<S, ProbeSnapshot> {
  return {
    setting: arm.setting ?? (typeof arm.purpose === 'string' ? arm.purpose : 'probe'),
    observe: async (ctx, setup) => {
      const purpose = pick(arm.purpose, setup) ?? '';
      const run = (again: boolean) =>
        ctx.probe({
          image: setup.image,
          flags: pick(arm.flags, setup) ?? [],
          attempts: pick(arm.attempts, setup) ?? [],
          purpose: again ? `${purpose} (asked again)` : purpose,
          // asked again: a new container, never the one that dropped the question
          share: pick(arm.share, setup) !== false && !again,
        });
      const dropped = arm.askAgainWhen;
      return snapshotOf(
        dropped ? await askAgainWhileDropped(ctx, run, (s) => dropped(s, setup)) : await run(false),
      );
    },
    check: arm.check,
    probes: planned(arm.share === false ? [] : [{ flags: arm.flags, attempts: arm.attempts }]),
  };
}

/** The probes known before setup (pure): those whose flags and attempts are not computed from it. */
function planned<S>(
  probes: readonly { flags?: FromSetup<S, readonly string[]>; attempts?: FromSetup<S, readonly Attempt[]> }[],
): PlannedProbe[] {
  return probes.flatMap(({ flags = [], attempts = [] }) =>
    typeof flags === 'function' || typeof attempts === 'function' ? [] : [{ flags, attempts }],
  );
}

/** One container of a {@link probesArm}: a label for the evidence and its flags. */
export interface ProbeVariant {
  label: string;
  flags?: readonly string[];
  attempts?: readonly Attempt[];
}

/** An arm of several probe containers (started at once), judged together. */
export interface ProbesArm<S extends ProbeSetup> {
  /** `treatment` or `control: ...`: each container's purpose is this and its variant's label. */
  purpose: string;
  variants: FromSetup<S, readonly ProbeVariant[]>;
  check(snapshots: ProbeSnapshot[], setup: S): Observation | Unexplained;
}

/** An arm that starts one probe container per variant and judges their snapshots together. */
export function probesArm<S extends ProbeSetup>(arm: ProbesArm<S>): Arm<S, ProbeSnapshot[]> {
  return {
    setting: arm.purpose,
    observe: async (ctx, setup) =>
      (
        await Promise.all(
          (pick(arm.variants, setup) ?? []).map((v) =>
            ctx.probe({
              image: setup.image,
              flags: v.flags ?? [],
              attempts: v.attempts ?? [],
              purpose: `${arm.purpose}: ${v.label}`,
            }),
          ),
        )
      ).map(snapshotOf),
    check: arm.check,
    probes: typeof arm.variants === 'function' ? [] : planned(arm.variants),
  };
}

/** A probe's outcome judged by a check: the check's observation, or the probe's error. */
export function sideOf(outcome: ProbeOutcome, check: (s: ProbeSnapshot) => Observation): Side {
  return outcome.ok ? { ok: true, value: check(outcome.snapshot) } : { ok: false, error: outcome.error };
}

/** The snapshot of a probe that ran, or {@link NotObserved} with the probe's error. */
export function snapshotOf(outcome: ProbeOutcome): ProbeSnapshot {
  if (!outcome.ok) throw new NotObserved(outcome.error);
  return outcome.snapshot;
}

/** A setup that only needs the fixture image. */
export const imageOf =
  (spec: ImageSpec) =>
  async (ctx: ClaimContext): Promise<ProbeSetup> => ({ image: await ctx.image(spec) });

/**
 * One snapshot per expected container, each judged by `check` (pure); a count that does not
 * match is output the check cannot explain (another arm's observation).
 */
export function checkEach<C>(
  snapshots: readonly ProbeSnapshot[],
  cases: readonly C[],
  check: (c: C, s: ProbeSnapshot) => Observation,
): Observation | Unexplained {
  if (snapshots.length !== cases.length)
    return unexplained(`${snapshots.length} container(s) observed, ${cases.length} expected`);
  return allHold(cases.map((c, i) => check(c, snapshots[i] as ProbeSnapshot)));
}

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
