import { readFileSync } from 'node:fs';
import { conmonsOf } from '../exec/journal.js';
import { exec } from '../exec/run.js';

/** What ends an orphaned conmon's container: its runtime, the container id, the owner (pure). */
export function conmonTarget(argv: readonly string[]): { runtime: string; id: string } | undefined {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runtime = value('-r');
  const id = value('-c');
  return runtime && id && /^[0-9a-f]{64}$/.test(id) ? { runtime, id } : undefined;
}

/**
 * End the conmons of a session (any session when `id` is undefined; `keep` names sessions still
 * running) whose containers are gone, and what they watch: podman 4.3 killed between starting
 * conmon and recording the container leaves conmon and a `runc init` waiting forever, unknown to
 * podman. conmon is killed, then the runtime deletes the container's state (as conmon's owner, whose
 * runtime dir holds it). Returns the conmon PIDs it ended.
 */
export async function endOrphanedConmons(
  id?: string,
  keep: ReadonlySet<string> = new Set(),
): Promise<number[]> {
  const ended: number[] = [];
  for (const pid of conmonsOf(id)) {
    let argv: string[];
    let uid: number;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);
    } catch {
      continue;
    }
    const name = argv[argv.indexOf('-n') + 1] ?? '';
    if ([...keep].some((k) => name.startsWith(`podproof-${k}-`))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      ended.push(pid);
    } catch {
      continue;
    }
    const target = conmonTarget(argv);
    if (!target) continue;
    const as =
      uid > 0
        ? [
            'setpriv',
            `--reuid=${uid}`,
            `--regid=${uid}`,
            '--clear-groups',
            'env',
            `XDG_RUNTIME_DIR=/run/user/${uid}`,
          ]
        : [];
    await exec([...as, target.runtime, 'delete', '--force', target.id], {
      purpose: 'cleanup: an orphaned container',
      timeoutMs: 30_000,
    });
  }
  return ended;
}
