import type { Evidence, EvidenceLog } from './evidence.js';
import type { Identity } from './identity.js';
import type { ExecOptions } from './run.js';
import type { Session } from './session.js';

/** Runs a command as the identity under test, recorded as the claim's evidence (a claim's `ctx.exec`). */
export type IdentityExec = (
  argv: string[],
  opts?: Omit<ExecOptions, 'identity' | 'log' | 'signal'> & {
    /** Run even after the claim was aborted (SIGINT, deadline): for cleanup commands. */
    cleanup?: boolean;
  },
) => Promise<Evidence>;

/**
 * What a piece of apparatus needs to run commands for a claim: the session (journal, temp dirs,
 * names), the identity, an exec that records evidence, and the claim's abort signal. A claim's
 * context is one; apparatus never sees the claim itself.
 */
export interface ExecContext {
  session: Session;
  identity: Identity;
  exec: IdentityExec;
  log: EvidenceLog;
  signal: AbortSignal;
}
