import { dirname } from 'node:path';
import { BUSYBOX } from '../apparatus/images.js';
import { type Claim, OutputNotExplained, SkipClaim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { attemptOf, brokeItself, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { checkEach, imageOf, type ProbeSetup, probeArm, probesArm } from './probe-arm.js';

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

/** Where the host directory is mounted in the container, and what its file says. */
export const SELINUX_VOLUME_AT = '/podproof-selinux';
const MARKER_FILE = 'marker';

/** The container's SELinux label as its own process reads it, and the host file on the volume. */
export const SELINUX_ATTEMPTS: Attempt[] = [
  { name: 'selinux-label', argv: ['cat', '/proc/self/attr/current'] },
  { name: 'read-volume', argv: ['cat', `${SELINUX_VOLUME_AT}/${MARKER_FILE}`] },
];

/** An SELinux context `user:role:type:level` (pure); undefined for anything else. */
export function parseSelinuxContext(
  text: string,
): { user: string; role: string; type: string; level: string } | undefined {
  const m = /^([\w.-]+):([\w.-]+):([\w.-]+):(s\d+(?:-s\d+)?(?::[\w.,-]+)?)$/.exec(
    text.replace(/\0/g, '').trim(),
  );
  return m ? { user: m[1] ?? '', role: m[2] ?? '', type: m[3] ?? '', level: m[4] ?? '' } : undefined;
}

/** The MCS categories of a level (`s0:c12,c345` -> `c12,c345`), pure; empty without any. */
export const categoriesOf = (level: string): string => /:(c[\d.,c-]+)$/.exec(level)?.[1] ?? '';

/** The label and the read of the host file, as one container saw them (pure). */
export function labelAndRead(
  s: ProbeSnapshot,
  marker: string,
): { label: string; type: string; categories: string; read: boolean; refused: boolean; line: string } {
  const label = attemptOf(s, 'selinux-label');
  const read = attemptOf(s, 'read-volume');
  // cat failing is exit 1; 126/127 (not run) and a signal are the attempt's own breakage
  for (const [what, a] of [
    ['the label read', label],
    ['the volume read', read],
  ] as const)
    if (a.exitCode !== 1 && brokeItself(a))
      throw new OutputNotExplained(`${what} did not run: exit ${a.exitCode}: ${lastLineOf(a)}`);
  const text = label.exitCode === 0 ? lastLineOf(label).replace(/\0/g, '') : '(unreadable)';
  const context = parseSelinuxContext(text);
  const ok = read.exitCode === 0 && read.text.includes(marker);
  return {
    label: text,
    type: context?.type ?? '',
    categories: context ? categoriesOf(context.level) : '',
    read: ok,
    // the refusal itself: EACCES ("Permission denied"), never a missing file or a crash
    refused: read.exitCode === 1 && /[Pp]ermission denied/.test(read.text),
    line: ok ? 'read it' : lastLineOf(read),
  };
}

/** The confined type podman's policy runs containers as (Fedora's container-selinux and refpolicy's container module alike). */
export const CONTAINER_TYPE = 'container_t';

/**
 * Treatment check (pure): both containers run as container_t, each with MCS categories of its
 * own; the host file on a volume without relabelling is refused (EACCES), and the same file on
 * a volume with `:Z` (relabelled for that container) is read.
 */
export function checkSelinuxConfined([plain, relabelled]: ProbeSnapshot[], marker: string): Observation {
  if (!plain || !relabelled) return { holds: false, observed: 'two containers expected' };
  const a = labelAndRead(plain, marker);
  const b = labelAndRead(relabelled, marker);
  return {
    holds:
      a.type === CONTAINER_TYPE &&
      b.type === CONTAINER_TYPE &&
      a.categories !== '' &&
      b.categories !== '' &&
      a.categories !== b.categories &&
      !a.read &&
      a.refused &&
      b.read,
    observed: `volume without relabelling: label ${a.label}, host file: ${a.line}; volume :Z: label ${b.label}, host file: ${b.line}`,
  };
}

/** Control check (pure): with label=disable the container is not container_t and reads the file. */
export function checkLabelDisabledReads(s: ProbeSnapshot, marker: string): Observation {
  const c = labelAndRead(s, marker);
  return {
    holds: c.type !== CONTAINER_TYPE && c.read,
    observed: `--security-opt label=disable: label ${c.label}, host file: ${c.line}`,
  };
}

interface SelinuxSetup extends ProbeSetup {
  /** Two host dirs with the same marker file: one mounted as it is, one with `:Z`. */
  plain: string;
  relabel: string;
  marker: string;
}

const volumeAt = (dir: string, options: string) => `--volume=${dir}:${SELINUX_VOLUME_AT}:${options}`;

export const selinuxConfined: Claim<SelinuxSetup, ProbeSnapshot[]> = {
  id: 'lsm.selinux-confined',
  title:
    'a container runs as container_t with MCS categories of its own: a host file on a volume is refused unless relabelled (:Z)',
  source:
    'Red Hat, "Use SELinux or AppArmor"; the socket-activation article\'s `--security-opt label=disable` workaround; podman-run(1) --volume :z/:Z and --security-opt label=disable',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  needs: (host) =>
    !host.securityModules?.includes('selinux')
      ? `needs SELinux as a security module of the kernel (/sys/kernel/security/lsm: ${host.securityModules?.join(',') || 'none'})`
      : host.selinuxEnforcing === false
        ? 'SELinux is permissive here (/sys/fs/selinux/enforce: 0): nothing is refused; run `setenforce 1`'
        : undefined,
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    const marker = ctx.session.name('selinux-marker');
    // two dirs: `:Z` relabels its own, the other keeps its host label (a temp dir's)
    const dirOf = (what: string) =>
      dirname(
        ctx.session.tempFiles(what, { [MARKER_FILE]: `${marker}\n` }, { owner: ctx.identity })[MARKER_FILE],
      );
    return { image, marker, plain: dirOf('selinux-plain'), relabel: dirOf('selinux-relabel') };
  },
  treatment: probesArm<SelinuxSetup>({
    purpose: "treatment: podman's default labels",
    variants: ({ plain, relabel }) => [
      { label: 'volume as it is', flags: [volumeAt(plain, 'ro')], attempts: SELINUX_ATTEMPTS },
      { label: 'volume relabelled (:Z)', flags: [volumeAt(relabel, 'ro,Z')], attempts: SELINUX_ATTEMPTS },
    ],
    check: (snapshots, { marker }) => checkSelinuxConfined(snapshots, marker),
  }),
  // the treatment's first container with label=disable (one container: judged alone)
  control: probesArm<SelinuxSetup>({
    purpose: 'control: --security-opt label=disable',
    variants: ({ plain }) => [
      {
        label: 'volume as it is',
        flags: [volumeAt(plain, 'ro'), '--security-opt=label=disable'],
        attempts: SELINUX_ATTEMPTS,
      },
    ],
    check: (snapshots, { marker }) => checkEach(snapshots, [marker], (m, s) => checkLabelDisabledReads(s, m)),
  }),
};

export const lsmClaims: Claim[] = [apparmorConfined, selinuxConfined];
