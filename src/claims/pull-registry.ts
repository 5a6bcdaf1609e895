import { BUSYBOX } from '../apparatus/images.js';
import { localRegistry, pushImage } from '../apparatus/registry.js';
import type { Evidence } from '../exec/evidence.js';
import type { ClaimContext } from '../experiment/types.js';

/** The run's local registry for one identity, with the busybox fixture in it, unsigned, twice. */
export interface PullRegistry {
  /** `127.0.0.1:PORT` */
  address: string;
  /** `ADDRESS/podproof-SESSION`: every repository the claims push to and pull from is under it. */
  scope: string;
  /** The same unsigned fixture in two repositories: `SCOPE/busybox-a:latest` and `SCOPE/busybox-b:latest`. */
  unsigned: { a: string; b: string };
  /**
   * Pull each reference in order with `pull`. What is pulled stays in the identity's storage until
   * the registry goes (one `rmi` of every reference pulled from it): `podman pull` asks the
   * registry and applies the policy every time (`--policy=always`), so a copy already stored
   * decides nothing.
   */
  /** Remove `refs` from the identity's storage when the registry goes (pulls made by others: a service). */
  removeLater(...refs: string[]): void;
  pullEach<K extends string>(
    refs: Record<K, string>,
    pull: (ref: string) => Promise<Evidence>,
  ): Promise<Record<K, Evidence>>;
}

/**
 * The identity's {@link PullRegistry}, made once per run (`ClaimContext.shared`): the pull claims
 * (trust.policy, image.signed-only, systemd.pull-blocked) pull from one registry, and the unsigned
 * images they all pull are pushed once. A claim that needs images of its own (signed ones) pushes
 * them under `scope`.
 */
export const pullRegistry = (ctx: ClaimContext): Promise<PullRegistry> =>
  ctx.shared('a local registry with the fixture pushed unsigned', async (made) => {
    const image = await made.image(BUSYBOX);
    const registry = await localRegistry(made.session, made.log);
    made.defer('stop the local registry', () => registry.stop());
    const scope = `${registry.address}/podproof-${made.session.id}`;
    const unsigned = { a: `${scope}/busybox-a:latest`, b: `${scope}/busybox-b:latest` };
    const pulled = new Set<string>();
    made.defer('remove the images pulled from the local registry', async () => {
      if (pulled.size)
        await made.podman.cmd(['rmi', '-f', ...pulled], { purpose: 'cleanup', timeoutMs: 60_000 });
    });
    for (const ref of Object.values(unsigned)) await pushImage(made.podman, image, ref);
    return {
      address: registry.address,
      scope,
      unsigned,
      removeLater: (...refs) => {
        for (const ref of refs) pulled.add(ref);
      },
      async pullEach(refs, pull) {
        const result = {} as Record<keyof typeof refs, Evidence>;
        for (const key of Object.keys(refs) as (keyof typeof refs)[]) {
          pulled.add(refs[key]);
          result[key] = await pull(refs[key]);
        }
        return result;
      },
    };
  });
