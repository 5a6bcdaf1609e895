import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { settleAardvark } from '../apparatus/network-sink.js';
import type { IdentityName, IdentityResolution } from '../exec/identity.js';
import { type JournalEntry, readJournals, sessionStrays, stillRunning } from '../exec/journal.js';
import { exec, succeeded } from '../exec/run.js';
import { removeTempDir, SESSION_LABEL, type Session, writerThroughSudo } from '../exec/session.js';
import { waitUntil } from '../exec/wait.js';
import { endOrphanedConmons } from '../podman/orphans.js';
import { Podman, type StorageMode } from '../podman/podman.js';
import { failedPodmanScopes, resetNewFailedScopes, unitNames } from '../systemd/scopes.js';
import { stopSocketsFirst, unitDir, writesUnitsDirectly } from '../systemd/units.js';

/** What `podproof clean` did (or, with `check`, would do) for one session. */
export interface CleanedSession {
  id: string;
  /** Its owner process still runs: left alone (unless forced). */
  live: boolean;
  removed: string[];
  failed: string[];
}

export interface CleanOptions {
  binary: string;
  resolutions: Record<IdentityName, IdentityResolution>;
  identities: readonly IdentityName[];
  storage: StorageMode;
  session: Session;
  /** Only list what is left; remove nothing. */
  check?: boolean;
  /** Clean live sessions too. */
  force?: boolean;
  /** Also remove the cached fixture images. */
  images?: boolean;
  journalDir?: string;
}

/** The session id in a podproof object name (`podproof-SESSION-what-N`), pure. */
export function sessionOfName(name: string): string | undefined {
  // an image's repository has a registry in front: `localhost/podproof-SESSION-what-N`
  return /(?:^|[\s/])podproof-([a-z0-9]+)-/.exec(name)?.[1];
}

/**
 * Remove what dead sessions left: everything their journals name (units stopped, removed and
 * reset-failed; processes ended when their start time still matches; temp dirs; podman scopes
 * they made fail) and every podman object carrying their session label. A session whose process
 * still runs is left alone unless `force`.
 */
export async function clean(opts: CleanOptions): Promise<CleanedSession[]> {
  // clean's own podman calls may start a pause process, whose scope fails like any run's
  const rootless = opts.resolutions.rootless;
  const scopesBefore = rootless.ok && !opts.check ? await failedPodmanScopes(rootless.identity) : undefined;
  try {
    return await cleanSessions(opts);
  } finally {
    if (rootless.ok && scopesBefore) await resetNewFailedScopes(rootless.identity, scopesBefore);
  }
}

