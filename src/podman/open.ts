import { UsageError } from '../exec/errors.js';
import type { IdentityName } from '../exec/identity.js';
import { resolveIdentities } from '../exec/resolve.js';
import { Session } from '../exec/session.js';
import { Podman, resolvePodmanBinary, type StorageMode } from './podman.js';

/**
 * A podman handle that owns its session: `await using podman = await openPodman()`. Disposal
 * removes every container, pod, volume and image it labelled, and its temp dirs.
 */
export class PodmanSession extends Podman implements AsyncDisposable {
  /** Remove what this handle created (same as disposal). */
  close(): Promise<string[]> {
    return this.session.teardown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const failures = await this.close();
    if (failures.length) throw new Error(`podproof cleanup failed: ${failures.join('; ')}`);
  }
}

/** Options for {@link openPodman}. */
export interface OpenPodmanOptions {
  /** `rootful` or `rootless` (default `rootless`). */
  identity?: IdentityName;
  /** podman binary (default `PODPROOF_PODMAN`, else `podman` on PATH). */
  podman?: string;
  /** Rootless user when running as root (default `PODPROOF_ROOTLESS_USER` or `podproof`). */
  rootlessUser?: string;
  /** podproof's own storage per identity (default) or the identity's default storage. */
  storage?: StorageMode;
}

/** Open an identity-aware podman handle for your own experiments; throws a UsageError when the identity is unavailable. */
export async function openPodman(opts: OpenPodmanOptions = {}): Promise<PodmanSession> {
  const binary = resolvePodmanBinary(opts.podman);
  const name = opts.identity ?? 'rootless';
  const resolution = (await resolveIdentities(opts.rootlessUser))[name];
  if (!resolution.ok) throw new UsageError(resolution.reason);
  const session = new Session();
  const podman = new PodmanSession({ binary, identity: resolution.identity, session, storage: opts.storage });
  session.onTeardown(`remove ${name} objects of session ${session.id}`, async () => {
    await podman.removeLabelled(session.id);
  });
  return podman;
}
