import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { BUSYBOX } from '../fixtures/images.js';
import { localRegistry, registryBinary } from '../fixtures/registry.js';
import { runAsService, systemdUnavailable } from '../systemd/transient.js';
import type { Claim } from './types.js';
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

export const systemdClaims: Claim[] = [pullBlocked];
