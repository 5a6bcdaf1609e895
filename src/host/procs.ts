import { readdirSync, readlinkSync } from 'node:fs';
import { allPids, processParent, processRunning } from '../exec/procs.js';
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

/** Whether a process (by its PID as text, as a pid file holds it) runs (a zombie does not). */
export function processAlive(pid: string): boolean {
  return /^\d+$/.test(pid) && processRunning(Number(pid));
}

/** The PID a pid file holds, or '' (no file, unreadable). */
export const readPidFile = (file: string): string => (readTextIfAny(file) ?? '').trim();
