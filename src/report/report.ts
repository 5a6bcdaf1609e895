import type { ClaimResult } from '../experiment/types.js';
import type { HostProfile } from '../host/profile.js';

/**
 * The report schema's version, `MAJOR.MINOR`: within a major version changes are additive (new
 * optional fields, new enum values are a major change); `schema/report.schema.json` describes it.
 */
export const REPORT_SCHEMA_VERSION = '1.1';

/** The machine-readable report (`--json`), described by `podproof/report.schema.json`. */
export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  host: HostProfile;
  session: string;
  startedAt: string;
  durationMs: number;
  results: ClaimResult[];
  /** For a user's container spec (`proveSpec`): each option no row proves, with why. */
  notProven?: string[];
  /** For a user's container spec: what it does not restrict, as its container showed it here. */
  leavesOpen?: string[];
  /** Every command the run started, claims and harness alike (for benchmarks). */
  commands: {
    count: number;
    podmanCount: number;
    /** Sum of podman call durations (concurrent calls add up). */
    podmanMs: number;
    /** Wall time during which at least one podman call was running. */
    podmanBusyMs: number;
  };
}
