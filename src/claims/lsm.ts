import { BUSYBOX } from '../apparatus/images.js';
import { type Claim, OutputNotExplained, SkipClaim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { attemptOf, brokeItself, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { imageOf, type ProbeSetup, probeArm } from './probe-arm.js';

/**
 * The container's AppArmor label, as its own process reads it (the AppArmor-specific file where the
 * kernel has it, else the shared one), and a tmpfs mount the container's other settings allow:
 * `--cap-add=SYS_ADMIN` in both arms, and podman's default seccomp profile lets mount(2) through
 * when the container has that capability. Only the AppArmor profile (`deny mount,`) is left to
 * refuse it.
 */
export const LSM_ATTEMPTS: Attempt[] = [
  {
    name: 'apparmor-label',
    argv: ['sh', '-c', 'cat /proc/self/attr/apparmor/current 2>/dev/null || cat /proc/self/attr/current'],
  },
  {
    name: 'mount-tmpfs',
    argv: [
      'sh',
      '-c',
      'mkdir -p /tmp/podproof-mnt && mount -t tmpfs podproof /tmp/podproof-mnt && echo mounted',
    ],
  },
];

/** Both arms: the capability that would let the mount through. */
export const CAP_SYS_ADMIN = '--cap-add=SYS_ADMIN';

/** The label and the mount, as the probe saw them (pure). */
export function confinement(s: ProbeSnapshot): {
  label: string;
  mounted: boolean;
  refused: boolean;
  line: string;
} {
  const label = attemptOf(s, 'apparmor-label');
  const mount = attemptOf(s, 'mount-tmpfs');
  // busybox's applets fail with 255; 126/127 (not run) and a signal are the attempt's own breakage
  const broke = (a: typeof mount) => a.exitCode !== 255 && brokeItself(a);
  for (const [what, a] of [
    ['the label read', label],
    ['the mount', mount],
  ] as const)
    if (broke(a)) throw new OutputNotExplained(`${what} did not run: exit ${a.exitCode}: ${lastLineOf(a)}`);
  return {
    label: label.exitCode === 0 ? lastLineOf(label) : '(unreadable)',
    mounted: mount.exitCode === 0 && /^mounted$/m.test(mount.text),
    // busybox says this for EACCES (AppArmor's refusal) and EPERM alike: the control, the same
    // container unconfined, tells which (it mounts), and the label shows the profile enforced
    refused: mount.exitCode !== 0 && /[Pp]ermission denied/.test(mount.text),
    line: mount.exitCode === 0 ? 'mounted' : lastLineOf(mount),
  };
}

/** An AppArmor profile in enforce mode, by its label (`NAME (enforce)`), not `unconfined` (pure). */
export const enforcedProfile = (label: string): string | undefined => /^(\S+) \(enforce\)$/.exec(label)?.[1];

/**
 * No AppArmor confinement (pure): `unconfined`, or a profile in unconfined mode, such as the one
 * Debian 13's apparmor attaches to crun (`crun (unconfined)`), which a container started by crun
 * keeps when podman gives it no profile of its own.
 */
export const unconfinedLabel = (label: string): boolean =>
  label === 'unconfined' || /^\S+ \(unconfined\)$/.test(label);

/**
 * Treatment check (pure): the container runs under an enforced AppArmor profile and the mount is
 * refused ("permission denied"), where nothing else the container has would refuse it.
 */
export function checkConfined(s: ProbeSnapshot): Observation {
  const c = confinement(s);
  const profile = enforcedProfile(c.label);
  return {
    holds: profile !== undefined && profile !== 'unconfined' && !c.mounted && c.refused,
    observed: `AppArmor label: ${c.label}; tmpfs mount with CAP_SYS_ADMIN: ${c.line}`,
  };
}

/** Control check (pure): unconfined (or a profile in unconfined mode), the same container mounts the tmpfs. */
export function checkUnconfinedMounts(s: ProbeSnapshot): Observation {
  const c = confinement(s);
  return {
    holds: unconfinedLabel(c.label) && c.mounted,
    observed: `--security-opt apparmor=unconfined: label ${c.label}; tmpfs mount: ${c.line}`,
  };
}

const treatmentArm = probeArm<ProbeSetup>({
  purpose: 'treatment: the default AppArmor profile',
  flags: [CAP_SYS_ADMIN],
  attempts: LSM_ATTEMPTS,
  check: checkConfined,
});

export const apparmorConfined: Claim<ProbeSetup> = {
  id: 'lsm.apparmor-confined',
  title:
    "a container runs under podman's default AppArmor profile, which refuses a mount its capabilities and seccomp allow",
  source:
    'Red Hat, "Use SELinux or AppArmor: ensure that system security tools are running"; containers/common apparmor profile template (`deny mount,`); podman-run(1) --security-opt apparmor=unconfined',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  needs: (host) =>
    host.securityModules?.includes('apparmor')
      ? undefined
      : `needs AppArmor as a security module of the kernel (/sys/kernel/security/lsm: ${host.securityModules?.join(',') || 'none'})`,
  setup: imageOf(BUSYBOX),
  treatment: {
    ...treatmentArm,
    async observe(ctx, setup) {
      const s = await treatmentArm.observe(ctx, setup);
      // podman loads and applies AppArmor profiles as root only (containers/common: "skipping
      // loading default AppArmor profile (rootless mode)"): said where it is observed, not assumed
      const label = confinement(s).label;
      if (ctx.identity.name === 'rootless' && unconfinedLabel(label))
        throw new SkipClaim(
          `podman applied no AppArmor profile to the rootless container (its label: ${label}, no confinement): podman confines rootful containers only`,
        );
      return s;
    },
  },
  control: probeArm({
    purpose: 'control: --security-opt apparmor=unconfined',
    flags: [CAP_SYS_ADMIN, '--security-opt=apparmor=unconfined'],
    attempts: LSM_ATTEMPTS,
    check: checkUnconfinedMounts,
  }),
};

export const lsmClaims: Claim[] = [apparmorConfined];
