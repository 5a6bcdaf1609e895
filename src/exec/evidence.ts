/** What one process did: the record every claim's verdict points back to. */
export interface Evidence {
  /** The command as the harness meant it (identity prefix such as setpriv/sudo not included). */
  argv: string[];
  /** Identity the command ran as (`rootful`, `rootless`, or `host` for harness-side helpers). */
  identity: string;
  /** The OS user that ran it. */
  user: string;
  /** The audit login UID it was started with, when the harness set one. */
  loginuid?: number;
  /** Why the harness ran it, e.g. `treatment` or `control`. */
  purpose?: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  startedAt: string;
  /** Set when the process did not run to a normal exit. */
  failure?: ExecFailure;
  /** The process was stopped because its output had the answer the harness waited for (`until`). */
  answered?: boolean;
  /**
   * This command answered several claims: it ran once, for the claim named here (whose evidence
   * counts it) or for `apparatus: KEY` the run shares (counted in no claim); every other claim's
   * evidence cites it with its own purpose.
   */
  shared?: string;
}

/** Why a process did not give a usable exit: these are harness errors, never evidence for a claim. */
export type ExecFailure = 'missing-binary' | 'timeout' | 'aborted' | 'spawn-error';

/** Collects evidence in order: one per prove() run, and one per claim that forwards to it. */
export class EvidenceLog {
  readonly entries: Evidence[] = [];
  /** A claim's log passes every entry on to the run's log (`parent`) too. */
  constructor(private readonly parent?: EvidenceLog) {}
  add(entry: Evidence): void {
    this.entries.push(entry);
    this.parent?.add(entry);
  }
  /**
   * Record a command another claim ran whose output answers this one too: in this log only (the
   * run's log has it once), with this claim's purpose and `shared` naming that claim.
   */
  cite(entry: Evidence, as: { purpose: string; shared: string }): void {
    this.entries.push({ ...entry, ...as });
  }
  /** How many commands were recorded (cited ones included). */
  get count(): number {
    return this.entries.length;
  }
}

/** How a process ended: `exit N`, `killed by SIGX`, `answered` (stopped once it had), or the harness failure. */
export function describeExit(e: Pick<Evidence, 'failure' | 'signal' | 'exitCode' | 'answered'>): string {
  if (e.failure) return e.failure;
  if (e.answered) return 'answered';
  return e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`;
}

/** One line that says what happened, for reasons and failure messages. */
export function describeEvidence(e: Evidence): string {
  const last = lastLine(e.stderr) || lastLine(e.stdout);
  return `\`${formatArgv(e.argv)}\` (${e.identity}): ${describeExit(e)}${last ? `: ${last}` : ''}`;
}

/** The summary line of a command in reports: `$ ARGV   [identity, purpose, how it ended, ms]`. */
export function commandLine(e: Evidence): string {
  return `$ ${formatArgv(e.argv)}   [${e.identity}, ${e.purpose ?? ''}, ${describeExit(e)}, ${e.durationMs} ms]`;
}

/** The commands worth showing for a verdict: not the harness's own listing and cleanup. */
export function isRelevant(e: Evidence): boolean {
  return e.purpose !== 'list' && e.purpose !== 'cleanup';
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim().slice(0, 300);
}

/** An argv as a readable command line: shell-quoted where needed, long arguments (scripts) cut short. */
export function formatArgv(argv: string[]): string {
  return argv.map(quoteArg).join(' ');
}

function quoteArg(a: string): string {
  const flat = a.length > 60 ? `${a.slice(0, 40).replace(/\s+/g, ' ')}...` : a;
  return /^[\w@%+=:,./-]+$/.test(flat) ? flat : `'${flat.replace(/'/g, `'\\''`)}'`;
}
