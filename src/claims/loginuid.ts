import { join } from 'node:path';
import { BUSYBOX } from '../apparatus/images.js';
import { scaled } from '../exec/time-scale.js';
import { waitUntil } from '../exec/wait.js';
import { type Claim, type ClaimContext, SkipClaim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { pathExists } from '../host/files.js';
import type { HostProfile } from '../host/profile.js';
import type { SubidRange } from '../parse/host.js';
import { probe } from '../probe/probe.js';
import type { IdMapRange, ProbeSnapshot } from '../probe/snapshot.js';
import { startTransientService } from '../systemd/transient.js';
import { snapshotOf } from './probe-arm.js';

export const UNSET_LOGINUID = 4294967295;
/** The value the article saw; used when the harness has to set one itself. */
export const ARTICLE_LOGINUID = 3267;

/** How a host uid reads inside a user namespace with this uid_map (pure); unmapped reads as unset. */
export function mapToInside(map: IdMapRange[], hostId: number): number {
  if (hostId === UNSET_LOGINUID) return UNSET_LOGINUID;
  const r = map.find((m) => hostId >= m.outside && hostId < m.outside + m.count);
  return r ? hostId - r.outside + r.inside : UNSET_LOGINUID;
}

/**
 * The caller's loginuid for the experiment (pure): the caller's own when set; else one the harness
 * sets, else a skip reason. Rootful sets the article's 3267. Rootless sets the host uid its
 * container reads as 3267 (the user's first subordinate uid + 3266), not the user's own: a user
 * manager started through PAM (systemd's user@.service) carries the user's own uid as its
 * loginuid, so an API service under it would hand that same value on and the control could not
 * differ. Without a range that large, the user's own uid (read as 0 inside).
 */
export function plannedLoginuid(
  login: HostProfile['loginuid'],
  identity: { name: string; uid: number },
  subuid: SubidRange[] = [],
): { value: number; set: boolean } | { skip: string } {
  if (!login.unset && login.value !== undefined) return { value: login.value, set: false };
  if (!login.canSet) {
    return {
      skip: 'the caller has no loginuid (4294967295) and podproof cannot set one (needs root with CAP_AUDIT_CONTROL, and a loginuid not yet set): run podproof as root, or from a login session (ssh, a console), which has one',
    };
  }
  if (identity.name !== 'rootless') return { value: ARTICLE_LOGINUID, set: true };
  const first = subuid[0];
  const offset = ARTICLE_LOGINUID - 1; // inside, subordinate uids start at 1
  return { value: first && first.count > offset ? first.start + offset : identity.uid, set: true };
}

/** Start `podman system service` detached from the caller: by systemd where a manager answers, else as a background process. */
async function startApiService(ctx: ClaimContext): Promise<{ url: string; how: string }> {
  // journaled before the service makes it: a SIGKILLed run's `podproof clean` removes it
  const socket = ctx.session.expectFile(join(ctx.identity.runtimeDir, `${ctx.session.name('api')}.sock`));
  const argv = ctx.podman.argv(['system', 'service', '--time=0', `unix://${socket}`]);
  const profile = ctx.host.identities[ctx.identity.name];
  const userManager =
    ctx.identity.name === 'rootless' && ['running', 'degraded'].includes(profile.systemdUser ?? '');
  const systemManager = ctx.identity.name === 'rootful' && ctx.host.systemdPid1;
  let how: string;
  if (userManager || systemManager) {
    const unit = `${ctx.session.name('api')}.service`;
    const svc = await startTransientService(ctx.exec, {
      unit,
      argv,
      user: userManager,
      purpose: 'control: start the API service',
      journal: ctx.session,
      defer: (name, fn) => ctx.defer(name, fn),
    });
    if ('error' in svc) throw new Error(svc.error);
    how = `systemd-run${userManager ? ' --user' : ''}`;
  } else {
    ctx.spawn(argv, { purpose: 'control: podman system service (detached)' });
    how = 'a background process';
  }
  if (!(await waitUntil(() => pathExists(socket), scaled(15_000), 100, ctx.signal)))
    throw new Error(`the API service did not create ${socket} within ${scaled(15_000) / 1000} s`);
  return { url: `unix://${socket}`, how };
}

/** Treatment check (pure): the container reads the caller's loginuid, mapped through its uid_map. */
export function checkLoginuidKept(s: ProbeSnapshot, caller: number, setByHarness: boolean): Observation {
  const expected = mapToInside(s.uidMap, caller);
  return {
    holds: s.loginuid === expected,
    observed: `caller loginuid ${caller}${setByHarness ? ' (set by podproof)' : ''}, container reads ${s.loginuid} (expected ${expected})`,
  };
}

/** Control check (pure): through the daemon, the container does not read the caller's loginuid. */
export function checkLoginuidLost(s: ProbeSnapshot, caller: number, how: string): Observation {
  return {
    holds: s.loginuid !== mapToInside(s.uidMap, caller),
    observed: `through podman system service (${how}) the container reads ${s.loginuid}`,
  };
}

interface LoginuidSetup {
  image: string;
  caller: number;
  /** Set by podproof (the caller had none): podman is started with it. */
  set: boolean;
}

/** What an arm saw: the container's snapshot, and how podman was reached. */
interface LoginuidRun {
  snapshot: ProbeSnapshot;
  via: string;
}

export const loginuidRetained: Claim<LoginuidSetup, LoginuidRun> = {
  id: 'loginuid.retained',
  title: "podman's fork/exec model keeps the caller's audit login UID in the container",
  source:
    "cat /proc/self/loginuid in the container = the caller's (3267); a daemon-started container shows 4294967295",
  identities: ['rootful', 'rootless'],
  needs(host, identity) {
    const plan = plannedLoginuid(host.loginuid, identity, host.identities[identity.name]?.subuid);
    return 'skip' in plan ? plan.skip : undefined;
  },
  async setup(ctx) {
    const plan = plannedLoginuid(
      ctx.host.loginuid,
      ctx.identity,
      ctx.host.identities[ctx.identity.name]?.subuid,
    );
    if ('skip' in plan) throw new SkipClaim(plan.skip);
    return { image: await ctx.image(BUSYBOX), caller: plan.value, set: plan.set };
  },
  treatment: {
    setting: 'podman run (fork/exec from the caller)',
    observe: async (ctx, { image, caller, set }) => ({
      snapshot: snapshotOf(
        await probe(ctx.podman, image, { purpose: 'treatment', loginuid: set ? caller : undefined }),
      ),
      via: 'podman run',
    }),
    check: ({ snapshot }, { caller, set }) => checkLoginuidKept(snapshot, caller, set),
  },
  // the same run, from the same caller, through podman's API service (the client/server model)
  control: {
    setting: "podman --remote through podman's API service",
    async observe(ctx, { image, caller, set }) {
      const service = await startApiService(ctx);
      const outcome = await probe(ctx.podman.remote(service.url), image, {
        purpose: 'control: via the API service',
        loginuid: set ? caller : undefined,
      });
      return { snapshot: snapshotOf(outcome), via: service.how };
    },
    check: ({ snapshot, via }, { caller }) => checkLoginuidLost(snapshot, caller, via),
  },
};

export const loginuidClaims: Claim[] = [loginuidRetained];
