import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../exec/errors.js';
import { claimProblems } from '../experiment/define.js';
import type { Claim } from '../experiment/types.js';

/** Does a module's export look like a claim (something defineClaim could have made)? */
const looksLikeClaim = (v: unknown): boolean =>
  !!v && typeof v === 'object' && 'id' in v && ('treatment' in v || 'control' in v);

/**
 * The claims an ES module exports (`--claims FILE`): every export that is a claim, or an array
 * of claims (a default export too), in export order, each checked as `defineClaim` checks it.
 * A file that cannot be loaded, or exports no claim, is a UsageError naming the fix.
 */
export async function loadClaimModule(file: string): Promise<Claim[]> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`--claims ${file}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(
      `--claims ${file}: could not load it as an ES module (${(err as Error).message}); compile TypeScript to .js first, and import podproof, not its sources`,
    );
  }
  const found: Claim[] = [];
  for (const [name, value] of Object.entries(mod)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (!looksLikeClaim(item)) continue;
      const problems = claimProblems(item);
      if (problems.length)
        throw new UsageError(
          `--claims ${file}: export ${name} (${(item as Claim).id}): ${problems.join('; ')}`,
        );
      if (!found.includes(item as Claim)) found.push(item as Claim);
    }
  }
  if (!found.length)
    throw new UsageError(
      `--claims ${file}: the module exports no claim (export defineClaim({...}) values, or an array of them)`,
    );
  return found;
}

/** podproof's catalog and the claims of `files`, in that order: an id given twice is a UsageError. */
export async function catalogWith(builtIn: readonly Claim[], files: readonly string[]): Promise<Claim[]> {
  const all = [...builtIn];
  for (const file of files) {
    for (const c of await loadClaimModule(file)) {
      if (all.some((x) => x.id === c.id))
        throw new UsageError(
          `--claims ${file}: claim id ${c.id} is already taken; give your claim its own id`,
        );
      all.push(c);
    }
  }
  return all;
}
