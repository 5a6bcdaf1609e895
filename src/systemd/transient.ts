import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';

/** Runs a host command (as some identity) and returns its evidence. */
export type RunCommand = (
  argv: string[],
  opts?: { purpose?: string; timeoutMs?: number },
) => Promise<Evidence>;

/** A transient systemd service started with `systemd-run`. */
export interface TransientService {
  unit: string;
  /** `systemctl stop` it (and `reset-failed`, so no failed unit is left). */
  stop(): Promise<Evidence>;
}

/**
 * Start `argv` as a transient service of the user manager (`user`) or the system manager.
 * The process is the manager's child, not the caller's: it does not inherit the caller's loginuid.
 */
export async function startTransientService(
  run: RunCommand,
  opts: { unit: string; argv: string[]; user: boolean; purpose?: string },
): Promise<TransientService | { error: string }> {
  const scope = opts.user ? ['--user'] : [];
  const started = await run(
    ['systemd-run', ...scope, '--unit', opts.unit, '--collect', '--quiet', ...opts.argv],
    {
      purpose: opts.purpose ?? `systemd-run ${opts.unit}`,
      timeoutMs: 30_000,
    },
  );
  if (!succeeded(started)) return { error: describeEvidence(started) };
  return {
    unit: opts.unit,
    async stop() {
      const stopped = await run(['systemctl', ...scope, 'stop', opts.unit], {
        purpose: 'cleanup',
        timeoutMs: 60_000,
      });
      await run(['systemctl', ...scope, 'reset-failed', opts.unit], {
        purpose: 'cleanup',
        timeoutMs: 30_000,
      });
      return stopped;
    },
  };
}

/**
 * `systemd-run [--user] --wait --pipe -p PROP=VAL... ARGV`: run ARGV as a transient service and
 * wait; the evidence's exit code is the service's.
 */
export function runAsService(
  run: RunCommand,
  opts: { user: boolean; properties?: string[]; argv: string[]; purpose?: string; timeoutMs?: number },
): Promise<Evidence> {
  return run(
    [
      'systemd-run',
      ...(opts.user ? ['--user'] : []),
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
