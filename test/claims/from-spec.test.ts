import { describe, expect, it } from 'vitest';
import {
  capName,
  checkRootReadOnly,
  checkRootWritable,
  checkRunsAs,
  checkRunsAsOther,
  expectedBounding,
  leftOpen,
  originSlug,
  probeOptions,
  specClaims,
} from '../../src/claims/from-spec.js';
import { claimProblems } from '../../src/experiment/define.js';
import { fromRunArgs } from '../../src/parse/container-spec.js';
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
  it.each(['rootful', 'rootless'] as const)('a default container leaves all five open (%s)', (id) => {
    const { control } = observed<unknown, ProbeSnapshot>('network.loopback-only', id);
    const open = leftOpen(fromRunArgs(['img']), control);
    expect(open.map((l) => l.split(':')[0])).toEqual([
      'network',
      'capabilities',
      'root filesystem',
      'NoNewPrivs',
      'user',
    ]);
    expect(open[1]).toMatch(/^capabilities: 11 in the bounding set .*; NET_RAW not among them$/);
  });
  it.each(['rootful', 'rootless'] as const)('what the spec sets is not listed (%s)', (id) => {
    const { treatment } = observed<unknown, ProbeSnapshot>('network.loopback-only', id);
    const open = leftOpen(fromRunArgs(['--network=none', '--cap-drop=all', 'img']), treatment);
    expect(open.some((l) => l.startsWith('network') || l.startsWith('capabilities'))).toBe(false);
  });
});
