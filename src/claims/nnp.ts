import { PRIVS, SUID_CAT } from '../apparatus/images.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { attemptOf, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

/** A non-root user: the setuid-root binary would raise its effective uid to 0. */
export const NNP_USER = '1000:1000';

/** The setuid-root cat reads its own status: the Uid line shows real and effective uid. */
export const SUID_STATUS: Attempt = { name: 'suid-status', argv: [SUID_CAT, '/proc/self/status'] };

/** `Uid:` of /proc/self/status: real, effective, saved, filesystem (pure). */
export function parseUidLine(status: string): { real: number; effective: number } | undefined {
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  return m ? { real: Number(m[1]), effective: Number(m[2]) } : undefined;
}

/** What the setuid binary ran as; a run that printed no Uid line is a harness error. */
function setuidRun(s: ProbeSnapshot) {
  const a = attemptOf(s, SUID_STATUS.name);
  const uid = a.exitCode === 0 ? parseUidLine(a.text) : undefined;
  if (!uid)
    throw new OutputNotExplained(`the setuid binary did not run: exit ${a.exitCode}: ${lastLineOf(a)}`);
  return uid;
}

const nnp = (s: ProbeSnapshot) =>
  s.noNewPrivs === undefined ? 'no NoNewPrivs line' : `NoNewPrivs: ${s.noNewPrivs ? 1 : 0}`;

/** Treatment check (pure): NoNewPrivs is set and the setuid-root binary keeps the user's uid. */
export function checkNoEscalation(s: ProbeSnapshot): Observation {
  const uid = setuidRun(s);
  return {
    holds: s.noNewPrivs === true && uid.real !== 0 && uid.effective === uid.real,
    observed: `${nnp(s)}; setuid-root binary ran with uid ${uid.real}, euid ${uid.effective}`,
  };
}

/** Control check (pure): without the option the same binary runs with effective uid 0. */
export function checkEscalates(s: ProbeSnapshot): Observation {
  const uid = setuidRun(s);
  return {
    holds: s.noNewPrivs === false && uid.real !== 0 && uid.effective === 0,
    observed: `${nnp(s)}; setuid-root binary ran with uid ${uid.real}, euid ${uid.effective}`,
  };
}

export const noNewPrivileges: Claim<ProbeSetup> = {
  id: 'nnp.no-new-privileges',
  title: '--security-opt no-new-privileges stops a setuid-root binary from raising a user to root',
  source:
    'podman test/e2e/run_privileged_test.go "run no-new-privileges test": NoNewPrivs 0 by default, 1 with --security-opt no-new-privileges; a setuid-root binary run by --user 1000',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  setup: imageOf(PRIVS),
  treatment: probeArm({
    purpose: 'treatment: --security-opt=no-new-privileges',
    flags: [`--user=${NNP_USER}`, '--security-opt=no-new-privileges'],
    attempts: [SUID_STATUS],
    check: checkNoEscalation,
  }),
  control: probeArm({
    purpose: 'control: without no-new-privileges',
    flags: [`--user=${NNP_USER}`],
    attempts: [SUID_STATUS],
    check: checkEscalates,
  }),
};

export const nnpClaims: Claim[] = [noNewPrivileges];
