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
  '/proc/self/status',
  '/proc/self/uid_map',
  '/proc/self/gid_map',
  '/proc/self/loginuid',
  '/proc/sys/kernel/hostname',
] as const;

export const BEGIN = '@@podproof-begin';
export const END = '@@podproof-end';

/**
 * The script given to the container's `sh -c`. Each section is
 * `@@podproof-begin NAME` ... `@@podproof-end NAME RC`; a section for a file that cannot be read
 * has a non-zero RC. /sys/class/net/X/flags tells which interface is the loopback device.
 */
export function probeScript(): string {
  return [
    `for f in ${PROBE_FILES.join(' ')} /sys/class/net/*/flags; do`,
    `  echo "${BEGIN} $f"; cat "$f" 2>&1; rc=$?; echo; echo "${END} $f $rc"`,
    'done',
    `echo "${BEGIN} pids"; cd /proc && echo [0-9]*; echo "${END} pids 0"`,
  ].join('\n');
}
