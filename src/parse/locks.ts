/** One line of /proc/locks: a lock held (or waited for) on a file, by inode. */
export interface ProcLock {
  /** FLOCK, POSIX, OFDLCK */
  kind: string;
  /** READ (shared) or WRITE (exclusive). */
  mode: string;
  pid: number;
  /** The file's inode number (the device is left out: podproof's lock files are matched by path's inode and device). */
  inode: number;
  /** `maj:min` of the file's device, in hex as the kernel prints it. */
  device: string;
  /** A request still waiting (`->`), not a lock held. */
  waiting: boolean;
}

/**
 * /proc/locks (pure): `1: FLOCK  ADVISORY  READ  3187 00:2b:1234 0 EOF`, a waiting request with
 * `->` after the number. Lines it cannot read are left out.
 */
export function parseProcLocks(text: string): ProcLock[] {
  const out: ProcLock[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^\d+:\s+(->\s+)?(\S+)\s+\S+\s+(READ|WRITE|UNLCK)\s+(-?\d+)\s+([0-9a-f]+:[0-9a-f]+):(\d+)\s/.exec(line);
    if (!m) continue;
    out.push({
      waiting: m[1] !== undefined,
      kind: m[2] as string,
      mode: m[3] as string,
      pid: Number(m[4]),
      device: m[5] as string,
      inode: Number(m[6]),
    });
  }
  return out;
}
