import { processArgv, processesWhere, processUid } from '../exec/procs.js';
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
    const argv = processArgv(pid);
    const uid = processUid(pid) ?? -1;
    if (!argv) continue;
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

/**
 * The container id a conmon command line watches, where its bundle (`-b`) lies in the store at
 * `root` (pure): c/storage keeps a container's bundle under GRAPHROOT/DRIVER-containers/ID.
 */
export function storeConmon(argv: readonly string[], root: string): string | undefined {
  if (!/(^|\/)conmon$/.test(argv[0] ?? '')) return undefined;
  const bundle = argv[argv.indexOf('-b') + 1] ?? '';
  return argv.includes('-b') && bundle.startsWith(`${root}/`) ? conmonTarget(argv)?.id : undefined;
}

/** The container name a conmon command line watches (`-n NAME`), if this argv is conmon's (pure). */
export function conmonContainer(argv: readonly string[]): string | undefined {
  if (!/(^|\/)conmon$/.test(argv[0] ?? '')) return undefined;
  const i = argv.indexOf('-n');
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * conmon processes of a session's containers (names `podproof-ID-...`; any session when `id` is
 * undefined). Once the session's containers are removed, any left watches nothing: podman 4.3 can
 * leave one behind when a container of a killed run is removed mid-way.
 */
export function conmonsOf(id?: string): number[] {
  const prefix = new RegExp(`^podproof-${id ?? '[a-z0-9]+'}-`);
  return processesWhere((argv) => prefix.test(conmonContainer(argv) ?? ''));
}
