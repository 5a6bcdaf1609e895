import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fixtureImage, type ImageSpec } from '../apparatus/images.js';
import { removeSessionObjects, userImageProblem } from '../apparatus/session-objects.js';
import { claims, selectClaims, unknownClaimIds } from '../claims/index.js';
import { UsageError } from '../exec/errors.js';
import { EvidenceLog } from '../exec/evidence.js';
import type { Identity, IdentityName } from '../exec/identity.js';
import { IDENTITY_NAMES } from '../exec/identity.js';
import { fileLockHolders } from '../exec/procs.js';
import { resolveIdentities } from '../exec/resolve.js';
import { exec, holdFileLock } from '../exec/run.js';
import { Session } from '../exec/session.js';
import { scaled } from '../exec/time-scale.js';
import { which } from '../exec/which.js';
import { claimProblems } from '../experiment/define.js';
import type { Claim, ClaimResult } from '../experiment/types.js';
import { detectHost } from '../host/profile.js';
import {
  Podman,
  repairEventsLog,
  resolvePodmanBinary,
  type StorageMode,
  storagePaths,
} from '../podman/podman.js';
import { SharedProbes } from '../probe/shared.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/report.js';
import { failedPodmanScopes, resetNewFailedScopes } from '../systemd/scopes.js';
import {
  type ArmObservation,
  errorResult,
  type RunShared,
  runOne,
  SharedApparatus,
  skippedResult,
  skipReason,
} from './experiment.js';
import { pool } from './pool.js';
import { IdentityLock, LockGroup } from './rwlock.js';

/** Options for {@link prove}. */
export interface ProveOptions {
  /**
   * The claims to choose from: podproof's catalog (`claims`) by default. Pass your own (made with
   * `defineClaim`), alone or with the catalog (`[...claims, mine]`): they run under the same
   * runner, with the same deadlines, evidence, cleanup and verdict rule.
   */
  claims?: readonly Claim[];
  /** Claim ids or areas (`network`) among `claims`; default all. */
  only?: readonly string[];
  /** Identities to run (default: `PODPROOF_IDENTITIES`, comma-separated, else both). */
  identities?: readonly IdentityName[];
  /** podman binary (default `PODPROOF_PODMAN`, else `podman` on PATH). */
  podman?: string;
  /**
   * Run this image instead of the built fixtures (it needs `sh` and `cat`). It is looked up in
   * each identity's default storage, so `image` implies `storage: 'host'`.
   */
  image?: string;
  /** Rootless user when running as root (default `PODPROOF_ROOTLESS_USER` or `podproof`). */
  rootlessUser?: string;
  /**
   * Claims run at once (default: CPUs + 2: a claim spends much of its time waiting on podman,
   * conmon and systemd units, so a few more than the CPUs keep podman busy). Claims marked
   * `startEarly` (podman-light) run beside these, all from the start.
   */
  concurrency?: number;
  /** Deadline per claim x identity (default 120 s): a claim still running then is `error`, its command named. */
  claimTimeoutMs?: number;
  /** Deadline for the whole run (default none): claims not finished by then are `error`. */
  timeoutMs?: number;
  /** Storage: podproof's own per identity (default) or the identity's default. */
  storage?: StorageMode;
  /** Use this session (its teardown is then the caller's); default a new one torn down at the end. */
  session?: Session;
  /** Called as each result is ready. */
  onResult?: (r: ClaimResult) => void;
  /**
   * Called with each arm's raw observation and the claim's setup, before the check judges it:
   * how the contrast fixtures are captured (scripts/capture-observations.mjs).
   */
  onObservation?: (o: ArmObservation) => void;
  /** Called once the run knows how many claim x identity rows it will report. */
  onPlan?: (rows: number) => void;
  /** Progress lines (fixture builds, phases). */
  onProgress?: (line: string) => void;
}

export { REPORT_SCHEMA_VERSION, type Report, UsageError };

