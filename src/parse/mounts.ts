/** One line of /proc/self/mountinfo (proc(5)). */
export interface Mount {
  /** The path inside the filesystem that is mounted (`/null` for a bind of /dev/null from a /dev tmpfs). */
  root: string;
  mountPoint: string;
  /** Per-mount options (`ro`, `nosuid`, `noexec`, ...). */
  options: string[];
  fsType: string;
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
const unescapeOctal = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** `/proc/self/mountinfo` text to mounts, in mount order (pure). Lines that do not parse are skipped. */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    if (dash < 6 || fields.length < dash + 3) continue;
    mounts.push({
      root: unescapeOctal(fields[3] ?? ''),
      mountPoint: unescapeOctal(fields[4] ?? ''),
      options: (fields[5] ?? '').split(','),
      fsType: fields[dash + 1] ?? '',
      source: unescapeOctal(fields[dash + 2] ?? ''),
      superOptions: (fields[dash + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/** The mount that is visible at `path` (the last one mounted there), or undefined (pure). */
export function mountAt(mounts: readonly Mount[], path: string): Mount | undefined {
  return mounts.findLast((m) => m.mountPoint === path);
}

/** Is the mount read-only (its per-mount `ro` flag)? */
export const isReadOnly = (m: Mount): boolean => m.options.includes('ro');

/** One line for evidence: `/ overlay ro,nosuid`. */
export const describeMount = (m: Mount | undefined, path: string): string =>
  m ? `${path} ${m.fsType} ${m.options.join(',')}` : `nothing mounted at ${path}`;
