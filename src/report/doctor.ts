import type { IdentityName } from '../exec/identity.js';
import type { HostProfile } from '../host/profile.js';

/** One line of `podproof doctor`: what was checked, its state, and the fix when it is not ok. */
export interface DoctorItem {
  what: string;
  state: 'ok' | 'missing' | 'broken' | 'info';
  detail: string;
  fix?: string;
}

/** What the claims need from the host's tools, and the package that provides each. */
export interface ToolPresence {
  socat?: string;
  registry?: string;
  curl?: string;
  busybox?: string;
}

/**
 * The checklist a person reads (pure): podman itself, each asked-for identity, and what the
 * claims need. `broken` for an asked-for identity makes `doctor` exit non-zero.
 */
export function doctorChecklist(
  host: HostProfile,
  identities: readonly IdentityName[],
  tools: ToolPresence,
): DoctorItem[] {
  const items: DoctorItem[] = [];
  items.push(
    host.podman.version
      ? { what: 'podman', state: 'ok', detail: `${host.podman.version} at ${host.podman.path}` }
      : {
          what: 'podman',
          state: 'broken',
          detail: `${host.podman.path}: ${host.podman.error ?? 'prints no podman version'}`,
          fix: 'install podman (apt-get install podman / dnf install podman), or pass --podman PATH',
        },
  );
  items.push({ what: 'kernel', state: 'info', detail: `${host.kernel}, cgroups ${host.cgroup.version}` });
  for (const name of identities) {
    const p = host.identities[name];
    if (!p.available) {
      items.push({
        what: `${name} podman`,
        state: 'broken',
        detail: p.reason ?? 'unavailable',
        fix:
          name === 'rootful'
            ? 'run as root, or allow `sudo -n` for this user'
            : 'run scripts/prepare-host (creates the rootless user, subuid/subgid ranges, a user manager)',
      });
      continue;
    }
    const info = p.podman;
    items.push({
      what: `${name} podman`,
      state: 'ok',
      detail: `as ${p.user}: runtime ${info?.ociRuntime ?? '?'}, network ${info?.networkBackend ?? '?'}${info?.rootlessNetworkCmd ? ` + ${info.rootlessNetworkCmd}` : ''}, storage ${info?.graphDriver ?? '?'}`,
    });
    if (name === 'rootless') {
      items.push(
        p.subuid?.length && p.subgid?.length
          ? {
              what: 'subordinate ids',
              state: 'ok',
              detail: `uid ${p.subuid.map((r) => `${r.start}+${r.count}`).join(',')}`,
            }
          : {
              what: 'subordinate ids',
              state: 'missing',
              detail: `no /etc/subuid or /etc/subgid range for ${p.user}`,
              fix: `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${p.user}`,
            },
      );
      items.push(
        p.newuidmap
          ? { what: 'newuidmap', state: 'ok', detail: p.newuidmap }
          : {
              what: 'newuidmap',
              state: 'missing',
              detail: 'not on PATH',
              fix: 'install uidmap (shadow-utils on Fedora)',
            },
      );
      const manager = p.systemdUser ?? 'no answer';
      items.push(
        ['running', 'degraded'].includes(manager)
          ? { what: 'systemd user manager', state: 'ok', detail: manager }
          : {
              what: 'systemd user manager',
              state: 'missing',
              detail: `${manager}: the rootless systemd claims are skipped`,
              fix: `loginctl enable-linger ${p.user} (or scripts/prepare-host on a host without systemd as PID 1)`,
            },
      );
      if (host.tunMode && host.tunMode !== '0666' && info?.rootlessNetworkCmd !== 'pasta')
        items.push({
          what: '/dev/net/tun',
          state: 'broken',
          detail: `mode ${host.tunMode}: rootless slirp4netns cannot open it`,
          fix: 'chmod 0666 /dev/net/tun',
        });
    }
  }
  items.push(
    host.systemdPid1
      ? { what: 'systemd (PID 1)', state: 'ok', detail: 'rootful systemd claims can run' }
      : {
          what: 'systemd (PID 1)',
          state: 'info',
          detail: 'PID 1 is not systemd: the rootful systemd claims are skipped',
        },
  );
  items.push({
    what: 'audit loginuid',
    state: host.loginuid.unset && !host.loginuid.canSet ? 'missing' : 'ok',
    detail: host.loginuid.unset
      ? host.loginuid.canSet
        ? 'unset; podproof sets one for the experiment'
        : 'unset, and podproof cannot set one'
      : String(host.loginuid.value),
    ...(host.loginuid.unset && !host.loginuid.canSet
      ? { fix: 'log in through a PAM session with pam_loginuid, or run as root' }
      : {}),
  });
  const tool = (what: string, path: string | undefined, pkg: string, needs: string) =>
    items.push(
      path
        ? { what, state: 'ok', detail: path }
        : { what, state: 'missing', detail: `not found: ${needs}`, fix: `install ${pkg}` },
    );
  tool('busybox (static)', tools.busybox, 'busybox-static', 'every claim builds its image from it');
  tool('curl', tools.curl, 'curl', 'network.egress-blocked uses busybox nc instead');
  tool('socat', tools.socat, 'socat', 'the socket-activation claims are skipped');
  tool(
    'local registry',
    tools.registry,
    'docker-registry (Fedora: docker-distribution)',
    'systemd.pull-blocked is skipped',
  );
  items.push({
    what: 'security modules',
    state: 'info',
    detail: host.securityModules?.length
      ? `${host.securityModules.join(', ')}${host.selinuxEnforcing === false ? ' (SELinux permissive: lsm.selinux-confined is skipped)' : ''}`
      : 'none in this kernel: the lsm.* claims are skipped',
  });
  if (host.apparmorRestrictsUserns)
    items.push({
      what: 'AppArmor userns restriction',
      state: 'info',
      detail:
        'kernel.apparmor_restrict_unprivileged_userns=1: only profiled binaries may create user namespaces',
    });
  return items;
}

/** The checklist as text: one line per item, the fix indented below. */
export function formatChecklist(items: readonly DoctorItem[]): string {
  const width = Math.max(...items.map((i) => i.what.length));
  return items
    .map(
      (i) =>
        `${i.state.padEnd(7)} ${i.what.padEnd(width)}  ${i.detail}${i.fix ? `\n${' '.repeat(9 + width)}fix: ${i.fix}` : ''}`,
    )
    .join('\n');
}
