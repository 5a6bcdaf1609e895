import { readdirSync, readFileSync, statSync } from 'node:fs';
import { parseProcLocks } from '../parse/locks.js';

/**
 * The one place podproof reads the process table (/proc): command lines, start times, parents
 * and owners. A process that ends while it is read is left out (or undefined), never an error.
 */

/** PIDs of the processes whose command line (argv, /proc/PID/cmdline split at NUL) satisfies `match`. */
export function processesWhere(match: (argv: string[]) => boolean): number[] {
  const found: number[] = [];
  for (const pid of allPids()) {
    const argv = processArgv(pid);
    if (argv && match(argv)) found.push(pid);
  }
  return found;
}

/** Every PID /proc lists. */
export function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** A process's command line, or undefined when it is gone. */
export function processArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** Fields 3.. of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Is this /proc/PID/stat text a zombie's or a dead task's (state Z or X, after the comm) (pure)? */
export function isZombieStat(stat: string): boolean {
  return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}

/**
 * Whether a process runs: there, and not a zombie (which holds no namespace or file any more;
 * where PID 1 reaps orphans late, as this build machine's does about every 2 s, waiting for its
 * /proc entry to go only waits).
 */
export function processRunning(pid: number): boolean {
  try {
    return !isZombieStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A process's start time (field 22 of /proc/PID/stat, in clock ticks since boot), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** A process's parent PID (field 4 of /proc/PID/stat), or undefined when it is gone. */
export function processParent(pid: number): number | undefined {
  const ppid = statFields(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/** A process's real uid (/proc/PID/status), or undefined when it is gone. */
export function processUid(pid: number): number | undefined {
  try {
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return uid === undefined ? undefined : Number(uid);
  } catch {
    return undefined;
  }
}

/**
 * Who holds a lock on `path` (not who waits for one), from /proc/locks, matched by the file's
 * device and inode: PID, shared or exclusive, and its command line. Empty where nothing holds it
 * or the file is gone.
 */
export function fileLockHolders(
  path: string,
): { pid: number; mode: 'shared' | 'exclusive'; argv: string[] }[] {
  let dev: number;
  let ino: number;
  let text: string;
  try {
    ({ dev, ino } = statSync(path));
    text = readFileSync('/proc/locks', 'utf8');
  } catch {
    return [];
  }
  // the kernel prints the device as major:minor in hex (glibc's encoding of st_dev below 2^32)
  const device = `${((dev >> 8) & 0xfff).toString(16).padStart(2, '0')}:${((dev & 0xff) | ((dev >> 12) & 0xfff00)).toString(16).padStart(2, '0')}`;
  return parseProcLocks(text)
    .filter((l) => !l.waiting && l.inode === ino && l.device === device)
    .map((l) => ({
      pid: l.pid,
      mode: l.mode === 'READ' ? ('shared' as const) : ('exclusive' as const),
      argv: processArgv(l.pid) ?? [],
    }));
}
