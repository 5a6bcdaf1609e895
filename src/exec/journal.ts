import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentityName } from './identity.js';
import { processesWhere, processStartTime } from './procs.js';

/**
 * What a session made, written *before* it is made (or, for a process, the moment it has a
 * PID), so `podproof clean` can remove it after SIGKILL or a hang. One JSON object per line.
 */
export type JournalEntry =
  | { kind: 'session'; id: string; pid: number; startTime: string; startedAt: string }
  /** Units (service, socket, transient) of a manager: `user` for the rootless identity's. */
  | { kind: 'units'; identity: string; user: boolean; names: string[]; dir?: string }
  | { kind: 'process'; identity: string; pid: number; startTime: string; argv: string[] }
  /** `writer`: another identity (through sudo) writes in it; it removes it too. */
  | { kind: 'tempdir'; path: string; writer?: IdentityName }
  /** A file something else makes for the session (a socket unit's unix socket). */
  | { kind: 'file'; path: string }
  /** The failed `podman-pause-*.scope` units of a user manager before the session ran any podman. */
  | { kind: 'failed-scopes'; identity: string; units: string[] };

/** Where this process's sessions keep their journals: root's in /run, a user's in its runtime dir. */
export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const base = uid === 0 ? '/run' : (env.XDG_RUNTIME_DIR ?? `/tmp/podproof-${uid}`);
  return join(base, 'podproof', 'sessions');
}

/** Is the process that `pid` and `startTime` named still the one running (not a reused PID)? */
export function stillRunning(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}

/** Parse a journal's lines (pure); a torn last line (SIGKILL mid-write) is ignored. */
export function parseJournal(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {}
  }
  return out;
}

/** One session's journal file: appended synchronously, so an entry is on disk before the thing exists. */
export class Journal {
  readonly file: string;
  private started = false;

  constructor(
    readonly sessionId: string,
    dir = journalDir(),
  ) {
    this.file = join(dir, `${sessionId}.jsonl`);
  }

  record(entry: JournalEntry): void {
    if (!this.started) {
      this.started = true;
      mkdirSync(join(this.file, '..'), { recursive: true, mode: 0o700 });
      const header: JournalEntry = {
        kind: 'session',
        id: this.sessionId,
        pid: process.pid,
        startTime: processStartTime(process.pid) ?? '',
        startedAt: new Date().toISOString(),
      };
      appendFileSync(this.file, `${JSON.stringify(header)}\n`, { mode: 0o600 });
    }
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** Remove the journal: everything it names is gone. */
  close(): void {
    rmSync(this.file, { force: true });
  }
}

/** The journals found in `dir`: session id, entries, and whether its owner process still runs. */
export function readJournals(
  dir = journalDir(),
): { id: string; file: string; entries: JournalEntry[]; live: boolean }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return names.map((n) => {
    const file = join(dir, n);
    let entries: JournalEntry[] = [];
    try {
      entries = parseJournal(readFileSync(file, 'utf8'));
    } catch {}
    const head = entries.find((e) => e.kind === 'session');
    const live =
      head?.kind === 'session' && head.pid !== process.pid && stillRunning(head.pid, head.startTime);
    return { id: n.replace(/\.jsonl$/, ''), file, entries, live };
  });
}

/** Does this argv (a /proc/PID/cmdline split at NUL) label what it makes with `label` (`--label L` or `--label=L`)? (pure) */
export function labelsWith(argv: readonly string[], label: string): boolean {
  return argv.some((a, i) => (a === '--label' && argv[i + 1] === label) || a === `--label=${label}`);
}

/**
 * Does this argv start a systemd unit of session `id` (`systemd-run --unit podproof-ID-...`,
 * `systemctl start podproof-ID-....socket`), directly or through sudo, runuser or setpriv?
 * (pure) Such a command outliving its run can still make the unit after `clean` stopped it; a
 * `systemctl stop` (another clean's) makes nothing.
 */
export function startsUnitOf(argv: readonly string[], id: string): boolean {
  const tool = argv.findIndex((a) => /(^|\/)(systemd-run|systemctl)$/.test(a));
  if (tool < 0) return false;
  if (argv[tool]?.endsWith('systemctl') && !argv.slice(tool + 1).some((a) => /^(re)?start$/.test(a)))
    return false;
  const prefix = `podproof-${id}-`;
  return argv.some((a) => a.startsWith(prefix) || a.startsWith(`--unit=${prefix}`));
}

/**
 * Processes still running a command of session `id` that makes something: a podman run or
 * create labelling it with `labelPrefix=ID`, or a systemd-run/systemctl naming one of its units.
 * After the session's own commands have ended (or its run was killed), any left is a stray:
 * rootless podman 4.3 killed while joining its user namespace leaves an orphan child waiting on
 * a socket forever, and a SIGKILLed run's systemd-run still starts its unit. (Filters such as
 * `--filter label=...` do not match.)
 */
export function sessionStrays(labelKey: string, id: string): number[] {
  const label = `${labelKey}=${id}`;
  return processesWhere((argv) => labelsWith(argv, label) || startsUnitOf(argv, id)).filter(
    (pid) => pid !== process.pid,
  );
}

export { processStartTime };
