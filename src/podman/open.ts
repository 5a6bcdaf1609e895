import { UsageError } from '../exec/errors.js';
import { describeEvidence } from '../exec/evidence.js';
import type { IdentityName } from '../exec/identity.js';
import { resolveIdentities } from '../exec/resolve.js';
import { Session } from '../exec/session.js';
import { type ContainerSpec, withoutOptions } from '../parse/container-spec.js';
import { Podman, resolvePodmanBinary, type StorageMode } from './podman.js';

/**
 * A podman handle that owns its session: `await using podman = await openPodman()`. Disposal
 * removes every container, pod, volume and image it labelled, and its temp dirs.
 */
export class PodmanSession extends Podman implements AsyncDisposable {
  /**
   * Start a container spec of yours (a builder's `toSpec()`, `fromRunArgs(...)`) detached, with
   * this handle's session label and a session name: `await using web = await podman.startSpec(spec)`.
   * Its options and command as written, but those the handle sets itself (name, `--rm`, `-d`,
   * `--replace`, `--pull`: podproof pulls nothing). Removed by `stop()`, disposal, or the session.
   */
  async startSpec(
    spec: ContainerSpec,
    opts: { purpose?: string; timeoutMs?: number } = {},
  ): Promise<StartedContainer> {
    const purpose = opts.purpose ?? `start ${spec.origin}`;
    const name = this.session.name(spec.origin);
    const started = await this.start({
      image: spec.image,
      name,
      flags: withoutOptions(spec, (option) => STARTED_BY_HANDLE.has(option)).options,
      command: spec.command,
      purpose,
      timeoutMs: opts.timeoutMs,
    });
    if (started.exitCode !== 0)
      throw new Error(`could not start ${spec.origin}: ${describeEvidence(started)}`);
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= this.cmd(['rm', '-f', name], { purpose: 'cleanup', timeoutMs: 60_000 }).then((e) => {
        if (e.exitCode !== 0) throw new Error(`could not remove ${name}: ${describeEvidence(e)}`);
      });
      return stopped;
    };
    return { name, id: started.stdout.trim(), stop, [Symbol.asyncDispose]: stop };
  }

  /** Remove what this handle created (same as disposal). */
  close(): Promise<string[]> {
    return this.session.teardown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const failures = await this.close();
    if (failures.length) throw new Error(`podproof cleanup failed: ${failures.join('; ')}`);
  }
}

/** Options the handle sets itself when it starts a spec (see {@link PodmanSession.startSpec}). */
const STARTED_BY_HANDLE = new Set(['--name', '--rm', '--detach', '--replace', '--pull']);

/** A container {@link PodmanSession.startSpec} started: `stop()` (or disposal) removes it. */
export interface StartedContainer extends AsyncDisposable {
  name: string;
  /** Its container id. */
  id: string;
  stop(): Promise<void>;
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
