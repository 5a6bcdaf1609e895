import type { Evidence } from '../exec/evidence.js';
import { describeEvidence } from '../exec/evidence.js';
import type { Podman } from '../podman/podman.js';
import { type Attempt, probeScript } from './script.js';
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

/** Start one container that prints its raw files, and parse them into a snapshot. */
export async function probe(podman: Podman, image: string, opts: ProbeOptions = {}): Promise<ProbeOutcome> {
  const evidence = await podman.run({
    image,
    command: ['sh', '-c', probeScript(opts.attempts)],
    flags: opts.flags,
    purpose: opts.purpose ?? 'probe',
    timeoutMs: opts.timeoutMs,
    loginuid: opts.loginuid,
  });
  if (evidence.failure || evidence.exitCode !== 0) {
    return { ok: false, error: `probe container failed: ${describeEvidence(evidence)}`, evidence };
  }
  try {
    return { ok: true, snapshot: parseSnapshot(evidence.stdout), evidence };
  } catch (err) {
    return { ok: false, error: `${(err as Error).message}: ${describeEvidence(evidence)}`, evidence };
  }
}
