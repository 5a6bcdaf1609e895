import { scaled } from './time-scale.js';

/**
 * Check `condition` every `intervalMs` until it holds or `timeoutMs` has passed; resolves to
 * whether it held. `timeoutMs` is on the host's time scale (PODPROOF_TIME_SCALE). The condition is checked once more at the deadline. An aborted `signal`
 * (SIGINT, a claim's deadline) ends the wait at once with `false`.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + scaled(timeoutMs);
  for (;;) {
    if (signal?.aborted) return false;
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(intervalMs, Math.max(0, deadline - Date.now())));
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
