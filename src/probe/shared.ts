import type { EvidenceLog } from '../exec/evidence.js';
import type { Podman } from '../podman/podman.js';
import { type ProbeOutcome, probe } from './probe.js';
import type { Attempt } from './script.js';
import type { ProbeSnapshot } from './snapshot.js';

/**
 * A probe container an arm will ask for, known before any setup ran (its flags and attempts do
 * not depend on the setup): the runner joins the attempts of every identical one it plans.
 */
export interface PlannedProbe {
  flags: readonly string[];
  attempts: readonly Attempt[];
}

/** One arm's probe, as it asks {@link SharedProbes} for it. */
export interface ProbeRequest {
  image: string;
  flags: readonly string[];
  attempts: readonly Attempt[];
  /** `treatment: ...` or `control: ...`: names the container and the evidence. */
  purpose: string;
  /**
   * False: this arm's own container, never one another claim ran (it must run while its claim's
   * setup lives, e.g. a marker process on the host; or it asks again).
   */
  share?: boolean;
}

/** Who asks: the claim's podman (its calls are its evidence, its deadline stops them), its log, its id. */
export interface ProbeAsker {
  podman: Podman;
  log: EvidenceLog;
  claim: string;
  /** The claim's signal (SIGINT, its deadline). */
  signal?: AbortSignal;
}

/** The container of `req` alone, with these attempts (default: its own). */
export const probeAlone = (
  podman: Podman,
  req: ProbeRequest,
  attempts = req.attempts,
): Promise<ProbeOutcome> =>
  probe(podman, req.image, { flags: [...req.flags], attempts, purpose: req.purpose });

const flagsKey = (flags: readonly string[]) => JSON.stringify(flags);
const same = (a: Attempt, b: Attempt) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The attempts a shared container of these flags runs (pure): every planned arm's, in plan order,
 * each name once. A name planned twice with different commands cannot share one container: it is
 * left out, and the arms that ask for it run their own.
 */
export function joinAttempts(plan: readonly PlannedProbe[]): Map<string, Attempt[]> {
  const byFlags = new Map<string, Attempt[]>();
  const clashes = new Map<string, Set<string>>();
  for (const p of plan) {
    const key = flagsKey(p.flags);
    const joined = byFlags.get(key) ?? [];
    byFlags.set(key, joined);
    for (const a of p.attempts) {
      const known = joined.find((j) => j.name === a.name);
      if (!known) joined.push(a);
      else if (!same(known, a)) clashes.set(key, (clashes.get(key) ?? new Set()).add(a.name));
    }
  }
  for (const [key, names] of clashes)
    byFlags.set(
      key,
      (byFlags.get(key) ?? []).filter((a) => !names.has(a.name)),
    );
  return byFlags;
}

/** A snapshot as one arm asked for it (pure): only its own attempts, so its observation is the same alone or shared. */
export function onlyAttempts(s: ProbeSnapshot, attempts: readonly Attempt[]): ProbeSnapshot {
  const wanted = new Set(attempts.map((a) => a.name));
  const keep = <T>(record: Record<string, T>, prefix: string) =>
    Object.fromEntries(
      Object.entries(record).filter(([k]) => !k.startsWith(prefix) || wanted.has(k.slice(prefix.length))),
    );
  return { ...s, attempts: keep(s.attempts, ''), raw: keep(s.raw, 'attempt:') };
}

/**
 * Probe containers of one identity and run, shared between arms that ask for identical ones:
 * the same image and flags, each arm's attempts among the container's. The first arm to ask
 * starts it (its podman, so its deadline; its purpose, its evidence, counted there) with every
 * planned attempt of those flags; the others wait for it and cite its evidence, marked `shared`
 * with that claim. A container stopped by the deadline of the claim that started it is no answer
 * for a claim whose own time is not up: that one runs its own.
 * The control rule does not change: a claim's arms still differ in their one setting; only
 * identical containers are merged.
 */
export class SharedProbes {
  private readonly attemptsOf: Map<string, Attempt[]>;
  private readonly running = new Map<
    string,
    { attempts: Attempt[]; claim: string; outcome: Promise<ProbeOutcome> }
  >();

  constructor(plan: readonly PlannedProbe[]) {
    this.attemptsOf = joinAttempts(plan);
  }

  async probe(req: ProbeRequest, asker: ProbeAsker): Promise<ProbeOutcome> {
    const own = () => probeAlone(asker.podman, req);
    const mine = (o: ProbeOutcome): ProbeOutcome =>
      o.ok ? { ...o, snapshot: onlyAttempts(o.snapshot, req.attempts) } : o;
    if (req.share === false) return own();
    const key = `${req.image}\0${flagsKey(req.flags)}`;
    const covers = (attempts: readonly Attempt[]) =>
      req.attempts.every((a) => attempts.some((b) => same(a, b)));
    const found = this.running.get(key);
    if (found && covers(found.attempts)) {
      const outcome = await found.outcome;
      if (!outcome.ok && outcome.evidence.failure === 'aborted' && !asker.signal?.aborted) return own();
      asker.log.cite(outcome.evidence, {
        purpose: `${req.purpose} (the container of ${found.claim})`,
        shared: found.claim,
      });
      return mine(outcome);
    }
    if (found) return own(); // an attempt no plan named: this arm's own container
    const planned = this.attemptsOf.get(flagsKey(req.flags)) ?? [];
    const attempts = [...planned, ...req.attempts.filter((a) => !planned.some((p) => p.name === a.name))];
    if (!covers(attempts)) return own(); // the same name as a planned attempt, another command
    const outcome = probeAlone(asker.podman, req, attempts);
    this.running.set(key, { attempts, claim: asker.claim, outcome });
    return mine(await outcome);
  }
}
