import { describeEvidence, type Evidence } from '../exec/evidence.js';
import type { JournalEntry } from '../exec/journal.js';
import { succeeded } from '../exec/run.js';

/** Where a transient unit is written down before it starts (the session's journal). */
export interface UnitJournal {
  record(entry: JournalEntry): void;
}

/** Registers a cleanup step (the claim's `defer`): run with the claim's teardown, whatever happened. */
export type Defer = (name: string, fn: () => unknown) => void;

/**
 * Journal a transient unit and register its stop *before* `systemd-run` asks for it: a
 * `systemd-run` aborted midway (SIGINT, a deadline) may still have made the unit, and a stop
 * registered only after a successful start would leave it running (a rootless API service
 * outlived a SIGINTed run this way). The stop of a unit that never started is a no-op.
 */
function beforeStart(
  run: RunCommand,
  opts: { unit: string; user: boolean; journal: UnitJournal; defer: Defer },
) {
  opts.journal.record({
    kind: 'units',
    identity: opts.user ? 'rootless' : 'rootful',
    user: opts.user,
    names: [opts.unit],
  });
  opts.defer(`stop ${opts.unit}`, () => stopUnit(run, opts.user, opts.unit));
}

/** Runs a host command (as some identity) and returns its evidence. */
export type RunCommand = (
  argv: string[],
  /** `cleanup`: the command must run even after the claim was aborted (SIGINT, deadline). */
  opts?: { purpose?: string; timeoutMs?: number; cleanup?: boolean; input?: string },
) => Promise<Evidence>;

/**
 * Start `argv` as a transient service of the user manager (`user`) or the system manager,
 * stopped by `defer` (registered before the start). The process is the manager's child, not
 * the caller's: it does not inherit the caller's loginuid.
 */
export async function startTransientService(
  run: RunCommand,
  opts: { unit: string; argv: string[]; user: boolean; purpose?: string; journal: UnitJournal; defer: Defer },
): Promise<{ unit: string } | { error: string }> {
  const scope = opts.user ? ['--user'] : [];
  beforeStart(run, opts);
  const started = await run(
    ['systemd-run', ...scope, '--unit', opts.unit, '--collect', '--quiet', ...opts.argv],
    {
      purpose: opts.purpose ?? `systemd-run ${opts.unit}`,
      timeoutMs: 30_000,
    },
  );
  if (!succeeded(started)) return { error: describeEvidence(started) };
  return { unit: opts.unit };
}

/** `systemctl [--user] stop UNIT`, then `reset-failed` so no failed unit is left; the stop's evidence. */
export async function stopUnit(run: RunCommand, user: boolean, unit: string): Promise<Evidence> {
  const scope = user ? ['--user'] : [];
  const stopped = await run(['systemctl', ...scope, 'stop', unit], {
    purpose: 'cleanup',
    timeoutMs: 60_000,
    cleanup: true,
  });
  await run(['systemctl', ...scope, 'reset-failed', unit], {
    purpose: 'cleanup',
    timeoutMs: 30_000,
    cleanup: true,
  });
  // exit 5, "not loaded": the unit never started or is already collected
  if (!succeeded(stopped) && stopped.exitCode !== 5) throw new Error(describeEvidence(stopped));
  return stopped;
}

/**
 * `systemd-run [--user] --wait --pipe -p PROP=VAL... ARGV`: run ARGV as a transient service and
 * wait; the evidence's exit code is the service's.
 */
export function runAsService(
  run: RunCommand,
  opts: {
    user: boolean;
    /** The transient unit's name (`podproof-SESSION-...service`), journaled before it starts. */
    unit: string;
    journal: UnitJournal;
    /** Where its stop is registered (before the start). */
    defer: Defer;
    properties?: string[];
    argv: string[];
    purpose?: string;
    timeoutMs?: number;
  },
): Promise<Evidence> {
  beforeStart(run, opts);
  return run(
    [
      'systemd-run',
      ...(opts.user ? ['--user'] : []),
      '--unit',
      opts.unit,
      '--wait',
      '--pipe',
      '--collect',
      '--quiet',
      ...(opts.properties ?? []).flatMap((p) => ['-p', p]),
      ...opts.argv,
    ],
    { purpose: opts.purpose, timeoutMs: opts.timeoutMs ?? 120_000 },
  );
}

/** Why an identity has no systemd manager to run units with, or undefined when it has one. */
export function systemdUnavailable(
  host: { systemdPid1: boolean; identities: Record<string, { systemdUser?: string; user?: string }> },
  identity: string,
): string | undefined {
  if (identity === 'rootful') {
    return host.systemdPid1 ? undefined : 'PID 1 is not systemd: no system manager for rootful services';
  }
  const state = host.identities[identity]?.systemdUser;
  return state === 'running' || state === 'degraded'
    ? undefined
    : `no systemd user manager answers for ${host.identities[identity]?.user ?? 'the rootless user'} (${state ?? 'unknown'}; scripts/prepare-host starts one)`;
}
