import type { IdentityName } from '../exec/identity.js';
import type { ClaimResult } from '../experiment/types.js';

/** One claim with its result per identity. */
export interface ClaimRow {
  claim: string;
  title: string;
  area: string;
  byIdentity: Partial<Record<IdentityName, ClaimResult>>;
}

/** Results grouped by area (`network`, `caps`, ...) and claim, in report order (pure). */
export function groupResults(results: readonly ClaimResult[]): { area: string; rows: ClaimRow[] }[] {
  const areas = new Map<string, Map<string, ClaimRow>>();
  for (const r of results) {
    const area = r.claim.split('.')[0] ?? r.claim;
    let rows = areas.get(area);
    if (!rows) {
      rows = new Map();
      areas.set(area, rows);
    }
    let row = rows.get(r.claim);
    if (!row) {
      row = { claim: r.claim, title: r.title, area, byIdentity: {} };
      rows.set(r.claim, row);
    }
    row.byIdentity[r.identity] = r;
  }
  return [...areas].map(([area, rows]) => ({ area, rows: [...rows.values()] }));
}

/** Identities present in the results, rootful first. */
export function identitiesIn(results: readonly ClaimResult[]): IdentityName[] {
  return (['rootful', 'rootless'] as const).filter((i) => results.some((r) => r.identity === i));
}
