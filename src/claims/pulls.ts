import type { Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import type { ClaimContext } from '../experiment/types.js';

/** Images in a claim's local registry that each arm pulls under its own policy. */
export interface ArmPulls<K extends string> {
  refs: Record<K, string>;
  /**
   * Pull every reference (in order, with `pull`), then remove them all, so the next arm pulls
   * afresh from the registry and not from the local store.
   */
  pullEach(pull: (ref: string) => Promise<Evidence>): Promise<Record<K, Evidence>>;
}

/**
 * {@link ArmPulls} for `refs`. The claim's cleanup removes the pulled images only when an arm was
 * cut short before its own removal (each removal is one `rmi` of them all).
 */
export function armPulls<K extends string>(ctx: ClaimContext, refs: Record<K, string>): ArmPulls<K> {
  let left = false;
  const removeAll = () =>
    ctx.podman.cmd(['rmi', '-f', ...Object.values<string>(refs)], { purpose: 'cleanup', timeoutMs: 60_000 });
  ctx.defer('remove the pulled images', async () => {
    if (left) await removeAll();
  });
  return {
    refs,
    async pullEach(pull) {
      left = true;
      const pulled = {} as Record<K, Evidence>;
      for (const key of Object.keys(refs) as K[]) pulled[key] = await pull(refs[key]);
      left = !succeeded(await removeAll());
      return pulled;
    },
  };
}
