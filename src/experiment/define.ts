import type { Claim } from './types.js';

/** A claim definition that cannot run: what is wrong, named by the claim's id. */
export class ClaimDefinitionError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimDefinitionError';
  }
}

/** `area.what`: lower case, digits and dashes, at least one dot. */
export const CLAIM_ID = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

const IDENTITY_NAMES = ['rootful', 'rootless'];

/**
 * What is wrong with a claim definition (pure): an empty list when it can run. Checked when a
 * claim is defined and again when `prove()` or `--claims` gets it (a plain object is welcome too).
 */
export function claimProblems(claim: unknown): string[] {
  if (!claim || typeof claim !== 'object') return ['a claim is an object (see defineClaim)'];
  const c = claim as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof c.id !== 'string' || !CLAIM_ID.test(c.id))
    problems.push(`id ${JSON.stringify(c.id)} is not of the form area.what (lower case, digits, dashes)`);
  for (const field of ['title', 'source'])
    if (typeof c[field] !== 'string' || !(c[field] as string).trim())
      problems.push(`${field} must be a sentence (a non-empty string)`);
  const identities = c.identities;
  if (
    !Array.isArray(identities) ||
    !identities.length ||
    identities.some((i) => !IDENTITY_NAMES.includes(i)) ||
    new Set(identities).size !== identities.length
  )
    problems.push(
      `identities must list rootful and/or rootless once each, not ${JSON.stringify(identities)}`,
    );
  for (const which of ['treatment', 'control']) {
    const arm = c[which];
    if (typeof arm === 'function') {
      problems.push(
        `${which} is a function: an arm is { setting, observe(ctx, setup), check(observed, setup) }`,
      );
      continue;
    }
    if (!arm || typeof arm !== 'object') {
      problems.push(`${which} is missing: every claim needs a treatment and a control`);
      continue;
    }
    const a = arm as Record<string, unknown>;
    if (typeof a.setting !== 'string' || !a.setting.trim())
      problems.push(`${which}.setting must name the setting this arm runs with`);
    if (typeof a.observe !== 'function')
      problems.push(`${which}.observe must be a function (ctx, setup) => observation`);
    if (typeof a.check !== 'function')
      problems.push(`${which}.check must be a pure function (observed, setup) => Observation`);
    const planned = a.probes;
    const isProbe = (p: unknown) => {
      const q = p as { flags?: unknown; attempts?: unknown } | null;
      return (
        !!q &&
        Array.isArray(q.flags) &&
        q.flags.every((f) => typeof f === 'string') &&
        Array.isArray(q.attempts)
      );
    };
    if (planned !== undefined && !(Array.isArray(planned) && planned.every(isProbe)))
      problems.push(`${which}.probes must be a list of { flags: string[], attempts: Attempt[] }`);
  }
  const t = c.treatment as Record<string, unknown> | undefined;
  const k = c.control as Record<string, unknown> | undefined;
  if (t && k && typeof t === 'object' && typeof k === 'object') {
    if (typeof t.setting === 'string' && t.setting === k.setting)
      problems.push(
        'treatment and control have the same setting: the control must differ in the setting under test',
      );
    if (t.check !== undefined && t.check === k.check)
      problems.push(
        'treatment and control share one check: each arm needs its own (the control shows the contrast)',
      );
  }
  for (const fn of ['setup', 'needs', 'note'])
    if (c[fn] !== undefined && typeof c[fn] !== 'function') problems.push(`${fn} must be a function`);
  for (const flag of ['exclusive', 'keepsApparatus', 'startEarly', 'concurrentArms'])
    if (c[flag] !== undefined && typeof c[flag] !== 'boolean') problems.push(`${flag} must be true or false`);
  return problems;
}

/** Throw a {@link ClaimDefinitionError} naming every problem of a claim definition. */
export function assertClaim(claim: unknown, where = 'defineClaim'): asserts claim is Claim {
  const problems = claimProblems(claim);
  if (!problems.length) return;
  const id = (claim as { id?: unknown } | undefined)?.id;
  throw new ClaimDefinitionError(`${where}(${typeof id === 'string' ? id : '?'}): ${problems.join('; ')}`);
}

/**
 * Define a claim: its metadata, a `setup` for what both arms share, and two arms, each the
 * setting under test, an observation and a pure check. The control must differ from the
 * treatment in that one setting. Returns the claim, typed, after checking its shape; the runner
 * (`prove()`, `registerClaims()`, `podproof prove --claims FILE`) does the rest: deadline,
 * evidence, cleanup, skips and the verdict rule (`decide`).
 *
 * @example
 * ```ts
 * export const hostnameSet = defineClaim({
 *   id: 'mine.hostname',
 *   title: '--hostname sets the name a container sees',
 *   source: 'podman-run(1) --hostname',
 *   identities: ['rootful', 'rootless'],
 *   setup: imageOf(BUSYBOX),
 *   treatment: probeArm({ purpose: 'treatment: --hostname=proof', flags: ['--hostname=proof'],
 *     check: (s) => ({ holds: s.hostname === 'proof', observed: `hostname ${s.hostname}` }) }),
 *   control: probeArm({ purpose: 'control: default hostname',
 *     check: (s) => ({ holds: s.hostname !== 'proof', observed: `hostname ${s.hostname}` }) }),
 * });
 * ```
 */
export function defineClaim<S, O>(claim: Claim<S, O>): Claim<S, O> {
  assertClaim(claim);
  return claim;
}