/** Run the selected claims on each identity and return the report. */
export async function prove(opts: ProveOptions = {}): Promise<Report> {
  const catalog = checkCatalog(opts.claims ?? claims);
  const unknown = unknownClaimIds(opts.only ?? [], catalog);
  if (unknown.length) throw new UsageError(`unknown claim id: ${unknown.join(', ')} (see \`podproof list\`)`);
  const wanted = opts.identities?.length ? checkIdentities(opts.identities) : identitiesFromEnv();
  const binary = resolvePodmanBinary(opts.podman);
  const selected = selectClaims(opts.only, catalog);
  const session = opts.session ?? new Session();
  const ownsSession = !opts.session;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const log = new EvidenceLog();
  const runDeadline = opts.timeoutMs ? deadlineSignal(opts.timeoutMs, session) : undefined;
  const locks = new Map<IdentityName, IdentityLock>();
  // the run's identities share one in-process lock: an exclusive claim runs alone in the run
  const lockGroup = new LockGroup();
  const releases: (() => Promise<void>)[] = [];
  let report: Report;
  try {
    const resolutions = await resolveIdentities(opts.rootlessUser);
    const rootless = resolutions.rootless;
    if (opts.rootlessUser && !rootless.ok && wanted.includes('rootless'))
      throw new UsageError(rootless.reason);
    const storage: StorageMode = opts.image ? 'host' : (opts.storage ?? 'podproof');
    if (rootless.ok && wanted.includes('rootless')) await watchPodmanScopes(session, rootless.identity);
    // each identity held shared by the run from here to the end of its teardown (see IdentityLock),
    // taken in the one order every run takes them (see LockGroup)
    for (const name of LOCK_ORDER.filter((n) => wanted.includes(n))) {
      const r = resolutions[name];
      if (!r.ok) continue;
      const lock = identityLock(r.identity, name, lockGroup, opts.onProgress);
      locks.set(name, lock);
      try {
        releases.push(await lock.hold(runDeadline));
      } catch (err) {
        // past --timeout, or flock failed: the claims' own holds still apply (and say so)
        opts.onProgress?.(`${name}: the run holds no host-wide lock: ${(err as Error).message}`);
      }
    }
    opts.onProgress?.('detecting the host');
    const host = await detectHost({ podmanBinary: binary, session, identities: resolutions, log });
    if (!host.podman.version)
      throw new UsageError(
        `${binary} is not podman: \`${binary} --version\` ${host.podman.error ? `failed (${host.podman.error})` : 'printed no podman version'}`,
      );
    // one per claim x identity, in catalog order (the report's); `interleave` orders their runs
    const tasks: {
      run: () => Promise<ClaimResult>;
      who: IdentityName;
      early?: boolean;
      exclusive?: boolean;
      keepsApparatus?: boolean;
    }[] = [];
    const sharedPodmans: Podman[] = [];
    // the safety net for podman objects a claim could not remove; both identities at once
    // the run's record tells which kinds of objects it may have left, once every claim has ended;
    // after an interrupt or a throw some command may still be running, unrecorded: every kind then
    let ranAll = false;
    session.onTeardown(`remove podman objects of session ${session.id}`, () =>
      removeSessionObjects(
        sharedPodmans,
        session.id,
        ranAll && !session.signal.aborted ? log.entries : undefined,
      ),
    );
    for (const identityName of wanted) {
      const resolution = resolutions[identityName];
      const profile = host.identities[identityName];
      const claimsHere = selected.filter((c) => c.identities.includes(identityName));
      if (!resolution.ok || !profile.available) {
        const reason = resolution.ok ? (profile.reason ?? 'unavailable') : resolution.reason;
        for (const c of claimsHere) {
          tasks.push({
            who: identityName,
            run: async () => skippedResult(c, identityName, `${identityName}: ${reason}`),
          });
        }
        continue;
      }
      const identity = resolution.identity;
      const shared = new Podman({ binary, identity, session, log, storage });
      if (storage === 'podproof') repairEventsLog(identity);
      if (opts.image) {
        const unusable = await userImageProblem(shared, opts.image);
        if (unusable) throw new UsageError(unusable);
      }
      sharedPodmans.push(shared);
      const image = (spec: ImageSpec) => {
        if (opts.image) return Promise.resolve(opts.image);
        return fixtureImage(shared, spec, opts.onProgress);
      };
      // exclusive claims run alone: in this process (no other claim of either identity), and
      // beside other podproof runs on this host (their podman calls of this identity wait)
      const lock =
        locks.get(identityName) ?? identityLock(identity, identityName, lockGroup, opts.onProgress);
      const root = resolutions.rootful.ok ? resolutions.rootful.identity : undefined;
      const runShared: RunShared = {
        identity,
        host,
        session,
        image,
        binary,
        storage,
        log,
        root,
        onObservation: opts.onObservation,
        // one container per distinct probe of this identity's claims, all their attempts in it
        probes: new SharedProbes(
          claimsHere.flatMap((c) => [...(c.treatment.probes ?? []), ...(c.control.probes ?? [])]),
        ),
        apparatus: new SharedApparatus(),
      };
      // a contended exclusive claim gives the identity up to another run: its apparatus first
      lock.beforeYield = async () => (await runShared.apparatus?.release()) ?? [];
      for (const claim of claimsHere) {
        tasks.push({
          who: identityName,
          early: claim.startEarly,
          exclusive: claim.exclusive,
          keepsApparatus: claim.keepsApparatus,
          run: async () => {
            // decided from the host's profile alone: no hold, so nothing of the run's is yielded for it
            const skip = skipReason(claim, runShared);
            if (skip) return skippedResult(claim, identityName, skip);
            const waitFrom = performance.now();
            let release: () => Promise<void>;
            // what the hold could not remove when it yielded the run's apparatus: the row says it
            const yielded: string[] = [];
            try {
              release = await lock.acquire(claim.exclusive === true, runDeadline, {
                yieldFirst: !claim.keepsApparatus,
                failures: yielded,
              });
            } catch (err) {
              // the run's deadline passed while another run held the identity: not observed at all
              const waited = ((performance.now() - waitFrom) / 1000).toFixed(0);
              if (runDeadline?.aborted)
                return skippedResult(
                  claim,
                  identityName,
                  `another podproof run held ${identityName} on this host for ${waited} s, past this run's --timeout`,
                );
              return errorResult(
                claim,
                identityName,
                `could not hold ${identityName}: ${(err as Error).message}`,
              );
            }
            try {
              return await session.track(
                runOne(
                  claim,
                  runShared,
                  opts.claimTimeoutMs ?? scaled(120_000),
                  runDeadline,
                  yielded.splice(0),
                ),
              );
            } finally {
              await release();
              // given back after the row was made: only the progress line can say it
              for (const f of yielded) opts.onProgress?.(`cleanup failed: ${f}`);
            }
          },
        });
      }
    }
    opts.onPlan?.(tasks.length);
    opts.onProgress?.(`running ${tasks.length} claim x identity experiment(s)`);
    // identities take turns, so one identity's slow, podman-light claims (systemd units, socat)
    // overlap the other's podman work instead of running alone at the end; the report keeps the
    // catalog order
    const order = interleave(tasks);
    // early claims wait on systemd, gpg, registries and clients far more than on podman: they run
    // beside the pool from the start, not in its slots, which the podman-heavy claims fill
    const early = order.filter((t) => t.early);
    const rest = order.filter((t) => !t.early);
    const ran = (
      await Promise.all([
        pool(
          early.map((t) => t.run),
          early.length,
          opts.onResult,
        ),
        pool(
          rest.map((t) => t.run),
          opts.concurrency ?? availableParallelism() + 2,
          opts.onResult,
        ),
      ])
    ).flat();
    const ranOrder = [...early, ...rest];
    const results = tasks.map((t) => ran[ranOrder.indexOf(t)] as ClaimResult);
    ranAll = true;
    report = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      host,
      session: session.id,
      startedAt,
      durationMs: 0,
      results,
      commands: commandTimes(log, binary),
    };
  } finally {
    try {
      if (ownsSession) {
        const failures = await session.teardown();
        for (const f of failures) opts.onProgress?.(`cleanup failed: ${f}`);
      }
    } finally {
      for (const release of releases) await release();
    }
  }
  // measured after teardown when the run owns it: its podman calls and wall time count too
  report.durationMs = Math.round(performance.now() - started);
  report.commands = commandTimes(log, binary);
  return report;
}

