import { FixtureError, type ImageSpec } from '../apparatus/images.js';
import { describeEvidence, EvidenceLog, formatArgv } from '../exec/evidence.js';
import type { Identity, IdentityName } from '../exec/identity.js';
import { exec } from '../exec/run.js';
import type { Session } from '../exec/session.js';
import { writeFileAs } from '../exec/write-as.js';
import {
  type Arm,
  type Claim,
  type ClaimContext,
  type ClaimResult,
  isUnexplained,
  NotObserved,
  type Outcome,
  OutputNotExplained,
  type RootAccess,
  SkipClaim,
  type Unexplained,
  unexplained,
} from '../experiment/types.js';
import { decide, type Observation, type Side } from '../experiment/verdict.js';
import type { HostProfile } from '../host/profile.js';
import { Podman, type StorageMode } from '../podman/podman.js';
import { probeAlone, type SharedProbes } from '../probe/shared.js';

/** What one claim x identity run shares with the others. */
export interface RunShared {
  identity: Identity;
  host: HostProfile;
  session: Session;
  image: (spec: ImageSpec) => Promise<string>;
  binary: string;
  storage: StorageMode;
  log: EvidenceLog;
  /** Root for the claims' apparatus, where the harness has it (see {@link RootAccess}). */
  root?: Identity;
  /** Called with each arm's raw observation (capturing contrast fixtures). */
  onObservation?: (o: ArmObservation) => void;
  /** The identity's probe containers, shared between identical requests (default: none shared). */
  probes?: SharedProbes;
  /** The identity's shared apparatus (default: each claim makes its own, removed at teardown). */
  apparatus?: SharedApparatus;
}

/** Why a claim cannot run on this identity here (a missing privilege, module or tool), if it cannot. */
export function skipReason(claim: Claim, shared: RunShared): string | undefined {
  return claim.needs?.(shared.host, shared.identity, { root: shared.root }) || undefined;
}

/**
 * Run one claim on one identity: its own evidence log, deadline, podman handle and background
 * processes. `yielded`: what taking its hold could not remove of the run's apparatus (its row says it).
 */
export async function runOne(
  claim: Claim,
  shared: RunShared,
  timeoutMs: number,
  runDeadline?: AbortSignal,
  yielded: string[] = [],
): Promise<ClaimResult> {
  const { identity, session } = shared;
  const skip = skipReason(claim, shared);
  if (skip) return skippedResult(claim, identity.name, skip);
  const log = new EvidenceLog(shared.log);
  if (runDeadline?.aborted)
    return {
      ...skippedResult(claim, identity.name, ''),
      verdict: 'error',
      reason: "not started: the run's deadline (--timeout) had passed",
    };
  // a timer and a controller, not AbortSignal.timeout inside AbortSignal.any: Node holds the
  // sources of any() weakly, and an unreferenced timeout signal can be collected before it fires
  const expired = new AbortController();
  const timer = setTimeout(() => expired.abort(new Error('claim deadline')), timeoutMs);
  const deadline = AbortSignal.any([expired.signal, ...(runDeadline ? [runDeadline] : [])]);
  const signal = AbortSignal.any([session.signal, deadline]);
  const cleanups = new CleanupStack(session);
  const ctx = claimContext(shared, claim.id, { log, signal, defer: (name, fn) => cleanups.defer(name, fn) });
  const { podman } = ctx;
  const t0 = performance.now();
  const outcome = await runClaim(claim, ctx, shared.onObservation);
  const failures = [...yielded, ...(await cleanups.run())];
  if (claim.exclusive) await podman.settle();
  clearTimeout(timer);
  const timedOut = deadline.aborted && outcome.verdict !== 'proven';
  const decided = timedOut
    ? { verdict: 'error' as const, reason: timedOutReason(log, timeoutMs, runDeadline, outcome) }
    : outcome;
  if (failures.length) decided.reason += ` (cleanup failed: ${failures.join('; ')})`;
  return {
    claim: claim.id,
    title: claim.title,
    source: claim.source,
    identity: identity.name,
    ...decided,
    durationMs: Math.round(performance.now() - t0),
    evidence: log.entries,
  };
}

/** How a context records, stops and cleans up: a claim's own, or shared apparatus's. */
interface ContextScope {
  log: EvidenceLog;
  signal: AbortSignal;
  defer(name: string, fn: () => Promise<unknown> | unknown): void;
}

