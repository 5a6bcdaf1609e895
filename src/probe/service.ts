import type { ExecContext } from '../exec/context.js';
import type { Podman } from '../podman/podman.js';
import { runAsService } from '../systemd/transient.js';
import { outcomeOf, type ProbeOutcome } from './probe.js';
import { type Attempt, probeScript } from './script.js';

/** What a probe run by systemd needs: the claim's exec context, its podman's argv, cleanup. */
export type ServiceProbeEnv = ExecContext & {
  podman: Pick<Podman, 'argv'>;
  defer(name: string, fn: () => unknown): void;
};

/**
 * One probe container started by a transient service of the identity's manager (`systemd-run
 * --wait --pipe`, with the service `properties`): podman and the container inherit what the
 * service's settings do to its processes (NoNewPrivileges, RestrictAddressFamilies' seccomp
 * filter), and the probe's output is the service's. The unit is journaled before it starts and
 * stopped (reset-failed) with the claim.
 */
export async function probeAsService(
  ctx: ServiceProbeEnv,
  opts: {
    image: string;
    flags: readonly string[];
    attempts?: readonly Attempt[];
    properties: string[];
    purpose: string;
  },
): Promise<ProbeOutcome> {
  const user = ctx.identity.name === 'rootless';
  const unit = `${ctx.session.name('probe')}.service`;
  const argv = ctx.podman.argv([
    'run',
    '--rm',
    '--name',
    ctx.session.name(opts.purpose),
    '--label',
    ctx.session.label,
    '--pull=never',
    ...opts.flags,
    opts.image,
    'sh',
    '-c',
    probeScript(opts.attempts),
  ]);
  const evidence = await runAsService(ctx.exec, {
    user,
    unit,
    journal: ctx.session,
    defer: (name, fn) => ctx.defer(name, fn),
    properties: opts.properties,
    argv,
    purpose: opts.purpose,
  });
  return outcomeOf(evidence);
}
