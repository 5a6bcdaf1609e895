import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { waitUntil } from '../exec/wait.js';
import { BUSYBOX, NODE } from '../fixtures/images.js';
import { localRegistry, registryBinary } from '../fixtures/registry.js';
import { storagePaths } from '../podman/podman.js';
import { runAsService, systemdUnavailable } from '../systemd/transient.js';
import { execLine } from '../systemd/units.js';
import { describeSocat, echoed, socketActivationNeeds, startEchoSocket } from './socket.js';
import type { Claim, ClaimContext } from './types.js';
import { decide, type Side } from './verdict.js';

/** The property the articles put on podman's service. */
export const RESTRICT_INET = 'RestrictAddressFamilies=AF_UNIX AF_NETLINK';

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

export const pullBlocked: Claim = {
  id: 'systemd.pull-blocked',
  title: 'podman in a systemd service with RestrictAddressFamilies=AF_UNIX AF_NETLINK cannot pull',
  source: 'podman pull exits 125: dial tcp ...: socket: address family not supported by protocol',
  identities: ['rootful', 'rootless'],
  needs(host, identity) {
    if (!registryBinary())
      return 'needs a local registry: install docker-registry (Debian/Ubuntu) or docker-distribution (Fedora)';
    return systemdUnavailable(host, identity.name);
  },
  async run(ctx) {
    const image = await ctx.image(BUSYBOX);
    const registry = await localRegistry(ctx.session, ctx.log);
    const ref = `${registry.address}/podproof-${ctx.session.id}/busybox:latest`;
    const user = ctx.identity.name === 'rootless';
    try {
      const pushed = await ctx.podman.cmd(['push', '--tls-verify=false', image, ref], {
        purpose: 'push to the local registry',
        timeoutMs: 120_000,
      });
      if (!succeeded(pushed))
        return {
          verdict: 'error',
          reason: `could not push to the local registry: ${describeEvidence(pushed)}`,
        };
      const pull = ctx.podman.argv(['pull', '--tls-verify=false', ref]);
      const restricted = await runAsService(ctx.exec, {
        user,
        properties: [RESTRICT_INET],
        argv: pull,
        purpose: 'treatment: restricted pull',
      });
      const treatment: Side = restricted.failure
        ? { ok: false, error: describeEvidence(restricted) }
        : {
            ok: true,
            value: {
              holds: isAddressFamilyBlocked(restricted),
              observed: `with ${RESTRICT_INET}: ${describeEvidence(restricted).replace(/^`[^`]*` /, '')}`,
            },
          };
      const open = await runAsService(ctx.exec, { user, argv: pull, purpose: 'control: unrestricted pull' });
      const control: Side = open.failure
        ? { ok: false, error: describeEvidence(open) }
        : { ok: true, value: { holds: succeeded(open), observed: `without it: pull exit ${open.exitCode}` } };
      return decide(treatment, control);
    } finally {
      await ctx.podman.cmd(['rmi', '-f', ref], { purpose: 'cleanup', timeoutMs: 60_000 });
      await registry.stop();
    }
  },
};

export const socketActivation: Claim = {
  id: 'systemd.socket-activation',
  title: 'a socket-activated --network=none container serves tcp4, tcp6, udp4, udp6 and a unix socket',
  source: 'echo hello | socat - udp6:[::1]:3000 -> hello; ip -brief addr inside: only lo',
  identities: ['rootful', 'rootless'],
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  async run(ctx) {
    const echo = await startEchoSocket(ctx, {});
    try {
      const first = echo.sockets[0];
      if (!first) return { verdict: 'error', reason: 'no sockets' };
      // control: the same address before systemd listens on it answers nothing
      const before = await echo.send(first, 'hello', 'control: before the socket starts');
      const control: Side = {
        ok: true,
        value: {
          holds: !echoed(before, 'hello'),
          observed: `before the socket starts, ${first.name} ${describeSocat(before)}`,
        },
      };
      const started = await echo.units.systemctl(['start', `${echo.base}.socket`], 'start the socket unit');
      if (!succeeded(started))
        return { verdict: 'error', reason: `could not start the socket unit: ${describeEvidence(started)}` };
      // one at a time: the first connection starts the container
      const served: string[] = [];
      const missing: string[] = [];
      for (const s of echo.sockets) {
        const e = await echo.send(s, 'hello', `treatment: ${s.name}`);
        (echoed(e, 'hello') ? served : missing).push(
          echoed(e, 'hello') ? s.name : `${s.name} ${describeSocat(e)}`,
        );
      }
      const ifaces = await echo.send(first, 'podproof-interfaces', 'treatment: container interfaces');
      const names = /interfaces: (\S*)/.exec(ifaces.stdout)?.[1] ?? '?';
      const state = await echo.units.systemctl(['is-failed', `${echo.base}.service`], 'service state');
      const treatment: Side = {
        ok: true,
        value: {
          holds: missing.length === 0 && names === 'lo',
          observed: `served hello on ${served.join(', ') || 'nothing'}${missing.length ? `; no echo on ${missing.join('; ')}` : ''}; container interfaces: ${names}; service ${state.stdout.trim() || 'unknown'}`,
        },
      };
      return decide(treatment, control);
    } finally {
      await echo.units.remove();
    }
  },
};

/** The restricted service of the articles: no internet sockets, no new privileges. */
export const RESTRICTED_SERVICE = [`${RESTRICT_INET}`, 'NoNewPrivileges=yes'];

export const restrictedStillServes: Claim = {
  id: 'systemd.restricted-still-serves',
  title:
    'a restricted socket-activated container with --pull=never still serves; with --pull=always it fails',
  source:
    'RestrictAddressFamilies=AF_UNIX AF_NETLINK + NoNewPrivileges: hello over tcp4/tcp6/unix; --pull=always: is-failed says failed',
  identities: ['rootful', 'rootless'],
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  async run(ctx) {
    // treatment: the restricted service with the image already present
    const served: string[] = [];
    const missing: string[] = [];
    const treatmentEcho = await startEchoSocket(ctx, {
      withDatagrams: false,
      serviceProperties: RESTRICTED_SERVICE,
    });
    try {
      const started = await treatmentEcho.units.systemctl(
        ['start', `${treatmentEcho.base}.socket`],
        'start the socket unit',
      );
      if (!succeeded(started))
        return { verdict: 'error', reason: `could not start the socket unit: ${describeEvidence(started)}` };
      for (const sock of treatmentEcho.sockets) {
        const e = await treatmentEcho.send(sock, 'hello', `treatment: ${sock.name}`);
        if (echoed(e, 'hello')) served.push(sock.name);
        else missing.push(`${sock.name} ${describeSocat(e)}`);
      }
    } finally {
      await treatmentEcho.units.remove();
    }
    const treatment: Side = {
      ok: true,
      value: {
        holds: missing.length === 0,
        observed: `restricted, --pull=never: served hello on ${served.join(', ') || 'nothing'}${missing.length ? `; no echo on ${missing.join('; ')}` : ''}`,
      },
    };
    // control: the same restricted service asked to pull cannot reach any registry
    const controlEcho = await startEchoSocket(ctx, {
      withDatagrams: false,
      serviceProperties: RESTRICTED_SERVICE,
      runFlags: ['--pull=always'],
    });
    try {
      const started = await controlEcho.units.systemctl(
        ['start', `${controlEcho.base}.socket`],
        'control: start the socket unit',
      );
      if (!succeeded(started)) return decide(treatment, { ok: false, error: describeEvidence(started) });
      const first = controlEcho.sockets[0];
      const e = first
        ? await controlEcho.send(first, 'hello', 'control: tcp4 with --pull=always')
        : undefined;
      // the failing service is retried until its start limit; then systemd fails the socket too
      let states: string[] = [];
      await waitUntil(
        async () => {
          const st = await controlEcho.units.systemctl(
            ['is-failed', `${controlEcho.base}.service`, `${controlEcho.base}.socket`],
            'control: is-failed',
          );
          states = st.stdout.trim().split('\n');
          return states.every((x) => x === 'failed');
        },
        20_000,
        200,
      );
      const control: Side = {
        ok: true,
        value: {
          holds: !(e && echoed(e, 'hello')) && states.length === 2 && states.every((x) => x === 'failed'),
          observed: `restricted, --pull=always: ${e ? describeSocat(e) : 'not tried'}; is-failed service/socket: ${states.join('/')}`,
        },
      };
      return decide(treatment, control);
    } finally {
      await controlEcho.units.remove();
    }
  },
};

/** Whether a process is alive (reads /proc). */
function alive(pid: string): boolean {
  return /^\d+$/.test(pid) && existsSync(`/proc/${pid}`);
}

function readPid(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Tear the rootless user namespace down: stop every pause process podman could join. That is
 * podproof's own (under its --tmpdir) and the one at podman's default location
 * ($XDG_RUNTIME_DIR/libpod/tmp), which podman joins whatever --tmpdir says: left alive, the
 * restricted service would join it and the control would prove nothing. Running containers keep
 * their own namespaces; podman starts a new pause process on its next use (as `podman system
 * migrate` does).
 */
async function tearDownUserns(ctx: ClaimContext): Promise<{ ok: boolean; detail: string }> {
  const files = [
    join(storagePaths(ctx.identity).tmpdir, 'pause.pid'),
    join(ctx.identity.runtimeDir, 'libpod', 'tmp', 'pause.pid'),
  ];
  const pids = [...new Set(files.map(readPid).filter(alive))];
  if (!pids.length) return { ok: true, detail: 'no pause process was running' };
  await ctx.exec(['kill', ...pids], { purpose: 'tear down the user namespace (kill the pause processes)' });
  const stopped = await waitUntil(() => !pids.some(alive), 5_000);
  if (!stopped)
    return { ok: false, detail: `pause process(es) ${pids.filter(alive).join(', ')} still running` };
  return { ok: true, detail: `pause process${pids.length > 1 ? 'es' : ''} ${pids.join(', ')} stopped` };
}

/** Serve hello through a fresh restricted echo service after tearing the user namespace down. */
async function servesAfterTeardown(
  ctx: ClaimContext,
  image: string,
  withPrecreate: boolean,
): Promise<{ served: boolean; observed: string } | { error: string }> {
  // from here until the service starts, no podman of this identity may run: it would recreate the namespace
  const down = await tearDownUserns(ctx);
  if (!down.ok) return { error: down.detail };
  const precreate = ctx.session.name('userns');
  const echo = await startEchoSocket(ctx, {
    image,
    withDatagrams: false,
    serviceProperties: RESTRICTED_SERVICE,
    unitProperties: withPrecreate ? [`Requires=${precreate}.service`, `After=${precreate}.service`] : [],
    extraUnits: withPrecreate
      ? {
          [`${precreate}.service`]: [
            '[Unit]',
            'Description=podproof: create the rootless user namespace outside the restricted service',
            '',
            '[Service]',
            'Type=oneshot',
            'RemainAfterExit=yes',
            `ExecStart=${execLine(ctx.podman.argv(['unshare', '/bin/true']))}`,
            '',
          ].join('\n'),
        }
      : {},
  });
  try {
    const started = await echo.units.systemctl(['start', `${echo.base}.socket`], 'start the socket unit');
    if (!succeeded(started)) return { error: describeEvidence(started) };
    const first = echo.sockets[0];
    if (!first) return { error: 'no socket' };
    const e = await echo.send(first, 'hello', withPrecreate ? 'treatment: tcp4' : 'control: tcp4');
    const st = await echo.units.systemctl(['is-failed', `${echo.base}.service`], 'service state');
    return {
      served: echoed(e, 'hello'),
      observed: `${down.detail}; ${withPrecreate ? 'after the oneshot `podman unshare /bin/true`' : 'without it'}: tcp4 ${describeSocat(e)}, service ${st.stdout.trim() || 'unknown'}`,
    };
  } finally {
    await echo.units.remove();
  }
}

export const usernsPrecreated: Claim = {
  id: 'systemd.userns-precreated',
  title: 'a restricted (NoNewPrivileges) rootless service needs the user namespace created before it starts',
  source:
    'podman-usernamespace.service: a oneshot `podman unshare /bin/true` ordered before the restricted service',
  identities: ['rootless'],
  // it stops podproof's pause process: nothing else of this identity may run meanwhile
  exclusive: true,
  needs: (host, identity) => socketActivationNeeds(host, identity.name),
  async run(ctx) {
    const image = await ctx.image(NODE); // before the teardown: looking it up runs podman
    const treatment = await servesAfterTeardown(ctx, image, true);
    const control = await servesAfterTeardown(ctx, image, false);
    return decide(
      'error' in treatment
        ? { ok: false, error: treatment.error }
        : { ok: true, value: { holds: treatment.served, observed: treatment.observed } },
      'error' in control
        ? { ok: false, error: control.error }
        : { ok: true, value: { holds: !control.served, observed: control.observed } },
    );
  },
};

export const systemdClaims: Claim[] = [
  pullBlocked,
  socketActivation,
  restrictedStillServes,
  usernsPrecreated,
];
