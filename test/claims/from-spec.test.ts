import { describe, expect, it } from 'vitest';
import {
  capName,
  checkKeepsId,
  checkMountFlag,
  checkRootIsOwn,
  checkRootReadOnly,
  checkRootRemapped,
  checkRootWritable,
  checkRunsAs,
  checkRunsAsOther,
  expectedBounding,
  leftOpen,
  originSlug,
  probeOptions,
  specClaims,
} from '../../src/claims/from-spec.js';
import { checkMasked, checkUnmasked } from '../../src/claims/proc.js';
import { VOLUME_AT } from '../../src/claims/volume.js';
import { claimProblems } from '../../src/experiment/define.js';
import { fromRunArgs, hostVolumes, replacingOption } from '../../src/parse/container-spec.js';
import type { ProbeSnapshot } from '../../src/probe/snapshot.js';
import { observed } from '../support/observations.js';

const HARDENED = [
  '--name=web',
  '--rm',
  '-p',
  '8080:80',
  '--network=none',
  '--cap-drop=ALL',
  '--cap-add=CAP_NET_BIND_SERVICE',
  '--read-only',
  '--security-opt',
  'no-new-privileges',
  '--user',
  '1000:1000',
  '-v',
  'data:/data',
  '--pids-limit=100',
  'localhost/web:1',
];

describe('specClaims: one row per setting, its control the spec without it', () => {
  const { claims, notProven } = specClaims(fromRunArgs(HARDENED, 'web.container'));
  it('derives the rows podproof proves, named for the spec', () => {
    expect(claims.map((c) => c.id)).toEqual([
      'web-container.network-none',
      'web-container.capabilities',
      'web-container.read-only',
      'web-container.no-new-privileges',
      'web-container.user',
    ]);
    for (const c of claims) expect(claimProblems(c)).toEqual([]);
    expect(claims[0]?.title).toBe('web.container: --network=none leaves only the loopback interface');
  });
  it('lists every other option with why, never silently', () => {
    expect(notProven).toEqual([
      "--name=web: not used by the probe (the harness's own, or it would change the host)",
      "--rm: not used by the probe (the harness's own, or it would change the host)",
      "--publish=8080:80: not used by the probe (the harness's own, or it would change the host)",
      "--volume=data:/data: not used by the probe (the harness's own, or it would change the host)",
      '--pids-limit=100: not a setting podproof proves yet',
    ]);
  });
  it('runs the probe without the harness-owned options and named volumes', () => {
    expect(probeOptions(fromRunArgs(HARDENED))).toEqual([
      '--network=none',
      '--cap-drop=ALL',
      '--cap-add=CAP_NET_BIND_SERVICE',
      '--read-only',
      '--security-opt=no-new-privileges',
      '--user=1000:1000',
      '--pids-limit=100',
    ]);
  });
  it('a user name, --cap-add=all and other networks are listed as not proven', () => {
    const r = specClaims(fromRunArgs(['--user=web', '--cap-add=all', '--network=host', 'img']));
    expect(r.claims).toEqual([]);
    expect(r.notProven).toHaveLength(3);
  });
  it('names rows after the origin', () => {
    expect(originSlug('Web.Container')).toBe('web-container');
    expect(originSlug('***')).toBe('spec');
  });
});

describe('derived checks', () => {
  it('the bounding set: drops, ALL, adds', () => {
    const base = ['chown', 'kill', 'net_bind_service'];
    expect(expectedBounding(base, ['kill'], [])).toEqual(['chown', 'net_bind_service']);
    expect(expectedBounding(base, ['all'], ['net_raw'])).toEqual(['net_raw']);
    expect(capName('CAP_NET_RAW')).toBe('net_raw');
  });
  it.each(['rootful', 'rootless'] as const)('read-only and user checks fail on the other arm (%s)', (id) => {
    // rootfs.read-only's captured arms: --read-only and the default
    const { treatment, control } = observed<unknown, ProbeSnapshot>('rootfs.read-only', id);
    expect(checkRootReadOnly(treatment).holds).toBe(true);
    expect(checkRootReadOnly(control).holds).toBe(false);
    expect(checkRootWritable(control).holds).toBe(true);
    expect(checkRootWritable(treatment).holds).toBe(false);
    expect(checkRunsAs(control, 0, 0).holds).toBe(true);
    expect(checkRunsAs(control, 1000, undefined).holds).toBe(false);
    expect(checkRunsAsOther(control, 0).holds).toBe(false);
  });
});

