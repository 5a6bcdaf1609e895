import { BUSYBOX } from '../apparatus/images.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { describeMount, mountAt } from '../parse/mounts.js';
import { attemptOf, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { type ProbeSetup, probeArm } from './probe-arm.js';

/** Where the volume is mounted in the container, and the binary on it. */
export const VOLUME_AT = '/podproof-vol';
export const RUN_FROM_VOLUME: Attempt = { name: 'exec', argv: [`${VOLUME_AT}/busybox`, 'true'] };

function execRun(s: ProbeSnapshot) {
  const a = attemptOf(s, RUN_FROM_VOLUME.name);
  // 127 is "not found": the volume or the binary is missing, which says nothing about noexec
  if (a.exitCode === 127)
    throw new OutputNotExplained(`the binary on the volume was not found: ${lastLineOf(a)}`);
  return {
    ran: a.exitCode === 0,
    denied: a.exitCode === 126 && /Permission denied/.test(a.text),
    line: lastLineOf(a),
  };
}

const flags = (s: ProbeSnapshot) => mountAt(s.mounts, VOLUME_AT);

/** Treatment check (pure): the volume is mounted noexec and its binary fails with exit 126, Permission denied. */
export function checkNoExec(s: ProbeSnapshot): Observation {
  const m = flags(s);
  const r = execRun(s);
  return {
    holds: m?.options.includes('noexec') === true && r.denied,
    observed: `${describeMount(m, VOLUME_AT)}; ${RUN_FROM_VOLUME.argv.join(' ')}: ${r.ran ? 'ran' : r.line}`,
  };
}

/** Control check (pure): without noexec the same binary runs. */
export function checkExecs(s: ProbeSnapshot): Observation {
  const m = flags(s);
  const r = execRun(s);
  return {
    holds: m !== undefined && !m.options.includes('noexec') && r.ran,
    observed: `${describeMount(m, VOLUME_AT)}; ${RUN_FROM_VOLUME.argv.join(' ')}: ${r.ran ? 'ran' : r.line}`,
  };
}

interface VolumeSetup extends ProbeSetup {
  /** A host directory (a session temp dir) holding an executable copy of busybox. */
  dir: string;
}

/** `--volume` for the directory; label=disable so SELinux, the same in both arms, does not decide. */
const volumeFlags =
  (options: string) =>
  ({ dir }: VolumeSetup) => [`--volume=${dir}:${VOLUME_AT}:${options}`, '--security-opt=label=disable'];

export const volumeNoexec: Claim<VolumeSetup> = {
  id: 'volume.noexec',
  title: 'a binary on a volume mounted noexec cannot be run (exit 126)',
  source:
    'podman-run(1) --volume option noexec; podman test/system/060-mount.bats and 160-volumes.bats mount options',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    // busybox is static: it runs in any container
    return { image, dir: ctx.session.tempCopies('volume', { busybox: '/bin/busybox' }) };
  },
  treatment: probeArm({
    purpose: 'treatment: volume ro,noexec',
    flags: volumeFlags('ro,noexec'),
    attempts: [RUN_FROM_VOLUME],
    check: checkNoExec,
  }),
  control: probeArm({
    purpose: 'control: volume ro',
    flags: volumeFlags('ro'),
    attempts: [RUN_FROM_VOLUME],
    check: checkExecs,
  }),
};

export const volumeClaims: Claim[] = [volumeNoexec];
