import type { ImageSpec } from '../apparatus/images.js';
import type { Evidence, EvidenceLog } from '../exec/evidence.js';
import type { Identity, IdentityName } from '../exec/identity.js';
import type { BackgroundProcess, ExecOptions } from '../exec/run.js';
import type { Session } from '../exec/session.js';
import type { HostProfile } from '../host/profile.js';
import type { Podman } from '../podman/podman.js';
import type { Side } from './verdict.js';

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
  exec(
    argv: string[],
    opts?: Omit<ExecOptions, 'identity' | 'log' | 'signal'> & {
      /** Run even after the claim was aborted (SIGINT, deadline): for cleanup commands. */
      cleanup?: boolean;
    },
  ): Promise<Evidence>;
  /** Start a host command as this identity in the background; stopped at the end of the claim (and at teardown). */
  spawn(
    argv: string[],
    opts?: Omit<ExecOptions, 'identity' | 'log' | 'signal' | 'timeoutMs' | 'input'>,
  ): BackgroundProcess;
  /** Aborted on SIGINT or when the claim's deadline passes. */
  signal: AbortSignal;
  /**
   * Register cleanup for something the claim just made (a network, a sink, units): run in reverse
   * order when the claim ends, whatever its outcome, or at session teardown if it never got there.
   */
  defer(name: string, fn: () => Promise<unknown> | unknown): void;
}

/** Thrown by a claim's setup when the host lacks what it needs: the row is `skipped` with this reason. */
export class SkipClaim extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipClaim';
  }
}

/**
 * One sentence from a security article, turned into an experiment: a treatment (the setting the
 * claim is about) and a control (the same experiment with only that setting removed, or set to its
 * documented opposite). The runner runs setup, both arms and `decide()`, and owns the cleanup.
 */
// biome-ignore lint/suspicious/noExplicitAny: a catalog holds claims of different setup types
export interface Claim<S = any> {
  /** Stable id, `area.what`. */
  id: string;
  /** The claim as a sentence. */
  title: string;
  /** Where the claim comes from. */
  source: string;
  /** Identities the claim applies to. */
  identities: readonly IdentityName[];
  /**
   * Run with no other claim of the same identity at once. podman 4.3 can deadlock when
   * containers with new id mappings (--userns=auto, --uidmap) are created concurrently with
   * other containers (podman#16062, fixed in 4.4).
   */
  exclusive?: boolean;
  /** A skip reason when this host or identity lacks what the claim needs, else undefined. */
  needs?(host: HostProfile, identity: Identity, access: RootAccess): string | undefined;
  /** What both arms share (an image, a network, a sink, a marker process); throw SkipClaim to skip. */
  setup?(ctx: ClaimContext): Promise<S>;
  /** The configuration the claim is about: does the claimed property hold? */
  treatment(ctx: ClaimContext, setup: S): Promise<Side>;
  /** The same experiment with only the setting under test removed: does it show the contrast? */
  control(ctx: ClaimContext, setup: S): Promise<Side>;
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
  identity: IdentityName;
  verdict: Verdict;
  reason: string;
  durationMs: number;
  /** The commands behind the verdict. */
  evidence: Evidence[];
  /** Set when a waiver (`--waivers`) accepts this verdict: it is shown, and does not fail the run. */
  waiver?: { reason: string; expires: string };
}
