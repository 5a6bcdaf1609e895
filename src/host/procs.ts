import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { allPids, processParent } from '../exec/procs.js';
import { tcpListeners } from '../parse/host.js';
import { readTextIfAny } from './files.js';

/** The PID and every descendant of it (from /proc/*\/stat). */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const p of allPids()) {
    const ppid = processParent(p);
    if (ppid !== undefined) parent.set(p, ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [child, ppid] of parent) if (ppid === tree[i] && !tree.includes(child)) tree.push(child);
  return tree;
}

/** `local:port` (hex, as /proc shows it) of the TCP sockets the processes listen on. */
export function tcpListenersOf(pids: number[]): string[] {
  const found: string[] = [];
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      continue;
    }
    const own = new Set(fds.map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1]).filter((i): i is string => !!i));
    for (const file of ['tcp', 'tcp6']) {
      const text = readTextIfAny(`/proc/${pid}/net/${file}`);
      if (text === undefined) continue;
      for (const address of tcpListeners(text, own)) found.push(`${file} ${address}`);
    }
  }
  return [...new Set(found)];
}

/**
 * Whether a process (by its PID as text, as a pid file holds it) is alive. A zombie is not: it
 * holds no namespace or file any more, and where PID 1 reaps orphans late (this build machine's
 * does, about every 2 s) waiting for its /proc entry to go only waits.
 */
export function processAlive(pid: string): boolean {
  if (!/^\d+$/.test(pid) || !existsSync(`/proc/${pid}`)) return false;
  const stat = readTextIfAny(`/proc/${pid}/stat`);
  return stat !== undefined && !isZombieStat(stat);
}

/** Is this /proc/PID/stat text a zombie's or a dead task's (state Z or X, after the comm) (pure)? */
export function isZombieStat(stat: string): boolean {
  return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}

/** The PID a pid file holds, or '' (no file, unreadable). */
export const readPidFile = (file: string): string => (readTextIfAny(file) ?? '').trim();
