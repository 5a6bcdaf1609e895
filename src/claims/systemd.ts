import { registryBinary } from '../apparatus/registry.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { waitUntil } from '../exec/wait.js';
import { type Claim, NotObserved } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { describeSocat, echoed, socketActivationNeeds } from '../systemd/echo.js';
import { pullAsService, RESTRICT_INET, RESTRICTED_SERVICE, serveAll, startEcho } from '../systemd/serve.js';
import { systemdUnavailable } from '../systemd/transient.js';
import { ensureUserNamespace } from '../systemd/userns.js';
import { pullRegistry } from './pull-registry.js';
import { checkServesAll, type EchoRun, type EchoSetup, echoSetup, withRuntimeNote } from './systemd-echo.js';
import { socketActivation } from './systemd-socket.js';
import { usernsPrecreated } from './systemd-userns.js';

/** The expected failure of a pull without internet sockets (pure). */
export function isAddressFamilyBlocked(e: {
  exitCode: number | null;
  stderr: string;
  stdout: string;
  failure?: string;
}): boolean {
  return (
    !e.failure &&
    e.exitCode === 125 &&
    /address family not supported by protocol/.test(`${e.stderr}\n${e.stdout}`)
  );
}

/** Treatment check (pure): the restricted pull failed with the expected error, nothing else. */
export function checkPullBlocked(e: Evidence): Observation {
  return {
    holds: isAddressFamilyBlocked(e),
    observed: `with ${RESTRICT_INET}: ${describeEvidence(e).replace(/^`[^`]*` /, '')}`,
  };
}

interface PullSetup {
  /** `podman pull` of an image in the local registry, as argv for a service. */
  pull: string[];
  /** What both arms' services have: the pull's temp files in the session's dir, not /var/tmp. */
  properties: string[];
}

/** The pull, run as a transient service: a process that did not run to an exit gave nothing to judge. */
async function pullRun(
  ctx: Parameters<typeof pullAsService>[0],
  pull: string[],
  properties: string[],
  purpose: string,
) {
  const e = await pullAsService(ctx, pull, properties, purpose);
  if (e.failure) throw new NotObserved(describeEvidence(e));
  return e;
}

export const pullBlocked: Claim<PullSetup, Evidence> = {
  id: 'systemd.pull-blocked',
  startEarly: true,
  title: 'podman in a systemd service with RestrictAddressFamilies=AF_UNIX AF_NETLINK cannot pull',
  source: 'podman pull exits 125: dial tcp ...: socket: address family not supported by protocol',
  identities: ['rootful', 'rootless'],
  needs(host, identity) {
    if (!registryBinary())
      return 'needs a local registry: install docker-registry (Debian/Ubuntu) or docker-distribution (Fedora)';
    return systemdUnavailable(host, identity.name);
  },
  async setup(ctx) {
    const registry = await pullRegistry(ctx);
    const ref = registry.unsigned.a;
    // the service pulls it, not podproof: removed with what the others pulled from the registry
    registry.removeLater(ref);
    return {
      pull: ctx.podman.argv(['pull', '--tls-verify=false', ref]),
      properties: [`Environment=TMPDIR=${ctx.podman.imageTempDir()}`],
    };
  },
  treatment: {
    setting: RESTRICT_INET,
    observe: (ctx, { pull, properties }) =>
      pullRun(ctx, pull, [RESTRICT_INET, ...properties], 'treatment: restricted pull'),
    check: checkPullBlocked,
  },
  control: {
    setting: 'the same service without RestrictAddressFamilies',
    observe: (ctx, { pull, properties }) => pullRun(ctx, pull, properties, 'control: unrestricted pull'),
    check: checkPulled,
  },
};

/** Control check of `pull-blocked` (pure): without the property the pull succeeds. */
export function checkPulled(e: Evidence): Observation {
  return { holds: succeeded(e), observed: `without it: pull exit ${e.exitCode}` };
}

/** podman's pull refused its internet socket, in a service's journal (pure): Go's `dial tcp ...: socket: address family not supported by protocol`. */
export function pullBlockedLine(journal: string): string | undefined {
  return journal
    .split('\n')
    .find((l) => /dial (tcp|udp)\S* [^\n]*address family not supported by protocol/.test(l));
}

/**
 * Control check of `restricted-still-serves` (pure): no echo, and the right failure: the
 * service's journal shows podman's pull refused its socket, or (where there is no journal)
 * systemd failed both service and socket after the start limit. podman 5 retries a failed pull
 * with growing delays, so its service fails too slowly to reach systemd's start limit: there the
 * journal is the evidence.
 */
export function checkRestrictedPullFails(
  e: Evidence | undefined,
  states: string[],
  journal = '',
): Observation {
  const blocked = pullBlockedLine(journal);
  const bothFailed = states.length === 2 && states.every((x) => x === 'failed');
  return {
    holds: !(e && echoed(e, 'hello')) && (blocked !== undefined || bothFailed),
    observed: `restricted, --pull=always: ${e ? describeSocat(e) : 'not tried'}; is-failed service/socket: ${states.join('/')}${blocked ? `; the service's journal: ${blocked.trim()}` : ''}`,
  };
}

export const restrictedStillServes: Claim<EchoSetup, EchoRun> = {
  id: 'systemd.restricted-still-serves',
  startEarly: true,
  title:
    'a restricted socket-activated container with --pull=never still serves; with --pull=always it fails',
  source:
    'RestrictAddressFamilies=AF_UNIX AF_NETLINK + NoNewPrivileges: hello over tcp4/tcp6/unix; --pull=always: is-failed says failed',
  identities: ['rootful', 'rootless'],
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  setup: echoSetup,
  // both arms: rootless, the restricted service joins a user namespace made before it
  // (systemd.userns-precreated proves why), whatever an earlier claim tore down
  treatment: {
    setting: `${RESTRICTED_SERVICE.join(', ')}, --pull=never`,
    async observe(ctx, { image }) {
      await ensureUserNamespace(ctx);
      const echo = await startEcho(
        ctx,
        { image, withDatagrams: false, serviceProperties: RESTRICTED_SERVICE },
        'socket',
      );
      const served = await serveAll(echo, 'treatment', 'service-ends');
      return { sends: served.sends, journal: served.journal?.stdout };
    },
    check: ({ sends, journal }, { podman }) =>
      withRuntimeNote(podman, checkServesAll('restricted, --pull=never', sends), journal),
  },
  // the same restricted service asked to pull cannot reach any registry
  control: {
    setting: `${RESTRICTED_SERVICE.join(', ')}, --pull=always`,
    async observe(ctx, { image }) {
      await ensureUserNamespace(ctx);
      const echo = await startEcho(
        ctx,
        { image, withDatagrams: false, serviceProperties: RESTRICTED_SERVICE, runFlags: ['--pull=always'] },
        'socket',
      );
      const first = echo.sockets[0];
      const e = first
        ? (await echo.sendWhileServing(first, 'hello', 'control: tcp4 with --pull=always', 'control')).e
        : undefined;
      const readJournal = async () => (await echo.journal("control: the service's journal")).stdout;
      let journal = await readJournal();
      const isFailed = async () => {
        const st = await echo.units.systemctl(
          ['is-failed', `${echo.base}.service`, `${echo.base}.socket`],
          'control: is-failed',
        );
        return st.stdout.trim().split('\n');
      };
      let states = await isFailed();
      // the pull's own error can reach the journal after systemd's line that the service failed
      // (journald reads the service's output stream on its own); without a journal the failure
      // shown is systemd's: the failing service is retried until its start limit, then systemd
      // fails the socket too (a start that takes seconds, as under TCG, may never reach it)
      if (!pullBlockedLine(journal))
        await waitUntil(
          async () => {
            journal = await readJournal();
            if (pullBlockedLine(journal)) return true;
            states = await isFailed();
            return states.every((x) => x === 'failed');
          },
          20_000,
          500,
          ctx.signal,
        );
      return { sends: e ? [{ name: 'tcp4', e }] : [], journal, states };
    },
    check: ({ sends, states, journal }) => checkRestrictedPullFails(sends[0]?.e, states ?? [], journal),
  },
};

export const systemdClaims: Claim[] = [
  pullBlocked,
  socketActivation,
  restrictedStillServes,
  usernsPrecreated,
];
