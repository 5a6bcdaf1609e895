import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { type Unexplained, unexplained } from '../experiment/types.js';

/** A command's outcome as a check reads it: whichever of its fields the classifier needs. */
type CommandOutcome = Partial<Evidence>;

/**
 * Classify each command of an arm (pure). A command `classify` cannot place (`other`: a crash, a
 * timeout, a failure for another reason than the one under test) makes the whole observation
 * {@link unexplained}, named by that command: never a guess in either direction.
 */
export function classifyEach<K extends string, R extends string, E extends CommandOutcome>(
  runs: Record<K, E>,
  classify: (e: E) => R | 'other',
  what: string,
): Record<K, R> | Unexplained {
  const out = {} as Record<K, R>;
  for (const [name, e] of Object.entries(runs) as [K, E][]) {
    const kind = classify(e);
    if (kind === 'other')
      return unexplained(
        `${what} (${name}): ${e.argv ? describeEvidence(e as Evidence) : `exit ${e.exitCode ?? '?'}: ${(e.stderr || e.stdout || '').trim().slice(-300)}`}`,
      );
    out[name] = kind;
  }
  return out;
}