describe('leftOpen: what a spec does not restrict, as its container showed it', () => {
  it.each(['rootful', 'rootless'] as const)(
    'a default container leaves five open, rootful six (%s)',
    (id) => {
      const { control } = observed<unknown, ProbeSnapshot>('network.loopback-only', id);
      const open = leftOpen(fromRunArgs(['img']), control);
      expect(open.map((l) => l.split(':')[0])).toEqual([
        'network',
        'capabilities',
        'root filesystem',
        'NoNewPrivs',
        'user',
        // rootful podman's default: no user namespace
        ...(id === 'rootful' ? ['user namespace'] : []),
      ]);
      expect(open[1]).toMatch(/^capabilities: 11 in the bounding set .*; NET_RAW not among them$/);
    },
  );
  it.each(['rootful', 'rootless'] as const)('what the spec sets is not listed (%s)', (id) => {
    const { treatment } = observed<unknown, ProbeSnapshot>('network.loopback-only', id);
    const open = leftOpen(fromRunArgs(['--network=none', '--cap-drop=all', 'img']), treatment);
    expect(open.some((l) => l.startsWith('network') || l.startsWith('capabilities'))).toBe(false);
  });
});

describe('rows of what the container sees: IPC, volumes, masks, user namespace', () => {
  const spec = fromRunArgs(
    [
      '--ipc=none',
      '-v',
      '/srv/data:/data:ro,noexec,z',
      '-v',
      '/srv/logs:/logs',
      '--security-opt=mask=/proc/kcore:/proc/keys',
      '--userns=auto',
      'img',
    ],
    'app',
  );
  const { claims, notProven } = specClaims(spec);
  it('one row per setting; a volume row per flag, its control the same volume rw or exec', () => {
    expect(claims.map((c) => c.id)).toEqual([
      'app.ipc-none',
      'app.volume-data-ro',
      'app.volume-data-noexec',
      'app.mask',
      'app.userns',
    ]);
    for (const c of claims) expect(claimProblems(c)).toEqual([]);
    expect(notProven).toEqual(['--volume=/srv/logs:/logs: not a setting podproof proves yet']);
    const ro = replacingOption(
      spec,
      '--volume=/srv/data:/data:ro,noexec,z',
      '--volume=/srv/data:/data:rw,noexec,z',
    );
    expect(ro.options).toContain('--volume=/srv/data:/data:rw,noexec,z');
    expect(ro.options).not.toContain('--volume=/srv/data:/data:ro,noexec,z');
    expect(
      hostVolumes(fromRunArgs(['-v', 'named:/x:ro', '-v', './rel:/y', 'img'])).map((v) => v.target),
    ).toEqual(['/y']);
  });
  it('a spec with --userns=auto runs each row alone, its arms in turn (podman 4.3 deadlocks: podman#16062)', () => {
    for (const c of claims) expect([c.id, c.exclusive, c.concurrentArms]).toEqual([c.id, true, false]);
    const plain = specClaims(fromRunArgs(['--ipc=none', '--cap-drop=ALL', 'img'])).claims;
    for (const c of plain) expect([c.id, c.exclusive, c.concurrentArms]).toEqual([c.id, undefined, true]);
  });
  it('--pid=private is a row whose control is --pid=host; other --pid values are listed', () => {
    const spec = fromRunArgs(['--pid=private', '--ipc=none', 'img']);
    const { claims: rows } = specClaims(spec);
    const pid = rows.find((c) => c.id === 'run.pid');
    expect(pid && claimProblems(pid)).toEqual([]);
    expect(pid?.control.setting).toBe('control: --pid=host');
    expect(specClaims(fromRunArgs(['--pid=host', 'img'])).notProven).toEqual([
      "--pid=host: the host's PID namespace, which isolates nothing (see what it leaves open)",
    ]);
    expect(specClaims(fromRunArgs(['--pid=container:web', 'img'])).notProven).toEqual([
      '--pid=container:web: another PID namespace; podproof proves --pid=private only',
    ]);
  });
  it.each(['rootful', 'rootless'] as const)('the --pid row fails on the other arm (%s)', async (id) => {
    // pid.isolated's arms: the default (private) container and --pid=host, with the run's marker
    const { treatment, control, setup } = observed<{ marker: number }, ProbeSnapshot>('pid.isolated', id);
    const row = specClaims(fromRunArgs(['--pid=private', 'img'])).claims[0];
    if (!row) throw new Error('no --pid row');
    const spec = { image: 'img', tools: [], uid: 0, marker: setup.marker };
    expect(row.treatment.check(treatment, spec)).toMatchObject({ holds: true });
    expect(row.treatment.check(control, spec)).toMatchObject({ holds: false });
    expect(row.control.check(control, spec)).toMatchObject({ holds: true });
    expect(row.control.check(treatment, spec)).toMatchObject({ holds: false });
    // a marker a container's own process could have: never a contrast
    expect(row.control.check(control, { ...spec, marker: 1 })).toMatchObject({ holds: false });
  });
  it('keep-id is a rootless row', () => {
    const keep = specClaims(fromRunArgs(['--userns=keep-id', 'img'])).claims;
    expect(keep.map((c) => [c.id, c.identities])).toEqual([['run.userns', ['rootless']]]);
  });
  it.each(['rootful', 'rootless'] as const)('a volume flag check fails on the other arm (%s)', (id) => {
    const noexec = observed<unknown, ProbeSnapshot>('volume.noexec', id);
    expect(checkMountFlag(noexec.treatment, VOLUME_AT, 'noexec', true).holds).toBe(true);
    expect(checkMountFlag(noexec.control, VOLUME_AT, 'noexec', true).holds).toBe(false);
    expect(checkMountFlag(noexec.control, VOLUME_AT, 'noexec', false).holds).toBe(true);
    expect(checkMountFlag(noexec.treatment, VOLUME_AT, 'noexec', false).holds).toBe(false);
    const ro = observed<unknown, ProbeSnapshot>('rootfs.read-only', id);
    expect(checkMountFlag(ro.treatment, '/', 'ro', true).holds).toBe(true);
    expect(checkMountFlag(ro.control, '/', 'ro', true).holds).toBe(false);
    expect(checkMountFlag(ro.control, '/nowhere', 'ro', false).holds).toBe(false);
  });
  it.each(['rootful', 'rootless'] as const)('the mask control check fails on masked paths (%s)', (id) => {
    // proc.masked's arms: the default spec (masked) and unmask=ALL
    const { treatment, control } = observed<unknown, ProbeSnapshot>('proc.masked', id);
    const paths = ['/proc/kcore', '/proc/keys'];
    expect(checkMasked(treatment, paths).holds).toBe(true);
    expect(checkMasked(control, paths).holds).toBe(false);
    expect(checkUnmasked(control, paths, '').holds).toBe(true);
    expect(checkUnmasked(treatment, paths, '').holds).toBe(false);
  });
  it('user namespace checks fail on the other arm', () => {
    // userns.rootless-map: rootful's default map and one of its own; rootless's default and keep-id
    const rootful = observed<unknown, ProbeSnapshot>('userns.rootless-map', 'rootful');
    expect(checkRootRemapped(rootful.control, 0).holds).toBe(true);
    expect(checkRootRemapped(rootful.treatment, 0).holds).toBe(false);
    expect(checkRootIsOwn(rootful.treatment, 0).holds).toBe(true);
    expect(checkRootIsOwn(rootful.control, 0).holds).toBe(false);
    const rootless = observed<unknown, ProbeSnapshot>('userns.rootless-map', 'rootless');
    expect(checkKeepsId(rootless.control, 1001).holds).toBe(true);
    expect(checkKeepsId(rootless.treatment, 1001).holds).toBe(false);
    expect(checkRootIsOwn(rootless.treatment, 1001).holds).toBe(true);
    expect(checkRootRemapped(rootless.treatment, 1001).holds).toBe(false);
  });
});

describe('leftOpen: namespaces', () => {
  it.each(['rootful', 'rootless'] as const)(
    "another PID namespace's processes, from --pid=host (%s)",
    (id) => {
      const { treatment, control } = observed<unknown, ProbeSnapshot>('pid.isolated', id);
      const line = (s: ProbeSnapshot) =>
        leftOpen(fromRunArgs(['img']), s).find((l) => l.startsWith('processes'));
      expect(line(control)).toMatch(/^processes: \d+ visible/);
      expect(line(treatment)).toBeUndefined();
    },
  );
  it('a spec with a --userns of its own is not told it has none; --userns=host is', () => {
    const { treatment } = observed<unknown, ProbeSnapshot>('network.loopback-only', 'rootful');
    const has = (args: string[]) =>
      leftOpen(fromRunArgs([...args, 'img']), treatment).some((l) => l.startsWith('user namespace'));
    expect(has(['--userns=auto'])).toBe(false);
    expect(has(['--userns=host'])).toBe(true);
  });
});
