import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The executable `name` resolves to: a path (with a `/`) is checked as it is, a bare name is
 * looked up on PATH. Returns an absolute path, or undefined when there is no such executable.
 */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (env.PATH ?? '').split(delimiter).map((d) => join(d || '.', name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (!statSync(c).isFile()) continue; // a directory is "executable" too
      return isAbsolute(c) ? c : realpathSync(c);
    } catch {}
  }
  return undefined;
}
