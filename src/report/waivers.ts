import { readFileSync } from 'node:fs';
import { claims, findClaim } from '../claims/index.js';
import { UsageError } from '../exec/errors.js';
import { type Claim, type ClaimResult, VERDICTS, type Verdict } from '../experiment/types.js';

/**
 * An accepted verdict: this claim (on this identity, on this host) may be `verdict` until
 * `expires` (a date, YYYY-MM-DD, inclusive) for `reason`. Once expired it fails the run.
 */
export interface Waiver {
  claim: string;
  /** Default: both identities. */
  identity?: 'rootful' | 'rootless';
  /** A hostname (the report's host.hostname); default: any host. */
  host?: string;
  verdict: Verdict;
  reason: string;
  expires: string;
}

/** What a waived row carries in every report. */
export interface AppliedWaiver {
  reason: string;
  expires: string;
}

/**
 * Check a waivers file's parsed JSON (pure): `{"waivers": [...]}` (schema/waivers.schema.json);
 * every problem is named. Claims are looked up in `catalog` (with `--claims`, the user's too).
 */
export function parseWaivers(json: unknown, file = 'waivers', catalog: readonly Claim[] = claims): Waiver[] {
  const list = (json as { waivers?: unknown })?.waivers;
  if (!Array.isArray(list)) throw new UsageError(`${file}: expected {"waivers": [...]}`);
  return list.map((w: Partial<Waiver>, i) => {
    const where = `${file}: waiver ${i + 1}`;
    if (typeof w?.claim !== 'string' || !findClaim(w.claim, catalog))
      throw new UsageError(`${where}: unknown claim ${w?.claim}`);
    if (w.identity !== undefined && w.identity !== 'rootful' && w.identity !== 'rootless')
      throw new UsageError(`${where}: identity must be rootful or rootless, not ${w.identity}`);
    if (!VERDICTS.includes(w.verdict as Verdict) || w.verdict === 'proven')
      throw new UsageError(`${where}: verdict must be one of refuted, inconclusive, skipped, error`);
    if (typeof w.reason !== 'string' || !w.reason.trim())
      throw new UsageError(`${where}: a reason is required`);
    if (
      typeof w.expires !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}$/.test(w.expires) ||
      Number.isNaN(Date.parse(w.expires))
    )
      throw new UsageError(`${where}: expires must be a date, YYYY-MM-DD`);
    if (w.host !== undefined && typeof w.host !== 'string')
      throw new UsageError(`${where}: host must be a hostname`);
    return w as Waiver;
  });
}

/** Read and check a waivers file; any problem is a usage error before anything runs. */
export function readWaivers(file: string, catalog: readonly Claim[] = claims): Waiver[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the waivers ${file}: ${(err as Error).message}`);
  }
  return parseWaivers(json, file, catalog);
}

/** Has the waiver expired on `today` (YYYY-MM-DD; the expiry day itself still counts)? */
export const expired = (w: Waiver, today: string): boolean => w.expires < today;

/**
 * Mark each result a live waiver accepts (same claim, identity and host if given, and verdict);
 * returns the expired waivers, which fail the run whether or not a row matches them (pure).
 */
export function applyWaivers(
  results: ClaimResult[],
  waivers: readonly Waiver[],
  host: string,
  today: string,
): { expired: Waiver[] } {
  const live = waivers.filter((w) => !expired(w, today));
  for (const r of results) {
    const w = live.find(
      (x) =>
        x.claim === r.claim &&
        (x.identity === undefined || x.identity === r.identity) &&
        (x.host === undefined || x.host === host) &&
        x.verdict === r.verdict,
    );
    if (w) r.waiver = { reason: w.reason, expires: w.expires };
  }
  return { expired: waivers.filter((w) => expired(w, today)) };
}

/** One line naming a waiver: `network.egress-blocked (rootless) skipped until 2027-01-31: REASON`. */
export const describeWaiver = (w: Waiver): string =>
  `${w.claim}${w.identity ? ` (${w.identity})` : ''}${w.host ? ` on ${w.host}` : ''} ${w.verdict} until ${w.expires}: ${w.reason}`;
