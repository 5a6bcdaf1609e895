import { readFileSync } from 'node:fs';
import type { IdentityName } from '../../src/exec/identity.js';

/** One claim x identity as captured by scripts/capture-observations.mjs: the setup and each arm's observation. */
export interface Captured<S, O> {
  setup: S;
  treatment: O;
  control: O;
}

/** A claim's captured observations (test/captured/observations/ID.json) for one identity. */
export function observed<S, O>(claim: string, identity: IdentityName): Captured<S, O> {
  const all = JSON.parse(
    readFileSync(new URL(`../captured/observations/${claim}.json`, import.meta.url), 'utf8'),
  ) as Record<string, Captured<S, O>>;
  const one = all[identity];
  if (!one) throw new Error(`no captured ${claim} for ${identity}: run scripts/capture-observations.mjs`);
  return one;
}

/** The identities a claim was captured for. */
export function capturedIdentities(claim: string): IdentityName[] {
  return Object.keys(
    JSON.parse(readFileSync(new URL(`../captured/observations/${claim}.json`, import.meta.url), 'utf8')),
  ) as IdentityName[];
}
