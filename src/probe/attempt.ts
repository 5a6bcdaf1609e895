import { OutputNotExplained } from '../exec/errors.js';
import type { Section } from './sections.js';
import type { ProbeSnapshot } from './snapshot.js';

/**
 * An attempt's output and exit code. A missing section means the script never got there: a
 * harness error, never evidence (thrown as output not explained, so the arm is `error`).
 */
export function attemptOf(s: ProbeSnapshot, name: string): Section {
  const a = s.attempts[name];
  if (!a) throw new OutputNotExplained(`the probe did not run its ${name} attempt`);
  return a;
}

/** The last non-empty line of an attempt's output, for the observation (at most 200 characters). */
export function lastLineOf(a: Section): string {
  const lines = a.text.split('\n').filter((l) => l.trim());
  return (lines[lines.length - 1] ?? '').trim().slice(0, 200);
}

/** An attempt that failed with `expected` (an errno's text): anything else is not that failure. */
export const failedWith = (a: Section, expected: RegExp): boolean =>
  a.exitCode !== 0 && expected.test(a.text);

/** exit 126/127 (not executable, not found) or a signal (128+): the attempt itself broke. */
export const brokeItself = (a: Section): boolean => a.exitCode >= 126;