/**
 * The lock of an identity that other podproof processes honour: `flock(2)` on `podproof.lock` in
 * podproof's own runtime dir of the identity (the parent of its store's runroot: /run/podproof,
 * $XDG_RUNTIME_DIR/podproof; made as the identity where it is not there yet), held as the
 * identity. PODPROOF_HOST_LOCK=0 turns it off (this process's lock only). Where `flock` or `tail`
 * is missing, the lock holds in this process only, and the progress line says so.
 */
/** The rank of each identity's host-wide lock, alike in every run (see LockGroup). */
export const LOCK_ORDER: readonly IdentityName[] = ['rootless', 'rootful'];

function identityLock(
  identity: Identity,
  name: IdentityName,
  group: LockGroup,
  onProgress?: (line: string) => void,
): IdentityLock {
  const dir = dirname(storagePaths(identity).runroot);
  const file = join(dir, 'podproof.lock');
  let made: Promise<unknown> | undefined;
  if (process.env.PODPROOF_HOST_LOCK === '0')
    return new IdentityLock(undefined, undefined, group, LOCK_ORDER.indexOf(name));
  const missing = ['flock', 'tail'].filter((b) => !which(b));
  if (missing.length) {
    onProgress?.(
      `${name}: no host-wide lock (${missing.join(', ')} not found): another podproof run on this host could disturb this one`,
    );
    return new IdentityLock(undefined, undefined, group, LOCK_ORDER.indexOf(name));
  }
  return new IdentityLock(
    async (mode, signal, nonblock) => {
      made ??= exec(['mkdir', '-p', dir], {
        identity,
        timeoutMs: 15_000,
        purpose: `podproof's runtime dir for ${name}`,
      });
      await made;
      return holdFileLock(file, mode, { identity, signal, nonblock, purpose: `hold ${name} (${mode})` });
    },
    (mode, waitedS) =>
      onProgress?.(
        `${name}: waiting ${waitedS} s for another podproof run on this host (${mode} hold of ${file}; ${describeLockHolders(fileLockHolders(file), process.pid)})`,
      ),
    group,
    LOCK_ORDER.indexOf(name),
  );
}