async function cleanSessions(opts: CleanOptions): Promise<CleanedSession[]> {
  const journals = readJournals(opts.journalDir);
  const live = new Set(journals.filter((j) => j.live && !opts.force).map((j) => j.id));
  const out: CleanedSession[] = [];
  for (const j of journals) {
    if (j.id === opts.session.id) continue;
    const done: CleanedSession = { id: j.id, live: j.live, removed: [], failed: [] };
    out.push(done);
    if (live.has(j.id)) continue;
    // strays of the dead session first: its podman and systemd-run commands still running. They
    // get a while to end by themselves (podman signalled midway leaves what it was making; a
    // systemd-run ends once its unit started, which the journal's units entry then stops), then
    // are killed
    const strays = () => sessionStrays(SESSION_LABEL, j.id);
    if (!opts.check) await waitUntil(() => strays().length === 0, STRAY_GRACE_MS);
    for (const pid of strays()) {
      if (opts.check) {
        done.removed.push(`stray process ${pid}`);
        continue;
      }
      try {
        process.kill(pid, 'SIGKILL');
        done.removed.push(`stray process ${pid}`);
      } catch (err) {
        done.failed.push(`stray process ${pid}: ${(err as Error).message}`);
      }
    }
    for (const entry of [...j.entries].reverse()) await undo(entry, opts, done);
    if (!opts.check && !done.failed.length) rmSync(j.file, { force: true });
  }
  // units by name, as files or loaded in the identity's manager, journaled or not (a journal
  // closed by a teardown that missed them, as a transient unit whose systemd-run was aborted
  // once was): all but those of live sessions, here or in a journal of the identity's own user
  const journaled = new Set(journals.map((j) => j.id));
  for (const name of opts.identities) {
    const r = opts.resolutions[name];
    if (!r.ok) continue;
    const liveThere = readJournals(join(r.identity.runtimeDir, 'podproof', 'sessions'));
    const skip = new Set([...live, ...liveThere.filter((j) => j.live).map((j) => j.id), opts.session.id]);
    // no system manager (PID 1 is not systemd: sd_booted's test) has no units to list
    const managed = name === 'rootless' || existsSync('/run/systemd/system');
    const loaded = !managed
      ? undefined
      : await exec(
          [
            'systemctl',
            ...(name === 'rootless' ? ['--user'] : []),
            'list-units',
            '--all',
            '--plain',
            '--no-legend',
            'podproof-*',
          ],
          { identity: r.identity, timeoutMs: 15_000, purpose: 'clean: podproof units' },
        );
    const bySession = unitsBySession([
      ...unitFilesIn(unitDir(r.identity)),
      ...(loaded?.exitCode === 0 ? unitNames(loaded.stdout) : []),
    ]);
    for (const [id, names] of bySession) {
      // a journaled session's units were undone above: what is still here was not journaled
      // (or, with `check`, is already listed; or its undo failed and says so)
      const undone = out.find((o) => o.id === id);
      if (skip.has(id) || (journaled.has(id) && (opts.check || undone?.failed.length))) continue;
      const row = rowOf(out, id);
      const entry = {
        kind: 'units',
        identity: name,
        user: name === 'rootless',
        names,
        dir: unitDir(r.identity),
      };
      await undo(entry as JournalEntry, opts, row);
    }
  }
  // podman objects by label, journaled or not (sessions of older versions): all but the live ones
  for (const name of opts.identities) {
    const r = opts.resolutions[name];
    if (!r.ok) continue;
    const podman = new Podman({
      binary: opts.binary,
      identity: r.identity,
      session: opts.session,
      storage: opts.storage,
    });
    let objects: string[];
    try {
      objects = await podman.listLabelled();
    } catch (err) {
      // say so in one line and go on with the other identity: a stack trace helps nobody here
      out.push({
        id: '?',
        live: false,
        removed: [],
        failed: [
          `${name}: could not list podman's objects (${(err as Error).message.replace(/\s*\n\s*/g, '; ')}); ${
            name === 'rootless' && opts.storage === 'podproof'
              ? 'podproof resets its own rootless store when podman names a dead pause process or network namespace; for another cause run `podman system migrate` for that store and `podproof clean` again'
              : 'fix podman (see its message), then run `podproof clean` again'
          }`,
        ],
      });
      continue;
    }
    const bySession = new Map<string, string[]>();
    for (const o of objects) {
      const id = sessionOfName(o) ?? '?';
      if (live.has(id)) continue;
      bySession.set(id, [...(bySession.get(id) ?? []), o]);
    }
    for (const [id, list] of bySession) {
      const row = rowOf(out, id);
      if (opts.check) {
        row.removed.push(...list.map((o) => `${name} ${o}`));
        continue;
      }
      // an object whose name carries no session id: removed by label only when no session is live
      if (id === '?' && live.size) {
        row.failed.push(
          ...list.map((o) => `${name} ${o}: no session id in its name, and a session is running`),
        );
        continue;
      }
      const runs = await podman.removeLabelled(id === '?' ? undefined : id);
      const errors = runs.filter((e) => !succeeded(e));
      row.removed.push(...list.map((o) => `${name} ${o}`));
      row.failed.push(...errors.map((e) => `${e.argv.join(' ')}: ${e.stderr.trim()}`));
    }
    // names given to images pulled from a dead session's registry (see Podman.sessionImageNames)
    let pulled = new Map<string, string[]>();
    try {
      pulled = await podman.sessionImageNames();
    } catch {}
    for (const [id, names] of pulled) {
      if (live.has(id) || id === opts.session.id) continue;
      const row = rowOf(out, id);
      row.removed.push(...names.map((n) => `${name} image name ${n}`));
      if (opts.check) continue;
      const e = await podman.cmd(['rmi', ...names], { purpose: 'clean', timeoutMs: 60_000 });
      if (!succeeded(e)) row.failed.push(`${e.argv.join(' ')}: ${e.stderr.trim()}`);
    }
    // DNS state of podproof networks that are gone (a start cut short), and an idle aardvark-dns
    // (left running while a session is live: that run may be about to use it)
    if (!opts.check)
      for (const n of await settleAardvark(podman, undefined, { stopIdle: live.size === 0 }))
        out.push({
          id: n.split('-')[1] ?? '?',
          live: false,
          removed: [`${name} aardvark-dns entry ${n}`],
          failed: [],
        });
    if (opts.images && !opts.check) {
      const errors = (await podman.removeFixtureImages()).filter((e) => !succeeded(e));
      for (const e of errors)
        out.push({
          id: 'fixtures',
          live: false,
          removed: [],
          failed: [`${e.argv.join(' ')}: ${e.stderr.trim()}`],
        });
    }
  }
  // conmon left watching a container that is gone, of a session that is not running
  if (!opts.check)
    for (const pid of await endOrphanedConmons(undefined, new Set([...live, opts.session.id])))
      out.push({ id: '?', live: false, removed: [`orphaned conmon ${pid} and its container`], failed: [] });
  return out.filter((s) => s.live || s.removed.length || s.failed.length);
}

