// The host kinds test:vm boots (issue 25): Debian suites that stand for what users run, each an
// image built from Debian's archive by the same recipe (vm/image/packages, vm/image/customize)
// with what the kind changes. Fedora's and Ubuntu's archives are not reachable from here.

/** A host kind: the suite and what the kind changes of the common recipe. */
export interface HostKind {
  name: KindName;
  /** What the kind stands for, and what it does not share with it (the matrix says it). */
  about: string;
  /** The Debian suite mmdebstrap builds. */
  suite: string;
  /**
   * A suite whose Release file is valid a week only (testing, unstable): checked for its
   * signature but not its Valid-Until, as forky's is (a mirror or cache a few weeks behind, as
   * this build machine's is, would otherwise refuse the whole build).
   */
  rolling?: boolean;
  /** Packages added to, and taken from, vm/image/packages. */
  add: string[];
  drop: string[];
  /** A package taken from another suite (apt pins it; every other package stays the kind's). */
  from?: { suite: string; packages: string[] };
  /** The host's node binary is copied in: the suite's nodejs is older than podproof needs (20). */
  hostNode?: boolean;
  /** More mmdebstrap customize hooks (after vm/image/customize), `$1` the new root. */
  hooks: string[];
  /** Customize hooks before vm/image/customize (which takes the resolver away: apt needs it). */
  firstHooks?: string[];
  /** Label the unpacked tree with the policy's file contexts before the disk is made. */
  selinuxLabel?: boolean;
  /** The security module the kind boots with; its claims are required proven there as root. */
  securityModule: 'apparmor' | 'selinux';
  /** Kernel arguments besides the root and console ones. */
  kernelArgs: string[];
  /** Guest steps (vm/check.ts STEPS) this kind cannot run, and why. */
  without?: { steps: string[]; why: string };
}

export const KIND_NAMES = ['trixie', 'sid', 'bookworm', 'sid-selinux'] as const;
export type KindName = (typeof KIND_NAMES)[number];

/**
 * Debian 13's crun 1.21 cannot set up a container's loopback inside a service with
 * RestrictAddressFamilies=AF_UNIX AF_NETLINK (containers/crun#1828, fixed in 1.23), which refutes
 * the articles' restricted service there; users' podman 5 hosts run crun >= 1.23. So trixie takes
 * crun alone from forky unless PODPROOF_VM_CRUN=trixie (vm/waivers-trixie-crun.json then applies).
 */
const TRIXIE_CRUN = { suite: 'forky', packages: ['crun'] };

/** A customize hook naming the guest after its kind (the merged matrix's columns are hostnames). */
const hostname = (kind: string) =>
  `printf 'podproof-vm-${kind}\\n' >"$1/etc/hostname" && sed -i 's/podproof-vm$/podproof-vm-${kind}/' "$1/etc/hosts"`;

/**
 * sid's refpolicy does not boot sid's systemd 262 enforcing (PID 1 is refused its init_t
 * transition, the 9p shares cannot be mounted, journald, logind, udev and tmpfiles are denied):
 * every domain but the containers' own, container_t, is made permissive by a CIL module
 * (`typepermissive`), so the system runs and logs its denials while container_t stays enforced,
 * which is what the claims observe.
 */
const PERMISSIVE_BUT_CONTAINERS = `chroot "$1" sh -c 'seinfo -adomain -x /etc/selinux/default/policy/policy.* | sed -n "s/^[[:space:]]*\\([a-z0-9_]*_t\\)$/\\1/p" | grep -vx container_t | sed "s/.*/(typepermissive &)/" >/tmp/podproof-permissive.cil; semodule -n -i /tmp/podproof-permissive.cil && rm /tmp/podproof-permissive.cil'`;

const SID_ABOUT =
  "podman 5.8 with pasta, netavark and crun from Debian sid: the closest to Fedora's podman 5.8 that can be built here. Not shared with Fedora: SELinux (sid boots AppArmor; see sid-selinux), Fedora's containers-common defaults and its kernel";

