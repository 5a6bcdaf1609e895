import type { Evidence } from '../exec/evidence.js';
import { describeEvidence } from '../exec/evidence.js';
import type { Podman } from '../podman/podman.js';
import { type Attempt, isCompleteOutput, probeScript } from './script.js';
import { type ProbeSnapshot, parseSnapshot } from './snapshot.js';

/** The outcome of one probe container: a snapshot, or why there is none (a harness error). */
export type ProbeOutcome =
  | { ok: true; snapshot: ProbeSnapshot; evidence: Evidence }
  | { ok: false; error: string; evidence: Evidence };

/** Options for {@link probe}: the experiment's podman flags and how the run is recorded. */
export interface ProbeOptions {
  /** podman run flags the experiment is about. */
  flags?: string[];
  purpose?: string;
  timeoutMs?: number;
  /** Start podman with this audit login UID. */
  loginuid?: number;
  /** Commands to run in the same container after the files are read (clients trying to connect). */
  attempts?: readonly Attempt[];
}

/**
 * podman can lose a container's output: CI saw a rootful `podman run --rm` (4.3, runc) exit 0
 * with empty stdout once in thousands of runs. Output without the script's last line is no
 * observation at all, so the probe runs once more (a new container, the same flags); both runs
 * are in the evidence log. Twice lost is an error.
 */
const LOST_OUTPUT_RETRIES = 1;

/** Start one container that prints its raw files, and parse them into a snapshot. */
export async function probe(podman: Podman, image: string, opts: ProbeOptions = {}): Promise<ProbeOutcome> {
  const purpose = opts.purpose ?? 'probe';
  const runOnce = (again: boolean) =>
    podman.run({
      image,
      command: ['sh', '-c', probeScript(opts.attempts)],
      flags: opts.flags,
      purpose: again ? `${purpose} again, output lost` : purpose,
      timeoutMs: opts.timeoutMs,
      loginuid: opts.loginuid,
    });
  return outcomeOf(await runUntilComplete(runOnce), LOST_OUTPUT_RETRIES + 1);
}

/**
 * Run a container whose script ends with the {@link COMPLETE} line (see `endingComplete`) once
 * more when its output was lost; the last run's evidence, which may still be incomplete.
 */
export async function runUntilComplete(runOnce: (again: boolean) => Promise<Evidence>): Promise<Evidence> {
  let evidence = await runOnce(false);
  for (let retry = 0; retry < LOST_OUTPUT_RETRIES && outputLost(evidence); retry++)
    evidence = await runOnce(true);
  return evidence;
}

/** A probe run's outcome from its evidence: the snapshot, or why there is none (`runs` made). */
export function outcomeOf(evidence: Evidence, runs = 1): ProbeOutcome {
  if (evidence.failure || evidence.exitCode !== 0) {
    return { ok: false, error: `probe container failed: ${describeEvidence(evidence)}`, evidence };
  }
  if (outputLost(evidence)) {
    return {
      ok: false,
      error: `the probe's output was incomplete in ${runs} ${runs === 1 ? 'run' : 'runs'} out of ${runs} (exit 0 without the script's last line: podman lost the container's output): ${describeEvidence(evidence)}`,
      evidence,
    };
  }
  try {
    return { ok: true, snapshot: parseSnapshot(evidence.stdout), evidence };
  } catch (err) {
    return { ok: false, error: `${(err as Error).message}: ${describeEvidence(evidence)}`, evidence };
  }
}

/** The container ran to exit 0, yet its output lacks the script's last line (pure). */
export function outputLost(evidence: Evidence): boolean {
  return !evidence.failure && evidence.exitCode === 0 && !isCompleteOutput(evidence.stdout);
}
