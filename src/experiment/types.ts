import type { ImageSpec } from '../apparatus/images.js';
import type { IdentityExec } from '../exec/context.js';
import { NotObserved, OutputNotExplained } from '../exec/errors.js';
import type { Evidence, EvidenceLog } from '../exec/evidence.js';
import type { Identity, IdentityName } from '../exec/identity.js';
import type { BackgroundProcess, ExecOptions } from '../exec/run.js';
import type { Session } from '../exec/session.js';
import type { HostProfile } from '../host/profile.js';
import type { Podman } from '../podman/podman.js';
import type { ProbeOutcome } from '../probe/probe.js';
import type { PlannedProbe, ProbeRequest } from '../probe/shared.js';
import type { Observation, Verdict } from './verdict.js';

export { type Outcome, VERDICTS, type Verdict } from './verdict.js';

/**
 * Root, where the harness has it: itself when it runs as root, `sudo -n` for a normal user who
 * may (a GitHub runner). Claims whose apparatus needs root (a root-owned file, a client run as
 * another user) use it; the identity under test stays what it is.
 */
export interface RootAccess {
  root?: Identity;
}

/** What a claim gets to run its experiment with. */
export interface ClaimContext extends RootAccess {
  identity: Identity;
  /** A podman handle for this identity whose calls are recorded as this claim's evidence. */
  podman: Podman;
  host: HostProfile;
  session: Session;
  /** The image to run for a fixture spec: the user's `--image` when given, else the built fixture. */
  image(spec: ImageSpec): Promise<string>;
  /** This claim's evidence log (for fixtures that start their own processes). */
  log: EvidenceLog;
  /** Run a host command as this identity, recorded as this claim's evidence. */
  exec: IdentityExec;
  /** Start a host command as this identity in the background; stopped at the end of the claim (and at teardown). */
  spawn(
    argv: string[],
    opts?: Omit<ExecOptions, 'identity' | 'log' | 'signal' | 'timeoutMs' | 'input'>,
  ): BackgroundProcess;
  /**
   * Write a file owned by `as` (the identity, or `root`), recorded as evidence where it takes a
   * command: the one way a claim's apparatus writes a file for another user.
   */
  writeFileAs(as: Identity, path: string, text: string, mode?: number): Promise<void>;
  /**
   * Start a probe container (its snapshot, or why there is none). Identical requests of the run
   * and identity (image, flags, attempts among the container's) share one container; its
   * evidence is cited in each claim (`SharedProbes`).
   */
  probe(request: ProbeRequest): Promise<ProbeOutcome>;
  /**
   * Apparatus made once per identity and run for every claim that asks with the same `key`, such
   * as a sink network the arms only read: `make` runs once (under the deadline of the claim that
   * asks first), with a context whose cleanup is the session's teardown, and its commands are
   * cited in each asking claim's evidence. Apparatus a claim changes (a policy, a network made
   * with the option under test) stays its own.
   */
  shared<T>(key: string, make: (ctx: ClaimContext) => Promise<T>): Promise<T>;
  /** Aborted on SIGINT or when the claim's deadline passes. */
  signal: AbortSignal;
  /**
   * Register cleanup for something the claim just made (a network, a sink, units): run in reverse
   * order when the claim ends, whatever its outcome, or at session teardown if it never got there.
   */
  defer(name: string, fn: () => Promise<unknown> | unknown): void;
}

export { NotObserved, OutputNotExplained };

/** Thrown by a claim's setup when the host lacks what it needs: the row is `skipped` with this reason. */
export class SkipClaim extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipClaim';
  }
}

/**
 * One arm of an experiment: the setting it runs with, what it observes, and the pure check that
 * judges the observation. Both arms of a claim observe the same kind of thing (`O`), so each
 * arm's check can be fed the other arm's observation, where it must fail (the contrast tests).
 */
