import { readFileSync } from 'node:fs';

/** A file's text, or undefined where it cannot be read (gone, a process that ended, no permission). */
export function readTextIfAny(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
