import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';

/** A file's text, or undefined where it cannot be read (gone, a process that ended, no permission). */
export function readTextIfAny(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Does the path exist (a socket a service makes, a pid file)? */
export const pathExists = (path: string): boolean => existsSync(path);

/** A file's mode bits (type and permissions, as stat gives them). */
export const fileMode = (path: string): number => statSync(path).mode;

/** Change a file's permissions (a file the harness's identity owns). */
export const changeMode = (path: string, mode: number): void => chmodSync(path, mode);
