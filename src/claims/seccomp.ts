import { PRIVS } from '../apparatus/images.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { attemptOf, brokeItself, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

/**
 * personality(ADDR_NO_RANDOMIZE) through setarch: an unprivileged syscall the kernel allows, but
 * podman's default seccomp profile permits personality() only for a few values (it answers
 * ENOSYS or EPERM for the rest, depending on the profile's errno).
 */
export const PERSONALITY: Attempt = { name: 'personality', argv: ['setarch', '-R', 'true'] };

const personality = (s: ProbeSnapshot) => {
  const a = attemptOf(s, PERSONALITY.name);
  if (brokeItself(a))
    throw new OutputNotExplained(`setarch did not run: exit ${a.exitCode}: ${lastLineOf(a)}`);
  return a;
};

/** The refusal seccomp gives: the profile's errno, nothing else (a crash or a missing binary is not it). */
const REFUSED = /failed to set personality.*(Function not implemented|Operation not permitted)/;

const mode = (s: ProbeSnapshot) => (s.seccomp === undefined ? 'no Seccomp line' : `Seccomp: ${s.seccomp}`);

/** Treatment check (pure): a seccomp filter is installed (mode 2) and it refuses the syscall. */
export function checkFiltered(s: ProbeSnapshot): Observation {
  const a = personality(s);
  const refused = a.exitCode !== 0 && REFUSED.test(a.text);
  return {
    holds: s.seccomp === 2 && refused,
    observed: `${mode(s)}; personality(ADDR_NO_RANDOMIZE): ${a.exitCode === 0 ? 'allowed' : lastLineOf(a)}`,
  };
}

/** Control check (pure): unconfined, no filter (mode 0) and the same syscall succeeds. */
export function checkUnfiltered(s: ProbeSnapshot): Observation {
  const a = personality(s);
  return {
    holds: s.seccomp === 0 && a.exitCode === 0,
    observed: `${mode(s)}; personality(ADDR_NO_RANDOMIZE): ${a.exitCode === 0 ? 'allowed' : lastLineOf(a)}`,
  };
}

export const seccompDefault: Claim<ProbeSetup> = {
  id: 'seccomp.default',
  title: "a container runs under podman's seccomp filter, which refuses syscalls outside its profile",
  source:
    'podman test/system/070-build.bats "check_seccomp_ulimits": Seccomp:2 by default, Seccomp:0 with --security-opt seccomp=unconfined; containers/common seccomp.json allows personality() for 5 values only',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: imageOf(PRIVS),
  treatment: probeArm({ purpose: 'treatment: default', attempts: [PERSONALITY], check: checkFiltered }),
  control: probeArm({
    purpose: 'control: seccomp=unconfined',
    flags: ['--security-opt=seccomp=unconfined'],
    attempts: [PERSONALITY],
    check: checkUnfiltered,
  }),
};

export const seccompClaims: Claim[] = [seccompDefault];
