// Pure merge logic on small hand-made reports; a merge of real reports from several hosts
// (this machine and the Debian VM) waits for the VM host kind.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { ClaimResult } from '../src/experiment/types.js';
import {
  formatMergedJunit,
  formatMergedMarkdown,
  mergedJson,
  nameHosts,
  perClaim,
  tally,
} from '../src/report/merge.js';
import type { Report } from '../src/runner/prove.js';
import { row } from './support/results.js';

const report = (hostname: string, results: ClaimResult[]) =>
  ({
    schemaVersion: '1.0',
    session: hostname.replace(/\W/g, ''),
    startedAt: '2026-11-25T00:00:00.000Z',
    durationMs: 1,
    host: {
      hostname,
      os: { prettyName: 'Debian' },
      kernel: '6.1',
      podman: { path: 'podman', version: '5.4' },
    },
    results,
    commands: { count: 0, podmanCount: 0, podmanMs: 0, podmanBusyMs: 0 },
  }) as unknown as Report;

const hosts = nameHosts([
  report('a', [
    row('net.x', 'rootful', 'proven'),
    row('net.x', 'rootless', 'proven'),
    row('caps.y', 'rootful', 'proven'),
  ]),
  report('b', [
    row('net.x', 'rootful', 'proven'),
    row('net.x', 'rootless', 'skipped'),
    row('caps.y', 'rootful', 'proven'),
  ]),
  report('a', [
    row('net.x', 'rootful', 'refuted'),
    row('net.x', 'rootless', 'proven'),
    row('caps.y', 'rootful', 'proven'),
  ]),
]);

describe('podproof merge', () => {
  it('names hosts by hostname, numbering repeats', () => {
    expect(hosts.map((h) => h.host)).toEqual(['a', 'b', 'a#2']);
  });
  it("tells one host's reports apart by their rootless user (root, and a normal user)", () => {
    const as = (user: string) => {
      expect(
        tally([
          row('a', 'rootful', 'skipped'),
          row('b', 'rootful', 'refuted'),
          row('c', 'rootful', 'proven'),
        ]),
      ).toBe('1 proven, 1 refuted, 1 skipped');
      const r = report('vm', [row('net.x', 'rootless', 'proven')]);
      (r.host as { identities?: unknown }).identities = {
        rootless: { name: 'rootless', available: true, user },
      };
      return r;
    };
    expect(nameHosts([as('podproof'), as('tester'), report('h', [])]).map((h) => h.host)).toEqual([
      'vm (rootless podproof)',
      'vm (rootless tester)',
      'h',
    ]);
  });
  it('says per claim on how many hosts it was proven, the hosts that break it first', () => {
    expect(perClaim(hosts)).toEqual([
      {
        claim: 'net.x',
        broken: true,
        line: 'net.x: proven on 1 of 3 hosts; not on a#2 (rootful refuted), b (rootless skipped)',
      },
      { claim: 'caps.y', broken: false, line: 'caps.y: proven on 3 of 3 hosts' },
    ]);
  });
  it('describes each host in Markdown: versions, runtime, network, module, manager, when, how long, its rows', () => {
    expect(
      tally([row('a', 'rootful', 'skipped'), row('b', 'rootful', 'refuted'), row('c', 'rootful', 'proven')]),
    ).toBe('1 proven, 1 refuted, 1 skipped');
    const r = report('vm', [
      row('net.x', 'rootful', 'proven'),
      row('net.x', 'rootless', 'skipped'),
      row('caps.y', 'rootful', 'proven'),
    ]);
    Object.assign(r.host, {
      cgroup: { version: 'v2' },
      systemdPid1: true,
      securityModules: ['lockdown', 'capability', 'selinux'],
      selinuxEnforcing: true,
      identities: {
        rootful: { podman: { ociRuntime: 'crun', ociRuntimeVersion: '1.28', networkBackend: 'netavark' } },
        rootless: { podman: { rootlessNetworkCmd: 'pasta' } },
      },
    });
    r.durationMs = 683_400;
    const md = formatMergedMarkdown(nameHosts([r]));
    expect(md).toContain(
      '| host | os | kernel | podman | runtime | network (rootless) | cgroup, PID 1 | security modules | started | took | rows |',
    );
    expect(md).toContain(
      '| vm | Debian | 6.1 | 5.4 | crun 1.28 | netavark + pasta | v2, systemd | selinux (enforcing) | 2026-11-25T00:00Z | 683 s | 2 proven, 1 skipped |',
    );
  });
  it('prints a host x claim x identity matrix in Markdown', () => {
    const md = formatMergedMarkdown(hosts);
    expect(md).toContain('| claim | identity | a | b | a#2 |');
    expect(md).toContain('| `net.x` | rootless | proven | skipped | proven |');
    expect(md).toContain('- net.x: proven on 1 of 3 hosts');
  });
  it('writes JUnit with one testsuite per host', () => {
    const xml = formatMergedJunit(hosts);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites.testsuite.map((s: { name: string }) => s.name)).toEqual([
      'podproof a',
      'podproof b',
      'podproof a#2',
    ]);
  });
  it('keeps every row with its host in JSON', () => {
    const json = mergedJson(hosts);
    expect(json.results).toHaveLength(9);
    expect(
      json.results.find((r) => r.host === 'a#2' && r.claim === 'net.x' && r.identity === 'rootful')?.verdict,
    ).toBe('refuted');
  });
});

describe('a host without a report', () => {
  const a = report('alpha', [row('network.loopback-only', 'rootful', 'proven')]);
  const b = report('beta', [row('network.loopback-only', 'rootful', 'proven')]);
  const hosts = nameHosts([a, { file: '/reports/gamma.json', why: 'cannot read the report: ENOENT' }, b]);

  it('keeps its place, named by its file and marked with why', () => {
    expect(hosts.map((h) => h.host)).toEqual(['alpha', 'gamma', 'beta']);
    expect(hosts[1]?.missing).toBe('cannot read the report: ENOENT');
    expect(perClaim(hosts)[0]?.line).toBe(
      'network.loopback-only: proven on 2 of 3 hosts; not on gamma (no report)',
    );
  });

  it('shows in every output: Markdown, JUnit (an error), JSON', () => {
    const gamma = formatMergedMarkdown(hosts)
      .split('\n')
      .find((l) => l.startsWith('| gamma |'));
    expect(gamma).toMatch(/^\| gamma \| no report: cannot read the report: ENOENT \|( \|)+$/);
    // as many cells as the header
    const header = formatMergedMarkdown(hosts).split('\n')[2] ?? '';
    expect(gamma?.split('|').length).toBe(header.split('|').length);
    const xml = formatMergedJunit(hosts);
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml);
    expect(parsed.testsuites['@_errors']).toBe('1');
    expect(JSON.stringify(parsed)).toContain('no report: cannot read the report: ENOENT');
    expect(mergedJson(hosts).hosts[1]).toEqual({ name: 'gamma', missing: 'cannot read the report: ENOENT' });
  });
});