export const KINDS: Record<KindName, HostKind> = {
  trixie: {
    name: 'trixie',
    about:
      'Debian 13: podman 5.4 with pasta, crun 1.28 from forky, systemd as PID 1, cgroup v2, AppArmor as Debian boots it',
    suite: 'trixie',
    add: [],
    drop: [],
    from: TRIXIE_CRUN,
    hooks: [],
    securityModule: 'apparmor',
    kernelArgs: [],
  },
  sid: {
    name: 'sid',
    about: SID_ABOUT,
    suite: 'sid',
    rolling: true,
    add: [],
    drop: [],
    hooks: [hostname('sid')],
    securityModule: 'apparmor',
    kernelArgs: [],
  },
  bookworm: {
    name: 'bookworm',
    about:
      "Debian 12: podman 4.3.1, crun 1.8, systemd as PID 1, cgroup v2, AppArmor: the older stack, near GitHub's ubuntu-24.04 runners (podman 4.9.3). Not shared with them: Ubuntu's AppArmor profiles and podman's 4.4-4.9 changes (Quadlet came in 4.4: the Quadlet step is not run)",
    suite: 'bookworm',
    add: ['libstdc++6'],
    // bookworm's nodejs is 18: podproof needs 20 (the host's is copied in)
    drop: ['nodejs'],
    hostNode: true,
    without: { steps: ['quadlet'], why: 'podman 4.3 has no Quadlet (it came in 4.4)' },
    hooks: [hostname('bookworm')],
    securityModule: 'apparmor',
    kernelArgs: [],
  },
  'sid-selinux': {
    name: 'sid-selinux',
    about: `${SID_ABOUT.split('. Not shared')[0]}, with SELinux enforcing for containers (refpolicy with its container module, the filesystem labelled at build time, SELinux the major module; every other domain permissive: sid's refpolicy does not boot sid's systemd enforcing). Not shared with Fedora: Fedora's own policy (container-selinux), of which refpolicy's container module is an older relative`,
    suite: 'sid',
    rolling: true,
    add: ['policycoreutils', 'selinux-utils', 'setools'],
    drop: ['apparmor'],
    // the policy is installed by a hook: its postinst disables modules by a list that names one
    // sid no longer ships (likewise, in 2:2.20261022-1), and `semodule -d` of a missing module
    // fails the whole install; the hook drops the names the package does not have, then
    // configures it. Enforcing from the first boot; the tree is labelled on the host before the
    // disk is made (an unprivileged mmdebstrap cannot write security.* attributes)
    firstHooks: [
      `chroot "$1" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q selinux-policy-default >/dev/null 2>&1; f=/var/lib/dpkg/info/selinux-policy-default.postinst; for m in $(sed -n "s/^notdefault=\\"\\(.*\\)\\"$/\\1/p" $f); do grep -qx "$m" /usr/share/selinux/default/.modules || sed -i "/^notdefault=/s/\\b$m\\b//" $f; done; dpkg --configure -a'`,
      PERMISSIVE_BUT_CONTAINERS,
    ],
    hooks: [
      hostname('sid-selinux'),
      'sed -i "s/^SELINUX=.*/SELINUX=enforcing/" "$1/etc/selinux/config"',
      // 9p has no labels: its files would be unlabeled_t, which no file may be created as
      // ("associate" denied to a type, not a domain); the shares are labelled as tmpfs is
      'sed -i "s/version=9p2000.L/version=9p2000.L,context=system_u:object_r:tmpfs_t:s0/g" "$1/etc/systemd/system/podproof-vm.service"',
    ],
    selinuxLabel: true,
    securityModule: 'selinux',
    kernelArgs: ['security=selinux', 'selinux=1', 'enforcing=1'],
  },
};

/** The kind `--kind NAME` or PODPROOF_VM_KIND names (default trixie); `all` is every kind; anything else is named. */
export function kindsAsked(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): HostKind[] {
  const i = argv.indexOf('--kind');
  const flag = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--kind='))?.slice('--kind='.length);
  const name = flag ?? env.PODPROOF_VM_KIND ?? 'trixie';
  if (name === 'all') return KIND_NAMES.map((k) => KINDS[k]);
  if (!(KIND_NAMES as readonly string[]).includes(name))
    throw new Error(`--kind ${name}: expected one of ${KIND_NAMES.join(', ')}, or all`);
  return [KINDS[name as KindName]];
}

/** The kind's package list from the common one (pure): its drops removed, its adds appended. */
export function kindPackages(kind: HostKind, common: readonly string[]): string[] {
  return [...common.filter((p) => !kind.drop.includes(p)), ...kind.add.filter((p) => !common.includes(p))];
}
