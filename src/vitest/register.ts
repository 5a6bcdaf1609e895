import { describe, expect, test } from 'vitest';
import { claims, selectClaims } from '../claims/index.js';
import type { IdentityName } from '../exec/identity.js';
import type { ContainerSpec } from '../parse/container-spec.js';
import { checkCatalog, identitiesFromEnv, type ProveOptions, prove, type Report } from '../runner/prove.js';
import { specsClaims } from '../runner/prove-spec.js';
import './matchers.js';

/** Options for {@link registerClaims}: those of `prove()`, and a per-test timeout. */
export interface RegisterClaimsOptions extends Omit<ProveOptions, 'only' | 'onResult'> {
  /** Timeout of each test; the first one runs the whole prove (default 600 s). */
  timeoutMs?: number;
}

/** Options for {@link registerSpec}: those of {@link registerClaims}; storage defaults to each identity's own. */
export type RegisterSpecOptions = Omit<RegisterClaimsOptions, 'claims' | 'image'>;

/**
 * Register one vitest test per setting x identity of your own containers (`container(image)...
 * .toSpec()`, `fromRunArgs([...])`): each row's treatment is the container as written, its
 * control the same without that setting. Options no row proves are listed in one more test that
 * always passes and annotates them.
 */
export function registerSpec(
  specs: ContainerSpec | readonly ContainerSpec[],
  options: RegisterSpecOptions = {},
): void {
  const derived = specsClaims(Array.isArray(specs) ? specs : [specs as ContainerSpec]);
  if (!derived.claims.length)
    throw new Error(
      `registerSpec: no setting podproof proves in ${derived.specs.map((s) => s.origin).join(', ')}: ${derived.notProven.join('; ')}`,
    );
  registerClaims(undefined, { storage: 'host', ...options, claims: derived.claims });
  if (derived.notProven.length)
    test('podproof: options of the spec no row proves', async (ctx) => {
      for (const line of derived.notProven) await ctx.annotate(`not proven: ${line}`, 'notice');
    });
}

/**
 * Register one vitest test per claim x identity, all fed by one `prove()` run (started by the
 * first test). `proven` passes; `skipped` calls `ctx.skip(reason)` and records the reason as an
 * annotation (so JUnit output keeps it); `refuted`, `inconclusive` and `error` fail with the reason
 * and the commands. Unknown ids throw at registration. `options.claims` brings your own claims
 * (made with `defineClaim`), alone or with podproof's catalog.
 */
export function registerClaims(ids?: readonly string[], options: RegisterClaimsOptions = {}): void {
  const selected = selectClaims(ids, checkCatalog(options.claims ?? claims));
  if (ids?.length && !selected.length) throw new Error(`registerClaims: no claim matches ${ids.join(', ')}`);
  const identities: readonly IdentityName[] = options.identities?.length
    ? options.identities
    : identitiesFromEnv();
  let report: Promise<Report> | undefined;
  const run = () => {
    report ??= prove({ ...options, claims: selected, identities });
    return report;
  };
  describe('podproof claims', () => {
    for (const claim of selected) {
      for (const identity of claim.identities.filter((i) => identities.includes(i))) {
        test(
          `${claim.id} (${identity}): ${claim.title}`,
          async (ctx) => {
            const result = (await run()).results.find((r) => r.claim === claim.id && r.identity === identity);
            if (!result) throw new Error(`no result for ${claim.id} (${identity})`);
            if (result.verdict === 'skipped') {
              await ctx.annotate(`skipped: ${result.reason}`, 'notice');
              ctx.skip(result.reason);
            }
            expect(result).toBeProven();
          },
          options.timeoutMs ?? 600_000,
        );
      }
    }
  });
}
