import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { type Unexplained, unexplained } from '../experiment/types.js';

/** A command's outcome as a check reads it: enough to classify it and to name it. */
type CommandOutcome = Pick<Evidence, 'exitCode' | 'stderr' | 'failure'> & Partial<Evidence>;

/**
 * Classify each command of an arm (pure). A command `classify` cannot place (`other`: a crash, a
 * timeout, a failure for another reason than the one under test) makes the whole observation
 * {@link unexplained}, named by that command: never a guess in either direction.
 */
export function classifyEach<K extends string, R extends string>(
  runs: Record<K, CommandOutcome>,
  classify: (e: CommandOutcome) => R | 'other',
  what: string,
): Record<K, R> | Unexplained {
  const out = {} as Record<K, R>;
  for (const [name, e] of Object.entries(runs) as [K, CommandOutcome][]) {
    const kind = classify(e);
    if (kind === 'other')
      return unexplained(
        `${what} (${name}): ${e.argv ? describeEvidence(e as Evidence) : `exit ${e.exitCode}: ${e.stderr.trim().slice(-300)}`}`,
      );
    out[name] = kind;
  }
  return out;
}