/** The context a claim (or apparatus shared by claims) runs in: every command recorded in `scope.log`. */
function claimContext(shared: RunShared, claim: string, scope: ContextScope): ClaimContext {
  const { identity, session } = shared;
  const { log, signal, defer } = scope;
  const podman = new Podman({
    binary: shared.binary,
    identity,
    session,
    log,
    storage: shared.storage,
    signal,
  });
  return {
    identity,
    root: shared.root,
    podman,
    host: shared.host,
    session,
    image: shared.image,
    signal,
    log,
    exec: (argv, { cleanup, ...o } = {}) =>
      exec(argv, { ...o, identity, log, signal: cleanup ? undefined : signal }),
    spawn: (argv, o = {}) => {
      const p = session.background(argv, { ...o, identity, log });
      defer(`stop ${argv.join(' ')}`, () => p.stop());
      return p;
    },
    defer,
    probe: (r) =>
      shared.probes ? shared.probes.probe(r, { podman, log, claim, signal }) : probeAlone(podman, r),
    shared: (key, make) =>
      (shared.apparatus ?? new SharedApparatus()).get(shared, key, make, { log, signal }),
    writeFileAs: (as, path, text, mode) =>
      writeFileAs(as, path, text, { mode, log, signal, purpose: `setup: write ${path} as ${as.user}` }),
  };
}

/**
 * Apparatus made once per identity and run (see `ClaimContext.shared`), by key: each made under
 * the signal of the claim that asked first, its commands in a log of its own (the run counts them
 * once) and cited in each asking claim's log; removed by {@link release} or at session teardown.
 */
export class SharedApparatus {
  private readonly made = new Map<
    string,
    { value: Promise<unknown>; log: EvidenceLog; cleanups: CleanupStack; signal: AbortSignal }
  >();

  async get<T>(
    shared: RunShared,
    key: string,
    make: (ctx: ClaimContext) => Promise<T>,
    asking: { log: EvidenceLog; signal: AbortSignal },
  ): Promise<T> {
    let found = this.made.get(key);
    if (!found) {
      const log = new EvidenceLog(shared.log);
      const cleanups = new CleanupStack(shared.session);
      // made under the asking claim's signal (its deadline stops a podman that hangs); what it
      // makes lives on, removed by release() or at teardown
      const ctx = claimContext(shared, `apparatus ${key}`, {
        log,
        signal: asking.signal,
        defer: (name, fn) => cleanups.defer(name, fn),
      });
      const made = { value: make(ctx) as Promise<unknown>, log, cleanups, signal: asking.signal };
      found = made;
      this.made.set(key, made);
    }
    const { value, log, signal } = found;
    try {
      return (await value) as T;
    } catch (err) {
      // stopped by the deadline of the claim that began it: no answer for one whose time is not up
      if (!signal.aborted || asking.signal.aborted) throw err;
      if (this.made.get(key) === found) this.made.delete(key);
      return this.get(shared, key, make, asking);
    } finally {
      for (const e of log.entries)
        asking.log.cite(e, { purpose: e.purpose ?? key, shared: `apparatus: ${key}` });
    }
  }

  /**
   * Remove everything made so far (a claim that asks later makes it again): before a claim that
   * must run alone, whose experiment a running sink container would confound. Returns failures.
   */
  async release(): Promise<string[]> {
    const all = [...this.made.values()];
    this.made.clear();
    const failures: string[] = [];
    for (const m of all) {
      await m.value.catch(() => undefined);
      failures.push(...(await m.cleanups.run()));
    }
    return failures;
  }
}

/** What an arm observed, handed to `RunShared.onObservation` (to capture contrast fixtures). */
export interface ArmObservation {
  claim: string;
  identity: IdentityName;
  arm: ArmName;
  /** What the claim's setup gave both arms (its checks read it). */
  setup: unknown;
  observed: unknown;
}

export type ArmName = 'treatment' | 'control';

/**
 * One arm: observe (a throw is "nothing could be observed"), then the pure check. A check that
 * throws or answers `unexplained` makes the side unexplained, naming the arm's last command.
 */
