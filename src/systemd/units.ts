import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeEvidence, type Evidence, formatArgv } from '../exec/evidence.js';
import type { Identity } from '../exec/identity.js';
import type { Session } from '../exec/session.js';
import type { RunCommand } from './transient.js';

/**
 * The runtime unit directory of the manager an identity uses: `$XDG_RUNTIME_DIR/systemd/user`
 * for a user manager, `/run/systemd/system` for the system manager. Both are searched by systemd
 * and vanish on reboot; nothing is written to the user's or the host's configuration.
 */
export function unitDir(identity: Identity): string {
  return identity.name === 'rootless' ? join(identity.runtimeDir, 'systemd', 'user') : '/run/systemd/system';
}

/**
 * Whether this process may write an identity's unit files itself: as root, or as that identity's
 * own user. A normal user proving the rootful identity through `sudo -n` may not touch
 * /run/systemd/system: its files are written and removed by commands run as the identity.
 */
export function writesUnitsDirectly(identity: Identity, uid = process.getuid?.()): boolean {
  return uid === 0 || uid === identity.uid;
}

/** One ExecStart= line from an argv (pure): quoted where needed, `%` escaped as `%%`. */
export function execLine(argv: string[]): string {
  return argv
    .map((a) => a.replace(/%/g, '%%'))
    .map((a) => (/^[\w@+=:,./[\]-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, '\\$1')}"`))
    .join(' ');
}

/** `journalctl` of one unit of an identity's manager, this boot, its messages only (pure). */
export function unitJournalArgv(identity: Identity, unit: string, ...more: string[]): string[] {
  return [
    'journalctl',
    ...(identity.name === 'rootless' ? ['--user'] : []),
    '--unit',
    unit,
    '--boot',
    '--no-pager',
    '--output',
    'cat',
    ...more,
  ];
}

/** Units written for one experiment, and how to remove them again. */
export interface InstalledUnits {
  names: string[];
  systemctl(args: string[], purpose?: string): ReturnType<RunCommand>;
  /** Stop the units, remove their files, daemon-reload and reset-failed. Once: a later call waits for the first. */
  remove(): Promise<void>;
}

/** systemctl's words when no manager answers on the bus (stopped, or between a stop and a start). */
export const NO_MANAGER = /Failed to connect to bus/;

/** Write unit files (name -> content) for an identity's manager and daemon-reload; removed at teardown. */
export async function installUnits(
  run: RunCommand,
  identity: Identity,
  session: Session,
  units: Record<string, string>,
): Promise<InstalledUnits> {
  const dir = unitDir(identity);
  const scope = identity.name === 'rootless' ? ['--user'] : [];
  const systemctl = (args: string[], purpose = 'systemctl') =>
    run(['systemctl', ...scope, ...args], { purpose, timeoutMs: 60_000, cleanup: purpose === 'cleanup' });
  const direct = writesUnitsDirectly(identity);
  const mustRun = async (argv: string[], what: string, input?: string) => {
    const e = await run(argv, {
      purpose: what,
      cleanup: what === 'cleanup',
      ...(input !== undefined ? { input } : {}),
    });
    if (e.exitCode !== 0) throw new Error(`${what}: ${describeEvidence(e)}`);
  };
  if (direct) makeDirsAs(identity, dir);
  else await mustRun(['mkdir', '-p', dir], 'make the unit dir');
  const names = Object.keys(units);
  for (const name of names) {
    if (!/^podproof-[a-z0-9]+-[\w.-]+\.(service|socket)$/.test(name))
      throw new Error(`unit name must be podproof-SESSION-*: ${name}`);
  }
  // one removal, however many ask: a teardown that asks while the claim's own removal is under
  // way must wait for it, not return at once and let the run exit with the files still there
  let removal: Promise<void> | undefined;
  const remove = () => {
    removal ??= removeUnits();
    return removal;
  };
  const removeUnits = async () => {
    const stopped = await stopSocketsFirst((units) => systemctl(['stop', ...units], 'cleanup'), names);
    if (direct) for (const name of names) rmSync(join(dir, name), { force: true });
    else await mustRun(['rm', '-f', ...names.map((n) => join(dir, n))], 'cleanup');
    await systemctl(['daemon-reload'], 'cleanup');
    await systemctl(['reset-failed', ...names], 'cleanup');
    // a unit that could not be stopped keeps listening: say so, so the journal is kept for `clean`
    // (exit 5, "not loaded": interrupted before the files were written, nothing to stop; no
    // manager at all: its sockets closed with it, and its files are gone now)
    if (stopped && !NO_MANAGER.test(stopped.stderr))
      throw new Error(`${formatArgv(stopped.argv)}: exit ${stopped.exitCode} ${stopped.stderr.trim()}`);
  };
  // registered and journaled before anything is written, so a failure half-way (or a SIGKILL)
  // leaves nothing behind that teardown or `podproof clean` does not know of
  session.record({ kind: 'units', identity: identity.name, user: identity.name === 'rootless', names, dir });
  session.onTeardown(`remove units ${names.join(', ')}`, remove);
  for (const [name, content] of Object.entries(units)) {
    const file = join(dir, name);
    if (!direct) {
      await mustRun(['tee', file], `write ${name}`, content);
      continue;
    }
    writeFileSync(file, content);
    if (process.getuid?.() === 0 && identity.uid !== 0) chownSync(file, identity.uid, identity.gid);
  }
  await systemctl(['daemon-reload'], 'daemon-reload');
  return { names, systemctl, remove };
}

/**
 * Stop these units, the sockets first: one still listening starts its service again on a pending
 * connection, and that start (with its Requires=) cancels the stop job of what it needs ("Job ...
 * canceled"); such a stop is tried once more. The first stop that failed (exit 5, "not loaded",
 * is no failure: nothing to stop), if any.
 */
export async function stopSocketsFirst(
  stop: (units: string[]) => Promise<Evidence>,
  names: string[],
): Promise<Evidence | undefined> {
  const sockets = names.filter((n) => n.endsWith('.socket'));
  const rest = names.filter((n) => !n.endsWith('.socket'));
  const stops = sockets.length ? [await stop(sockets)] : [];
  if (rest.length) {
    let e = await stop(rest);
    if (/canceled/.test(e.stderr)) e = await stop(rest);
    stops.push(e);
  }
  return stops.find((e) => e.exitCode !== 0 && e.exitCode !== 5);
}

/** mkdir -p, giving what it creates to the identity when root creates it for a user. */
function makeDirsAs(identity: Identity, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0 && identity.uid !== 0)
    for (const d of missing) chownSync(d, identity.uid, identity.gid);
}