/**
 * Who holds a podproof lock file, for a waiting run's progress line (pure): each holder is a
 * `flock ... sh RUN_PID` process whose last argument is the podproof run it holds for.
 */
export function describeLockHolders(
  holders: readonly { pid: number; mode: 'shared' | 'exclusive'; argv: readonly string[] }[],
  selfPid: number,
): string {
  if (!holders.length) return 'no holder listed in /proc/locks';
  return `held ${holders
    .map((h) => {
      const args = h.argv.filter(Boolean); // /proc's cmdline ends with a NUL
      const run = /(^|\/)flock$/.test(args[0] ?? '') ? Number(args[args.length - 1]) : Number.NaN;
      const by = Number.isInteger(run)
        ? run === selfPid
          ? 'this run itself'
          : `podproof run PID ${run}`
        : `PID ${h.pid} (${args.join(' ').slice(0, 80) || 'gone'})`;
      return `${h.mode} by ${by}`;
    })
    .join(', ')}`;
}

function commandTimes(log: EvidenceLog, binary: string): Report['commands'] {
  const podmanRuns = log.entries.filter((e) => e.argv[0] === binary);
  return {
    count: log.count,
    podmanCount: podmanRuns.length,
    podmanMs: podmanRuns.reduce((s, e) => s + e.durationMs, 0),
    podmanBusyMs: busyTime(podmanRuns),
  };
}

