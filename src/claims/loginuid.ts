import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../exec/wait.js';
import { BUSYBOX } from '../fixtures/images.js';
import type { HostProfile } from '../host/profile.js';
import { probe } from '../probe/probe.js';
import type { IdMapRange } from '../probe/snapshot.js';
import { startTransientService } from '../systemd/transient.js';
import type { Claim, ClaimContext } from './types.js';
import { decide, type Side, sideOf } from './verdict.js';

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
 * sets (rootful: the article's 3267; rootless: the user's own uid, which the container maps to 0);
 * else a skip reason.
 */
export function plannedLoginuid(
  login: HostProfile['loginuid'],
  identity: { name: string; uid: number },
): { value: number; set: boolean } | { skip: string } {
  if (!login.unset && login.value !== undefined) return { value: login.value, set: false };
  if (!login.canSet) {
    return {
      skip: 'the caller has no loginuid (4294967295) and podproof cannot set one (needs root with CAP_AUDIT_CONTROL, and a loginuid not yet set)',
    };
  }
  return { value: identity.name === 'rootless' ? identity.uid : ARTICLE_LOGINUID, set: true };
}

/** Start `podman system service` detached from the caller: by systemd where a manager answers, else as a background process. */
async function startApiService(
  ctx: ClaimContext,
): Promise<{ url: string; how: string; stop: () => Promise<unknown> } | { error: string }> {
  const socket = join(ctx.identity.runtimeDir, `${ctx.session.name('api')}.sock`);
  const argv = ctx.podman.argv(['system', 'service', '--time=0', `unix://${socket}`]);
  const profile = ctx.host.identities[ctx.identity.name];
  const userManager =
    ctx.identity.name === 'rootless' && ['running', 'degraded'].includes(profile.systemdUser ?? '');
  const systemManager = ctx.identity.name === 'rootful' && ctx.host.systemdPid1;
  let how: string;
  let stop: () => Promise<unknown>;
  if (userManager || systemManager) {
    const unit = `${ctx.session.name('api')}.service`;
    const svc = await startTransientService(ctx.exec, {
      unit,
      argv,
      user: userManager,
      purpose: 'control: start the API service',
    });
    if ('error' in svc) return svc;
    how = `systemd-run${userManager ? ' --user' : ''}`;
    stop = svc.stop;
  } else {
    const bg = ctx.spawn(argv, { purpose: 'control: podman system service (detached)' });
    how = 'a background process';
    stop = bg.stop;
  }
  ctx.session.onTeardown(`stop API service ${socket}`, async () => void (await stop()));
  if (!(await waitUntil(() => existsSync(socket), 15_000))) {
    await stop();
    return { error: `the API service did not create ${socket} within 15 s` };
  }
  return { url: `unix://${socket}`, how, stop };
}

export const loginuidRetained: Claim = {
  id: 'loginuid.retained',
  title: "podman's fork/exec model keeps the caller's audit login UID in the container",
  source:
    "cat /proc/self/loginuid in the container = the caller's (3267); a daemon-started container shows 4294967295",
  identities: ['rootful', 'rootless'],
  needs(host, identity) {
    const plan = plannedLoginuid(host.loginuid, identity);
    return 'skip' in plan ? plan.skip : undefined;
  },
  async run(ctx) {
    const plan = plannedLoginuid(ctx.host.loginuid, ctx.identity);
    if ('skip' in plan) return { verdict: 'skipped', reason: plan.skip };
    const loginuid = plan.set ? plan.value : undefined;
    const image = await ctx.image(BUSYBOX);
    const treatment = await probe(ctx.podman, image, { purpose: 'treatment', loginuid });
    let expected = plan.value;
    const t: Side = sideOf(treatment, (s) => {
      expected = mapToInside(s.uidMap, plan.value);
      return {
        holds: s.loginuid === expected,
        observed: `caller loginuid ${plan.value}${plan.set ? ' (set by podproof)' : ''}, container reads ${s.loginuid} (expected ${expected})`,
      };
    });
    const service = await startApiService(ctx);
    if ('error' in service) return decide(t, { ok: false, error: service.error });
    try {
      const control = await probe(ctx.podman.remote(service.url), image, {
        purpose: 'control: via the API service',
        loginuid,
      });
      return decide(
        t,
        sideOf(control, (s) => ({
          holds: s.loginuid !== expected,
          observed: `through podman system service (${service.how}) the container reads ${s.loginuid}`,
        })),
      );
    } finally {
      await service.stop();
    }
  },
};

export const loginuidClaims: Claim[] = [loginuidRetained];
