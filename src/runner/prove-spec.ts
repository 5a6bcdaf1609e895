import { readFileSync } from 'node:fs';
import { leftOpen, originSlug, type SpecClaims, specClaims } from '../claims/from-spec.js';
import { type ContainerSpec, SpecError, seccompProfilePaths } from '../parse/container-spec.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import type { Report } from '../report/report.js';
import { type ProveOptions, prove } from './prove.js';

/**
 * The spec with the files its options name read in (a seccomp profile: what it refuses decides
 * the row's attempt). Only read: the file stays the user's. A missing one is a {@link SpecError}.
 */
export function loadSpecFiles(spec: ContainerSpec): ContainerSpec {
  const files = { ...spec.files };
  for (const path of seccompProfilePaths(spec)) {
    if (files[path] !== undefined) continue;
    try {
      files[path] = readFileSync(path, 'utf8');
    } catch (err) {
      throw new SpecError(`${spec.origin}: --security-opt seccomp=${path}: ${(err as Error).message}`);
    }
  }
  return { ...spec, files };
}

/** The claims of several specs: origins made unique, so each row id names one spec (pure). */
export function specsClaims(specs: readonly ContainerSpec[]): SpecClaims & { specs: ContainerSpec[] } {
  const seen = new Map<string, number>();
  const all: SpecClaims & { specs: ContainerSpec[] } = { claims: [], notProven: [], specs: [] };
  for (const spec of specs) {
    const n = (seen.get(spec.origin) ?? 0) + 1;
    seen.set(spec.origin, n);
    const named = n > 1 ? { ...spec, origin: `${spec.origin}-${n}` } : spec;
    const { claims, notProven } = specClaims(named);
    all.specs.push(named);
    all.claims.push(...claims);
    all.notProven.push(...notProven.map((line) => `${named.origin}: ${line}`));
  }
  return all;
}

const isSnapshot = (o: unknown): o is ProbeSnapshot =>
  typeof o === 'object' && o !== null && 'interfaces' in o && 'mounts' in o;

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
  const derived = specsClaims((Array.isArray(specs) ? specs : [specs as ContainerSpec]).map(loadSpecFiles));
  // each spec's container as written, per identity: a treatment's snapshot (every row's treatment
  // is the spec as written), for what the spec leaves open
  const written = new Map<string, ProbeSnapshot>();
  const specOf = new Map(
    derived.claims.map((c) => [c.id, derived.specs.find((s) => c.id.startsWith(`${originSlug(s.origin)}.`))]),
  );
  // the user's image is in their own storage (default); `storage: 'podproof'` for podproof's
  const report = await prove({
    storage: 'host',
    ...opts,
    claims: derived.claims,
    onObservation: (o) => {
      opts.onObservation?.(o);
      const spec = specOf.get(o.claim);
      if (spec && o.arm === 'treatment' && isSnapshot(o.observed))
        written.set(`${spec.origin} (${o.identity})`, o.observed);
    },
  });
  const leavesOpen = [...written].flatMap(([where, s]) => {
    const spec = derived.specs.find((x) => where.startsWith(`${x.origin} (`)) as ContainerSpec;
    return leftOpen(spec, s).map((line) => `${where}: ${line}`);
  });
  return { ...report, notProven: derived.notProven, leavesOpen };
}