export interface Arm<S = unknown, O = unknown> {
  /**
   * The setting this arm runs with, as the article or the documentation names it
   * (`--network=none`; `default network`): shown in the evidence and the report.
   */
  setting: string;
  /**
   * Run this arm's experiment through the context (every command is recorded) and return the raw
   * observation. Throw when nothing could be observed (a container that did not start, a missing
   * file): the treatment is then `error`, the control `inconclusive`.
   */
  observe(ctx: ClaimContext, setup: S): Promise<O>;
  /**
   * Pure: does the observation show what this arm expects (the treatment: the claimed property;
   * the control: the contrast)? Output it cannot explain is {@link unexplained}, never a guess.
   */
  check(observed: O, setup: S): Observation | Unexplained;
  /**
   * The probe containers this arm asks for, when known before its setup runs: the runner joins
   * the attempts of identical ones across claims, so one container answers them all.
   */
  probes?: readonly PlannedProbe[];
}

/** A check's answer for output it cannot explain: the row becomes `error`, naming the command. */
export interface Unexplained {
  unexplained: string;
}

/** A check met output it cannot explain (see {@link Arm.check}). */
export const unexplained = (why: string): Unexplained => ({ unexplained: why });

/** Was the check's answer {@link unexplained}? */
export const isUnexplained = <T extends object>(x: T | Unexplained): x is Unexplained =>
  typeof (x as Unexplained).unexplained === 'string';

/**
 * One sentence from a security article, turned into an experiment: a treatment (the setting the
 * claim is about) and a control (the same experiment with only that setting removed, or set to its
 * documented opposite). The runner runs setup, both arms and `decide()`, and owns the deadline,
 * the evidence, the cleanup and the skips. Define one with `defineClaim()`.
 */
// biome-ignore lint/suspicious/noExplicitAny: a catalog holds claims of different setup and observation types
export interface Claim<S = any, O = any> {
  /** Stable id, `area.what` (lower case, digits and dashes, at least one dot). */
  id: string;
  /** The claim as a sentence. */
  title: string;
  /** Where the claim comes from (the article, the man page, podman's own test). */
  source: string;
  /** Identities the claim applies to. */
  identities: readonly IdentityName[];
  /**
   * Run with no other claim of the same identity at once. podman 4.3 can deadlock when
   * containers with new id mappings (--userns=auto, --uidmap) are created concurrently with
   * other containers (podman#16062, fixed in 4.4).
   */
  exclusive?: boolean;
  /**
   * An `exclusive` claim that other claims' shared apparatus (the run's plain networks and their
   * sink, see `ClaimContext.shared`) does not confound, or that joins it: the run keeps it while
   * this claim runs (other exclusive claims remove it first), and runs such claims before those.
   */
  keepsApparatus?: boolean;
  /** A skip reason when this host or identity lacks what the claim needs, else undefined. */
  needs?(host: HostProfile, identity: Identity, access: RootAccess): string | undefined;
  /** What both arms share (an image, a network, a sink, a marker process); throw SkipClaim to skip. */
  setup?(ctx: ClaimContext): Promise<S>;
  /** The configuration the claim is about: does the claimed property hold? */
  treatment: Arm<S, O>;
  /** The same experiment with only the setting under test removed: does it show the contrast? */
  control: Arm<S, O>;
  /**
   * Start before the other claims of its identity: it mostly waits on systemd and clients, so
   * other claims' podman work overlaps it instead of it running alone at the end.
   */
  startEarly?: boolean;
  /** Run both arms at once (default: the treatment first, alone, then the control). */
  concurrentArms?: boolean;
  /** A note for the reason: which client, default or configuration the host gave the experiment. */
  note?(ctx: ClaimContext, setup: S): string | undefined;
}

/** One row of the report: a claim on one identity. */
export interface ClaimResult {
  claim: string;
  title: string;
  /** Where the claim comes from (its `source`). */
  source?: string;
  identity: IdentityName;
  verdict: Verdict;
  reason: string;
  durationMs: number;
  /** The commands behind the verdict. */
  evidence: Evidence[];
  /** Set when a waiver (`--waivers`) accepts this verdict: it is shown, and does not fail the run. */
  waiver?: { reason: string; expires: string };
}
