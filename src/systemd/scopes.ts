import type { Identity } from '../exec/identity.js';
import { exec } from '../exec/run.js';

/**
 * The scopes rootless podman asks the user manager for (the pause process, the rootless network
 * namespace). Where the manager cannot move the process there (no system bus to delegate to, as on
 * a host whose PID 1 is not systemd) each is left `failed`: podproof resets the ones it caused.
 */
const PODMAN_SCOPES = ['podman-pause-*.scope', 'rootless-netns-*.scope'];

/** Unit names from `systemctl list-units --plain --no-legend` output (pure); a leading status mark is skipped. */
export function unitNames(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map((f) => (f[0] === '●' || f[0] === '*' ? f[1] : f[0]))
    .filter((n): n is string => !!n && /\.(scope|service|socket)$/.test(n));
}

/** The failed podman scopes of `identity`'s user manager; undefined where no manager answers. */
export async function failedPodmanScopes(identity: Identity): Promise<string[] | undefined> {
  const e = await exec(
    ['systemctl', '--user', 'list-units', '--failed', '--plain', '--no-legend', ...PODMAN_SCOPES],
    {
      identity,
      timeoutMs: 15_000,
      purpose: 'failed podman scopes',
    },
  );
  return e.exitCode === 0 ? unitNames(e.stdout) : undefined;
}

/** `reset-failed` the failed podman scopes that are not in `before` (those this session caused); returns them. */
export async function resetNewFailedScopes(identity: Identity, before: readonly string[]): Promise<string[]> {
  const now = await failedPodmanScopes(identity);
  const mine = (now ?? []).filter((u) => !before.includes(u));
  if (mine.length)
    await exec(['systemctl', '--user', 'reset-failed', ...mine], {
      identity,
      timeoutMs: 15_000,
      purpose: 'cleanup',
    });
  return mine;
}
