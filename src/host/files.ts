import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { parseSubid, type SubidRange, subidRangesFor } from '../parse/host.js';

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

/** A user's subordinate id ranges from /etc/subuid or /etc/subgid (none where the file is unreadable). */
export function readSubidRanges(file: string, user: string, uid: number): SubidRange[] {
  const text = readTextIfAny(file);
  return text === undefined ? [] : subidRangesFor(parseSubid(text), user, uid);
}
