import { type SpecClaims, specClaims } from '../claims/from-spec.js';
import type { ContainerSpec } from '../parse/container-spec.js';
import type { Report } from '../report/report.js';
import { type ProveOptions, prove } from './prove.js';

/** The claims of several specs: origins made unique, so each row id names one spec (pure). */
export function specsClaims(specs: readonly ContainerSpec[]): SpecClaims {
  const seen = new Map<string, number>();
  const all: SpecClaims = { claims: [], notProven: [] };
  for (const spec of specs) {
    const n = (seen.get(spec.origin) ?? 0) + 1;
    seen.set(spec.origin, n);
    const { claims, notProven } = specClaims(n > 1 ? { ...spec, origin: `${spec.origin}-${n}` } : spec);
    all.claims.push(...claims);
    all.notProven.push(...notProven.map((line) => `${spec.origin}: ${line}`));
  }
  return all;
}

/**
 * Prove a user's container specs on this host: each isolation setting becomes a row whose
 * control is the spec without that setting, run in the identity's own storage with the user's
 * image (podproof pulls nothing and changes no image). The report lists the options it did not
 * prove (`notProven`).
 */
export async function proveSpec(
  specs: ContainerSpec | readonly ContainerSpec[],
  opts: Omit<ProveOptions, 'claims' | 'only' | 'image'> = {},
): Promise<Report> {
  const { claims, notProven } = specsClaims(Array.isArray(specs) ? specs : [specs as ContainerSpec]);
  // the user's image is in their own storage (default); `storage: 'podproof'` for podproof's
  const report = await prove({ storage: 'host', ...opts, claims });
  return { ...report, notProven };
}
