/**
 * How much slower than a normal host this one is: PODPROOF_TIME_SCALE (a number >= 1, default
 * 1). Every harness bound (command timeouts, waits, a claim's deadline, socat's idle time) is
 * multiplied by it, so a host that runs everything N times slower (a VM under software
 * emulation) gets N times the time. Observations that are timeouts themselves (a connect that
 * a firewall drops) keep their own.
 */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PODPROOF_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1)
    throw new Error(`PODPROOF_TIME_SCALE must be a number >= 1, not ${JSON.stringify(raw)}`);
  return n;
}

/** `ms` on this host's time scale. */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale());
}
