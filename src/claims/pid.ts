import { BUSYBOX } from '../apparatus/images.js';
import type { Claim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { type ProbeSetup, probeArm } from './probe-arm.js';

const show = (pids: number[]) => (pids.length > 8 ? `${pids.slice(0, 8).join(',')},...` : pids.join(','));

/**
 * Treatment check (pure): the container's /proc lists only its own processes: PID 1 (the probe's
 * shell), a handful at most, and never the marker the harness started on the host.
 */
export function checkOwnPidsOnly(s: ProbeSnapshot, markerPid: number): Observation {
  const holds = s.pids.includes(1) && !s.pids.includes(markerPid) && s.pids.length <= 5;
  return {
    holds,
    observed: `container /proc lists ${s.pids.length} pid(s) (${show(s.pids)})${s.pids.includes(markerPid) ? `, including the host marker ${markerPid}` : ''}`,
  };
}

/** Control check (pure): with --pid=host the marker process is visible. */
export function checkSeesMarker(s: ProbeSnapshot, markerPid: number): Observation {
  return {
    holds: s.pids.includes(markerPid),
    observed: `--pid=host lists ${s.pids.length} pids${s.pids.includes(markerPid) ? `, including the marker ${markerPid}` : `, not the marker ${markerPid}`}`,
  };
}

interface PidSetup extends ProbeSetup {
  /**
   * A process on the host, invisible to an isolated container and listed with --pid=host: the
   * harness's own process, alive for the whole run, so every container of the run (the shared
   * default one too) ran while it lived.
   */
  marker: number;
  /** The marker is one of this claim's own (see setup): the treatment then runs its own container too. */
  ownMarker?: boolean;
}

/**
 * Above any PID a probe container's own processes have when it lists /proc: the script lists
 * them before any attempt, having forked one `cat` per file it read (a few dozen at most), so a
 * marker PID at or below this could be one of the container's own numbers. (It was 1000: a freshly
 * booted VM's harness had PID 831, and the row was an error there.)
 */
export const CONTAINER_PIDS = 200;

export const pidIsolated: Claim<PidSetup> = {
  id: 'pid.isolated',
  title: 'a container sees only its own processes',
  source: "/proc/[0-9]* in the container: its own PIDs; with --pid=host, the host's",
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    if (process.pid > CONTAINER_PIDS) return { image, marker: process.pid };
    // the harness is PID 1 (or near it) of a container of its own: a marker started now instead
    const marker = ctx.spawn(['sleep', '600'], { purpose: 'marker process on the host' });
    if (marker.pid <= CONTAINER_PIDS)
      throw new Error(`the marker process got PID ${marker.pid}: a container's own could`);
    return { image, marker: marker.pid, ownMarker: true };
  },
  treatment: probeArm({
    purpose: 'treatment',
    check: (s, { marker }) => checkOwnPidsOnly(s, marker),
    // a marker of its own: its own container, started while the marker lives
    share: (setup) => !setup.ownMarker,
  }),
  control: probeArm({
    purpose: 'control: --pid=host',
    flags: ['--pid=host'],
    check: (s, { marker }) => checkSeesMarker(s, marker),
  }),
};

export const pidClaims: Claim[] = [pidIsolated];