export async function runArm<S, O>(
  arm: Arm<S, O>,
  which: ArmName,
  ctx: ClaimContext,
  setup: S,
  onObserved?: (observed: O) => void,
): Promise<Side> {
  let observed: O;
  try {
    observed = await arm.observe(ctx, setup);
  } catch (err) {
    if (err instanceof SkipClaim) throw err;
    const why = (err as Error).message;
    return { ok: false, error: err instanceof NotObserved ? why : `harness error: ${why}` };
  }
  onObserved?.(observed);
  const judged = judge(arm, observed, setup);
  if (!isUnexplained(judged)) return { ok: true, value: judged };
  const mine = ctx.log.entries.filter((e) => e.purpose?.startsWith(which));
  const last = mine[mine.length - 1] ?? ctx.log.entries[ctx.log.entries.length - 1];
  return {
    ok: false,
    unexplained: true,
    error: `output not explained (${arm.setting}): ${judged.unexplained}${last ? `; from ${describeEvidence(last)}` : ''}`,
  };
}

/**
 * An arm's check on an observation, as the runner reads it: a helper that met output it cannot
 * place (`OutputNotExplained`) is the check's `unexplained()` answer; any other throw is a bug in
 * the check, unexplained too (an `error` row), and said to be one.
 */
export function judge<S, O>(arm: Arm<S, O>, observed: O, setup: S): Observation | Unexplained {
  try {
    return arm.check(observed, setup);
  } catch (err) {
    const why = (err as Error).message;
    return unexplained(err instanceof OutputNotExplained ? why : `the check itself failed (${why})`);
  }
}

/** Setup, treatment, control, decide: the one experiment shape every claim follows. */
async function runClaim(
  claim: Claim,
  ctx: ClaimContext,
  onObservation?: (o: ArmObservation) => void,
): Promise<Outcome> {
  try {
    const setup = claim.setup ? await claim.setup(ctx) : undefined;
    const arm = (which: ArmName): Promise<Side> =>
      runArm(claim[which], which, ctx, setup, (observed) =>
        onObservation?.({ claim: claim.id, identity: ctx.identity.name, arm: which, setup, observed }),
      );
    const [treatment, control] = claim.concurrentArms
      ? await Promise.all([arm('treatment'), arm('control')])
      : [await arm('treatment'), await arm('control')];
    const outcome = decide(treatment, control);
    const note = claim.note?.(ctx, setup);
    if (note) outcome.reason += ` (${note})`;
    return outcome;
  } catch (err) {
    if (err instanceof SkipClaim) return { verdict: 'skipped', reason: err.message };
    if (err instanceof FixtureError && /needs .*: install/.test(err.message)) {
      return { verdict: 'skipped', reason: err.message };
    }
    return { verdict: 'error', reason: `harness error: ${(err as Error).message}` };
  }
}

/**
 * Cleanup for one claim: run in reverse order when the claim ends; each step is also a session
 * teardown step, so SIGINT during the claim still runs it (once).
 */
class CleanupStack {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  constructor(private readonly session: Session) {}

  defer(name: string, fn: () => Promise<unknown> | unknown): void {
    let done: Promise<void> | undefined;
    const run = () => {
      done ??= Promise.resolve().then(async () => void (await fn()));
      return done;
    };
    this.steps.push({ name, run });
    this.session.onTeardown(name, run);
  }

  /** Run every step (reverse order); returns the failures. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (err) {
        failures.push(`${step.name}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}

/** A row the harness could not run at all (its evidence is elsewhere: the run's log). */
export function errorResult(claim: Claim, identity: IdentityName, reason: string): ClaimResult {
  return { ...skippedResult(claim, identity, reason), verdict: 'error', reason: `harness error: ${reason}` };
}

export function skippedResult(claim: Claim, identity: IdentityName, reason: string): ClaimResult {
  return {
    claim: claim.id,
    title: claim.title,
    source: claim.source,
    identity,
    verdict: 'skipped',
    reason,
    durationMs: 0,
    evidence: [],
  };
}

/** Why a claim that hit its deadline is an error: the command that did not answer, by name. */
function timedOutReason(
  log: EvidenceLog,
  timeoutMs: number,
  runDeadline: AbortSignal | undefined,
  outcome: Outcome,
): string {
  const which = runDeadline?.aborted
    ? "the run's deadline (--timeout)"
    : `its deadline (${Math.round(timeoutMs / 1000)} s)`;
  const stuck = log.entries.find((e) => e.failure === 'aborted' || e.failure === 'timeout');
  return `timed out: ${which} passed${stuck ? ` while \`${formatArgv(stuck.argv)}\` (${stuck.purpose ?? stuck.identity}) had not answered` : ''}; ${outcome.reason}`;
}
