/**
 * The in-container side of the probe: prints raw files between delimiters and nothing else.
 * It needs only `sh` and `cat` (any image has them); all parsing happens on the host.
 */

/** Files every snapshot reads. */
export const PROBE_FILES = [
  '/proc/net/dev',
  '/proc/net/if_inet6',
  '/proc/net/fib_trie',
  '/proc/net/route',
  '/proc/net/ipv6_route',
  '/proc/self/status',
  '/proc/self/uid_map',
  '/proc/self/gid_map',
  '/proc/self/loginuid',
  '/proc/self/mountinfo',
  '/proc/sys/kernel/hostname',
] as const;

export const BEGIN = '@@podproof-begin';
export const END = '@@podproof-end';
/** The script's last line: output without it is incomplete (podman lost some or all of it). */
export const COMPLETE = '@@podproof-complete';

/** A command the probe runs after reading its files, e.g. a client trying to connect out. */
export interface Attempt {
  /** Section name: the output is in section `attempt:NAME`. */
  name: string;
  argv: string[];
  /**
   * Run only when the container has no interface but the loopback device, else print
   * {@link NOT_TRIED} with exit code {@link NOT_TRIED_RC}: a client meant for an isolated
   * container must not send traffic anywhere when podman gave it a network after all.
   */
  onlyWithoutNetwork?: boolean;
}

export const NOT_TRIED = 'podproof: not tried: the container has interfaces besides the loopback device';
export const NOT_TRIED_RC = 254;

/** Quote one argument for sh (pure). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * sh that runs an attempt inside its section (pure). The interface count comes from the
 * network's `dev` file, read by sh alone. `via.enter`, sh words as they are, goes before the
 * attempt's quoted words (the side probe's `nsenter` and busybox); `via.netDev` names that file
 * (default the probe's own).
 */
export function attemptScript(a: Attempt, via: { enter?: string; netDev?: string } = {}): string {
  const run = `${via.enter ? `${via.enter} ` : ''}${a.argv.map(shellQuote).join(' ')} 2>&1; rc=$?`;
  const body = a.onlyWithoutNetwork
    ? [
        `n=0; while read -r l; do case "$l" in *:*) n=$((n+1));; esac; done < ${via.netDev ?? '/proc/net/dev'}`,
        `if [ "$n" -le 1 ]; then ${run}; else echo "${NOT_TRIED}"; rc=${NOT_TRIED_RC}; fi`,
      ]
    : [run];
  return [`echo "${BEGIN} attempt:${a.name}"`, ...body, 'echo', `echo "${END} attempt:${a.name} $rc"`].join(
    '\n',
  );
}

/**
 * The script given to the container's `sh -c`. Each section is
 * `@@podproof-begin NAME` ... `@@podproof-end NAME RC`; a section for a file that cannot be read
 * has a non-zero RC. /sys/class/net/X/flags tells which interface is the loopback device.
 * Attempts run last, each in a section `attempt:NAME` whose RC is the command's exit code; the
 * {@link COMPLETE} line ends it all.
 */
export function probeScript(attempts: readonly Attempt[] = []): string {
  return endingComplete(
    [
      `for f in ${PROBE_FILES.join(' ')} /sys/class/net/*/flags; do`,
      `  echo "${BEGIN} $f"; cat "$f" 2>&1; rc=$?; echo; echo "${END} $f $rc"`,
      'done',
      ...listingSections(''),
      ...attempts.map((a) => attemptScript(a)),
    ].join('\n'),
  );
}

/**
 * The `pids` and `dev` sections (pure): the PIDs /proc lists and the names under /dev, one level
 * down too (/dev/net/tun, /dev/pts/0), by sh globbing (no ls), under `root` (sh words: the
 * probe's own `/`, or a process's root seen from the host).
 */
export function listingSections(root: string): string[] {
  return [
    `echo "${BEGIN} pids"; (cd ${root}/proc && echo [0-9]*); echo "${END} pids 0"`,
    `echo "${BEGIN} dev"; (cd ${root}/dev && for f in * */*; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done); echo "${END} dev 0"`,
  ];
}

/**
 * `script` ending with the {@link COMPLETE} line: a container's output without it was lost on
 * the way (podman's attach), however plausible what is left looks (an empty read-back is "absent").
 */
export function endingComplete(script: string): string {
  return `${script}\necho ${COMPLETE}`;
}

/** The output has the script's last line: nothing of it was lost on the way (pure). */
export function isCompleteOutput(output: string): boolean {
  return output.trimEnd().split('\n').at(-1)?.trim() === COMPLETE;
}