/**
 * A catalog the runner can run (pure): every claim well formed, each id once. A user's claim
 * that is not is a UsageError naming what to fix, before anything runs.
 */
export function checkCatalog(catalog: readonly Claim[]): readonly Claim[] {
  const seen = new Set<string>();
  for (const c of catalog) {
    const problems = claimProblems(c);
    if (problems.length)
      throw new UsageError(`claim ${typeof c?.id === 'string' ? c.id : '?'}: ${problems.join('; ')}`);
    if (seen.has(c.id)) throw new UsageError(`claim id ${c.id} is given twice: each claim needs its own id`);
    seen.add(c.id);
  }
  return catalog;
}

/** Identities named by `PODPROOF_IDENTITIES` (comma-separated), else both. Unknown names are a UsageError. */
export function identitiesFromEnv(env: NodeJS.ProcessEnv = process.env): readonly IdentityName[] {
  const names = (env.PODPROOF_IDENTITIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length ? checkIdentities(names) : IDENTITY_NAMES;
}

/** Narrow user-given names to identities, or throw a UsageError naming the bad ones. */
export function checkIdentities(names: readonly string[]): IdentityName[] {
  const bad = names.filter((n) => !(IDENTITY_NAMES as readonly string[]).includes(n));
  if (bad.length) throw new UsageError(`unknown identity: ${bad.join(', ')} (rootful or rootless)`);
  return names as IdentityName[];
}

/** Length of the union of the commands' [start, end] intervals (pure). */
export function busyTime(entries: readonly { startedAt: string; durationMs: number }[]): number {
  const spans = entries
    .map((e) => {
      const start = Date.parse(e.startedAt);
      return [start, start + e.durationMs] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of spans) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

/**
 * Note the user manager's failed podman scopes before any podman of this session runs (in the
 * journal too), and reset the ones the session added at teardown.
 */
async function watchPodmanScopes(session: Session, identity: Identity): Promise<void> {
  const before = await failedPodmanScopes(identity);
  if (!before) return;
  session.record({ kind: 'failed-scopes', identity: identity.name, units: before });
  session.onTeardown(`reset podman scopes ${identity.name} made fail`, async () => {
    await resetNewFailedScopes(identity, before);
  });
}

/** A signal aborted `ms` from now (a referenced timer, cleared at teardown; see runOne). */
function deadlineSignal(ms: number, session: Session): AbortSignal {
  const c = new AbortController();
  const timer = setTimeout(() => c.abort(new Error('run deadline')), ms);
  session.onTeardown('clear the run deadline', () => clearTimeout(timer));
  return c.signal;
}

/**
 * Run order (pure): round-robin over the groups (identities) in their first-seen order; within a
 * group the early and exclusive items first (nothing holds the identity yet, so they start at
 * once), then the other `early` ones, then the rest, then the other `exclusive` ones, each in its
 * own order (those that keep the run's shared apparatus before those that remove it). An
 * exclusive claim waits until its identity's running claims end and holds back the ones after it:
 * first or last, no one waits long, and the other identity fills the slots.
 */
export function interleave<
  T extends { who: string; early?: boolean; exclusive?: boolean; keepsApparatus?: boolean },
>(items: T[]): T[] {
  const groups = new Map<string, T[]>();
  const rank = (it: T) =>
    it.early ? (it.exclusive ? 0 : 1) : it.exclusive ? (it.keepsApparatus ? 3 : 4) : 2;
  const sorted = [0, 1, 2, 3, 4].flatMap((r) => items.filter((it) => rank(it) === r));
  for (const it of sorted) groups.set(it.who, [...(groups.get(it.who) ?? []), it]);
  const out: T[] = [];
  const queues = [...groups.values()];
  while (queues.some((q) => q.length)) for (const q of queues) if (q.length) out.push(q.shift() as T);
  return out;
}
