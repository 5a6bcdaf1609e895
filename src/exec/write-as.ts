import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { describeEvidence, type EvidenceLog } from './evidence.js';
import type { Identity } from './identity.js';
import { exec, succeeded } from './run.js';

/** Options for {@link writeFileAs}. */
export interface WriteAsOptions {
  /** Permission bits (default 0644). */
  mode?: number;
  purpose?: string;
  log?: EvidenceLog;
  signal?: AbortSignal;
}

/**
 * Write a file owned by `identity`: directly where the harness is that user, or root (then
 * chowned); otherwise through the identity itself (`sudo -n`): made empty with its mode by
 * `install`, then filled by `tee` (node's stdin is a socket, which `install /dev/stdin` cannot
 * open: ENXIO). The one way the harness writes a file as another user.
 */
export async function writeFileAs(
  identity: Identity,
  path: string,
  text: string,
  opts: WriteAsOptions = {},
): Promise<void> {
  const mode = opts.mode ?? 0o644;
  const me = process.getuid?.();
  if (me === 0 || me === identity.uid) {
    writeFileSync(path, text, { mode });
    chmodSync(path, mode); // writeFile applies the umask
    if (me === 0 && identity.uid !== 0) chownSync(path, identity.uid, identity.gid);
    return;
  }
  const run = async (argv: string[], what: string, input?: string) => {
    const e = await exec(argv, {
      identity,
      input,
      purpose: `${opts.purpose ?? `write ${path}`}: ${what}`,
      log: opts.log,
      signal: opts.signal,
    });
    if (!succeeded(e)) throw new Error(`could not write ${path} as ${identity.user}: ${describeEvidence(e)}`);
  };
  await run(['install', '-m', mode.toString(8).padStart(4, '0'), '/dev/null', path], 'make it');
  await run(['tee', path], 'fill it', text);
}
