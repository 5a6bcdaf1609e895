import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { describeEvidence, type EvidenceLog } from '../exec/evidence.js';
import {
  IDENTITY_NAMES,
  type Identity,
  type IdentityName,
  type IdentityResolution,
} from '../exec/identity.js';
import { resolveIdentities } from '../exec/resolve.js';
import { exec, succeeded } from '../exec/run.js';
import type { Session } from '../exec/session.js';
import { which } from '../exec/which.js';
import {
  hasCapBit,
  type OsRelease,
  type PodmanInfoSummary,
  parseOsRelease,
  parsePodmanVersion,
  parseSubid,
  type SubidRange,
  statusField,
  subidRangesFor,
  summarizePodmanInfo,
} from '../parse/host.js';
import { isStaleRootlessState, Podman, STALE_STATE_CAUSE, STORAGE_DRIVER } from '../podman/podman.js';
import { readTextIfAny } from './files.js';

/** What podproof knows about one identity on this host. */
export interface IdentityProfile {
  name: IdentityName;
  available: boolean;
  /** Why the identity cannot be used (when not available). */
  reason?: string;
  user?: string;
  uid?: number;
  /** From `podman info` run as this identity. */
  podman?: PodmanInfoSummary;
  /** Rootless readiness: subordinate ranges and the setuid/file-cap helpers. */
  subuid?: SubidRange[];
  subgid?: SubidRange[];
  newuidmap?: string;
  /** The user manager's `SystemState` (`systemctl --user show`) as this identity (rootless only). */
  systemdUser?: string;
}

/** Everything podproof detected about the host, printed by `podproof doctor`. */
export interface HostProfile {
  /** The machine's name, so merged reports stay readable. */
  hostname: string;
  /** From /etc/os-release (empty where the file is missing). */
  os: OsRelease;
  podman: { path: string; version?: string; error?: string };
  kernel: string;
  cgroup: { version: 'v1' | 'v2' | 'hybrid' | 'unknown' };
  /** PID 1 is systemd (the system manager is available for rootful units). */
  systemdPid1: boolean;
  loginuid: { value: number | undefined; unset: boolean; canSet: boolean };
  /** The kernel's active security modules (/sys/kernel/security/lsm; empty where it has none). */
  securityModules?: string[];
  /** SELinux's mode where the kernel has it (/sys/fs/selinux/enforce: 1 enforcing, 0 permissive). */
  selinuxEnforcing?: boolean;
  /** Ubuntu 23.10+: kernel.apparmor_restrict_unprivileged_userns = 1. */
  apparmorRestrictsUserns: boolean;
  /** /dev/net/tun mode (rootless slirp4netns needs it world-readable). */
  tunMode?: string;
  identities: Record<IdentityName, IdentityProfile>;
}