/** The row of session `id` in `out`, added (not live, nothing done yet) when it has none. */
function rowOf(out: CleanedSession[], id: string): CleanedSession {
  let row = out.find((s) => s.id === id);
  if (!row) {
    row = { id, live: false, removed: [], failed: [] };
    out.push(row);
  }
  return row;
}

/** The files in a unit dir (none where it does not exist). */
function unitFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * podproof's units (file or unit names) by the session their name carries, each once (pure). A
 * session id is a time and random digits (14 characters): a unit of the host's own named
 * `podproof-WORD-...` (the VM's `podproof-cpuset-pin.service`) is not a session's.
 */
export function unitsBySession(names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of new Set(names)) {
    const id = /^podproof-([a-z0-9]{10,})-[\w.-]+\.(?:service|socket)$/.exec(n)?.[1];
    if (id) out.set(id, [...(out.get(id) ?? []), n]);
  }
  return out;
}

/** How long a dead session's podman commands get to end by themselves before they are killed. */
const STRAY_GRACE_MS = 10_000;

/** Undo one journal entry (or, with `check`, say whether it is still there). */
async function undo(entry: JournalEntry, opts: CleanOptions, done: CleanedSession): Promise<void> {
  switch (entry.kind) {
    case 'tempdir': {
      if (!existsSync(entry.path)) return;
      done.removed.push(`temp dir ${entry.path}`);
      if (opts.check) return;
      const writer = entry.writer ? opts.resolutions[entry.writer] : undefined;
      await removeTempDir(entry.path, writer?.ok ? writerThroughSudo(writer.identity) : undefined);
      return;
    }
    case 'file':
      if (!existsSync(entry.path)) return;
      if (!opts.check) rmSync(entry.path, { force: true });
      done.removed.push(`file ${entry.path}`);
      return;
    case 'process': {
      if (!stillRunning(entry.pid, entry.startTime)) return;
      done.removed.push(`process ${entry.pid} (${entry.argv.join(' ').slice(0, 80)})`);
      if (opts.check) return;
      try {
        process.kill(entry.pid, 'SIGTERM');
        if (!(await waitUntil(() => !stillRunning(entry.pid, entry.startTime), 3_000)))
          process.kill(entry.pid, 'SIGKILL');
      } catch (err) {
        done.failed.push(`process ${entry.pid}: ${(err as Error).message}`);
      }
      return;
    }
    case 'units': {
      const r = opts.resolutions[entry.identity as IdentityName];
      if (!r?.ok) {
        done.failed.push(`units ${entry.names.join(', ')}: ${r?.reason ?? `no identity ${entry.identity}`}`);
        return;
      }
      const scope = entry.user ? ['--user'] : [];
      const run = (args: string[]) =>
        exec(['systemctl', ...scope, ...args], { identity: r.identity, timeoutMs: 60_000, purpose: 'clean' });
      const files = entry.dir
        ? entry.names.map((n) => join(entry.dir as string, n)).filter((f) => existsSync(f))
        : [];
      const loaded = (
        await run(['list-units', '--all', '--plain', '--no-legend', ...entry.names])
      ).stdout.trim();
      if (!files.length && !loaded) return;
      done.removed.push(`units ${entry.names.join(', ')}`);
      if (opts.check) return;
      await stopSocketsFirst((units) => run(['stop', ...units]), entry.names);
      if (writesUnitsDirectly(r.identity)) for (const f of files) rmSync(f, { force: true });
      else if (files.length)
        await exec(['rm', '-f', ...files], { identity: r.identity, timeoutMs: 60_000, purpose: 'clean' });
      await run(['daemon-reload']);
      await run(['reset-failed', ...entry.names]);
      return;
    }
    case 'failed-scopes': {
      const r = opts.resolutions[entry.identity as IdentityName];
      if (!r?.ok || opts.check) return;
      const reset = await resetNewFailedScopes(r.identity, entry.units);
      if (reset.length) done.removed.push(`failed ${reset.join(', ')}`);
      return;
    }
    case 'session':
      return;
  }
}
