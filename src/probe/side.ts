import type { ExecContext } from '../exec/context.js';
import type { Podman } from '../podman/podman.js';
import { outcomeOf, type ProbeOutcome } from './probe.js';
import {
  type Attempt,
  attemptScript,
  BEGIN,
  END,
  endingComplete,
  listingSections,
  PROBE_FILES,
  shellQuote,
} from './script.js';

/**
 * The descriptor the side script keeps podproof's tools dir open on, across `nsenter`: inside the
 * container's mount namespace `/proc/self/fd/9/busybox` is still that dir's busybox (the magic
 * link resolves to the host's dir), and its name tells busybox which applet it is.
 */
const TOOLS_FD = 9;
const TOOLS = `/proc/self/fd/${TOOLS_FD}`;

/**
 * Where the host reads what the probe reads inside, for the container process `$P` (pure): its
 * own /proc files (the namespaces, maps and mounts are the process's), the UTS name through
 * `nsenter --uts`, and what lives in its mount namespace through `/proc/$P/root`.
 */
const sideSource = (file: string): string => {
  if (file === '/proc/sys/kernel/hostname') return `nsenter --target "$P" --uts cat ${file}`;
  // ids as the process sees them: read from inside its user namespace ($U, see sideScript)
  if (file.startsWith('/proc/self/')) return `$U cat "/proc/$P/${file.slice('/proc/self/'.length)}"`;
  if (file.startsWith('/proc/net/')) return `cat "/proc/$P/net/${file.slice('/proc/net/'.length)}"`;
  throw new Error(`no side source for ${file}`);
};

/**
 * How an attempt runs inside the process's namespaces (mount, UTS, IPC, network, PID): `nsenter`
 * enters them, then runs podproof's static busybox through the tools dir opened before (the
 * container's image may have no shell; its files are never changed), the attempt's words with
 * that dir alone on PATH. It runs with the host side's credentials (root, or root of the rootless
 * user namespace), not the container's: a mount flag answers it (EROFS), a seccomp filter or the
 * container's capabilities do not.
 */
const SIDE_ATTEMPT = {
  enter: `nsenter --target "$P" --mount --uts --ipc --net --pid ${TOOLS}/busybox env PATH=${TOOLS}`,
  netDev: '"/proc/$P/net/dev"',
};

/**
 * The probe's sections, read from the host side of a running container's process `pid` (pure):
 * the same names and format as {@link probeScript}'s, so `parseSnapshot` and every check read it
 * as they read a probe's. The container's own command keeps running as deployed; nothing runs in
 * it but the attempts. Needs `nsenter` (util-linux), and podproof's tools dir (`probeTools`: a
 * static busybox and its applets) at `tools`.
 */
export function sideScript(pid: number, tools: string, attempts: readonly Attempt[] = []): string {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`not a container process: ${pid}`);
  return endingComplete(
    [
      `P=${pid}`,
      // /proc/PID/status shows uids in the reader's user namespace: a container's own (rootful
      // --userns=auto, a rootless one's nested) is entered for the files that hold ids
      'U=""',
      '[ "$(readlink /proc/self/ns/user)" = "$(readlink "/proc/$P/ns/user")" ] || U="nsenter --target $P --user"',
      `exec ${TOOLS_FD}<${shellQuote(tools)}`,
      `for f in ${PROBE_FILES.join(' ')}; do`,
      `  echo "${BEGIN} $f"`,
      '  case "$f" in',
      ...PROBE_FILES.map((f) => `    ${f}) ${sideSource(f)} 2>&1;;`),
      '  esac',
      `  rc=$?; echo; echo "${END} $f $rc"`,
      'done',
      // the container's sysfs, /proc and /dev, as mounted in its mount namespace
      `for f in "/proc/$P/root"/sys/class/net/*/flags; do`,
      `  [ -e "$f" ] || continue; n=\${f#"/proc/$P/root"}`,
      `  echo "${BEGIN} $n"; cat "$f" 2>&1; rc=$?; echo; echo "${END} $n $rc"`,
      'done',
      ...listingSections('"/proc/$P/root"'),
      ...attempts.map((a) => attemptScript(a, SIDE_ATTEMPT)),
    ].join('\n'),
  );
}

/** What a side observation needs: the claim's exec context and its podman (rootless: `unshare`). */
export type SideEnv = ExecContext & { podman: Pick<Podman, 'cmd'> };

/**
 * Observe a running container from the host side (see {@link sideScript}): as root for the
 * rootful identity, inside `podman unshare` for the rootless one (root of the user namespace that
 * owns the container's namespaces, so it may read its root and enter them).
 */
export async function observeFromSide(
  ctx: SideEnv,
  opts: { pid: number; tools: string; attempts?: readonly Attempt[]; purpose: string },
): Promise<ProbeOutcome> {
  const argv = ['sh', '-c', sideScript(opts.pid, opts.tools, opts.attempts)];
  const evidence =
    ctx.identity.name === 'rootless'
      ? await ctx.podman.cmd(['unshare', ...argv], { purpose: opts.purpose, timeoutMs: 60_000 })
      : await ctx.exec(argv, { purpose: opts.purpose, timeoutMs: 60_000 });
  return outcomeOf(evidence);
}