/** Detect the host: podman, runtime, network backend, cgroups, rootless readiness, systemd, loginuid, AppArmor. */
export async function detectHost(opts: {
  podmanBinary: string;
  session: Session;
  identities?: Record<IdentityName, IdentityResolution>;
  /** Where detection's commands are recorded (the run's log, so its podman time counts). */
  log?: EvidenceLog;
}): Promise<HostProfile> {
  const identities = opts.identities ?? (await resolveIdentities());
  const cgroupFs = existsSync('/sys/fs/cgroup/cgroup.controllers')
    ? 'v2'
    : existsSync('/sys/fs/cgroup/unified/cgroup.controllers')
      ? 'hybrid'
      : existsSync('/sys/fs/cgroup')
        ? 'v1'
        : 'unknown';
  const loginuidText = readTextIfAny('/proc/self/loginuid')?.trim();
  const loginuid = loginuidText ? Number(loginuidText) : undefined;
  const capEff = statusField(readTextIfAny('/proc/self/status') ?? '', 'CapEff') ?? '0';
  const unset = loginuid === undefined || loginuid === 4294967295;
  let tunMode: string | undefined;
  try {
    tunMode = (statSync('/dev/net/tun').mode & 0o777).toString(8).padStart(4, '0');
  } catch {}

  const profiles = {} as Record<IdentityName, IdentityProfile>;
  const subuid = parseSubid(readTextIfAny('/etc/subuid') ?? '');
  const subgid = parseSubid(readTextIfAny('/etc/subgid') ?? '');
  await Promise.all(
    IDENTITY_NAMES.map(async (name) => {
      const r = identities[name];
      if (!r.ok) {
        profiles[name] = { name, available: false, reason: r.reason };
        return;
      }
      profiles[name] = await profileIdentity(r.identity, opts, subuid, subgid);
    }),
  );
  // an identity's `podman info` says the version; asked apart only when none answered (a call
  // fewer per run). `--version`, not `version`: the subcommand sets up a rootless user namespace
  // (a pause process under the default tmpdir) that later podman calls could join
  const answered = IDENTITY_NAMES.map((n) => profiles[n]?.podman?.version).find(Boolean);
  const version = answered
    ? undefined
    : await exec([opts.podmanBinary, '--version'], {
        timeoutMs: 30_000,
        purpose: 'podman --version',
        log: opts.log,
      });
  return {
    hostname: hostname(),
    os: parseOsRelease(readTextIfAny('/etc/os-release') ?? readTextIfAny('/usr/lib/os-release') ?? ''),
    podman: {
      path: opts.podmanBinary,
      version: answered ?? parsePodmanVersion(version?.stdout ?? ''),
      error: !version || succeeded(version) ? undefined : describeEvidence(version),
    },
    kernel: readTextIfAny('/proc/sys/kernel/osrelease')?.trim() ?? 'unknown',
    cgroup: { version: cgroupFs },
    systemdPid1: readTextIfAny('/proc/1/comm')?.trim() === 'systemd',
    // root may set an unset loginuid once per process with CAP_AUDIT_CONTROL (bit 30)
    loginuid: { value: loginuid, unset, canSet: unset && hasCapBit(capEff, 30) },
    securityModules: (readTextIfAny('/sys/kernel/security/lsm') ?? '').trim().split(',').filter(Boolean),
    ...selinuxMode(readTextIfAny('/sys/fs/selinux/enforce')),
    apparmorRestrictsUserns:
      readTextIfAny('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')?.trim() === '1',
    tunMode,
    identities: profiles,
  };
}

async function profileIdentity(
  identity: Identity,
  opts: { podmanBinary: string; session: Session; log?: EvidenceLog },
  subuid: SubidRange[],
  subgid: SubidRange[],
): Promise<IdentityProfile> {
  const podman = new Podman({ binary: opts.podmanBinary, identity, session: opts.session, log: opts.log });
  const info = await podman.cmd(['info', '--format', 'json'], { timeoutMs: 60_000, purpose: 'podman info' });
  const profile: IdentityProfile = {
    name: identity.name,
    available: true,
    user: identity.user,
    uid: identity.uid,
  };
  if (succeeded(info)) {
    try {
      profile.podman = summarizePodmanInfo(info.stdout);
      // the claims' handles share this store (podproof's own): none needs to ask for its driver
      if (profile.podman.graphDriver) podman.remember(STORAGE_DRIVER, profile.podman.graphDriver);
    } catch (err) {
      profile.available = false;
      profile.reason = `podman info printed no JSON: ${(err as Error).message}`;
    }
  } else {
    profile.available = false;
    profile.reason = `podman does not work as ${identity.user}: ${describeEvidence(info)}`;
    // only podproof's own store is reset by podproof (Podman.cmd); the user's is theirs
    if (isStaleRootlessState(info))
      profile.reason += ` (${STALE_STATE_CAUSE}; run \`podman system migrate\` as ${identity.user})`;
  }
  if (identity.name === 'rootless') {
    profile.subuid = subidRangesFor(subuid, identity.user, identity.uid);
    profile.subgid = subidRangesFor(subgid, identity.user, identity.uid);
    profile.newuidmap = which('newuidmap');
    // the manager's own state: `is-system-running` answers "offline" wherever /run/systemd/system
    // is absent, even with a user manager running (a host whose PID 1 is not systemd)
    const sd = await exec(['systemctl', '--user', 'show', '--property=SystemState', '--value'], {
      identity,
      timeoutMs: 15_000,
      purpose: 'systemd user manager?',
    });
    profile.systemdUser = sd.failure ? sd.failure : sd.stdout.trim() || 'no answer';
    if (profile.available && !profile.subuid.length) {
      profile.available = false;
      profile.reason = `no /etc/subuid range for ${identity.user} (run scripts/prepare-host)`;
    }
  }
  return profile;
}

/** SELinux's mode from /sys/fs/selinux/enforce (pure): nothing where the file is missing. */
export function selinuxMode(enforce: string | undefined): { selinuxEnforcing?: boolean } {
  const v = enforce?.trim();
  return v === '1' || v === '0' ? { selinuxEnforcing: v === '1' } : {};
}
