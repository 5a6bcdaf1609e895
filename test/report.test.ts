import { describe, expect, it } from 'vitest';
import type { ClaimResult, Verdict } from '../src/experiment/types.js';
import { exitCodeFor } from '../src/report/table.js';

const result = (verdict: Verdict): ClaimResult => ({
  claim: 'network.loopback-only',
  title: '',
  identity: 'rootful',
  verdict,
  reason: '',
  durationMs: 0,
  evidence: [],
});

describe('exitCodeFor', () => {
  it('is 1 when anything is refuted, inconclusive or an error, else 0', () => {
    expect(exitCodeFor([result('proven'), result('skipped')])).toBe(0);
    expect(exitCodeFor([result('proven'), result('refuted')])).toBe(1);
    expect(exitCodeFor([result('error')])).toBe(1);
    expect(exitCodeFor([result('proven'), result('inconclusive')])).toBe(1);
  });
  it('is 3 when nothing was proven, or a required claim was skipped', () => {
    expect(exitCodeFor([result('skipped'), result('skipped')])).toBe(3);
    expect(exitCodeFor([])).toBe(3);
    expect(exitCodeFor([result('proven'), result('skipped')], ['network'])).toBe(3);
    expect(exitCodeFor([result('proven'), result('skipped')], ['caps'])).toBe(0);
  });
});

describe('busyTime', () => {
  it('counts overlapping commands once', async () => {
    const { busyTime } = await import('../src/runner/prove.js');
    const at = (ms: number) => new Date(1_000_000 + ms).toISOString();
    expect(busyTime([])).toBe(0);
    expect(
      busyTime([
        { startedAt: at(0), durationMs: 100 },
        { startedAt: at(50), durationMs: 100 },
        { startedAt: at(300), durationMs: 10 },
      ]),
    ).toBe(160);
    expect(
      busyTime([
        { startedAt: at(0), durationMs: 100 },
        { startedAt: at(10), durationMs: 20 },
      ]),
    ).toBe(100);
  });
});

describe('JUnit and Markdown reports', async () => {
  const { XMLParser, XMLValidator } = await import('fast-xml-parser');
  const { formatJunit } = await import('../src/report/junit.js');
  const { formatMarkdown } = await import('../src/report/markdown.js');
  const { formatTable } = await import('../src/report/table.js');
  const evidence = [
    {
      argv: ['podman', 'run', '<img>'],
      identity: 'rootful',
      user: 'root',
      purpose: 'treatment',
      exitCode: 139,
      signal: null,
      stdout: '',
      stderr: 'boom & <crash>\u0007',
      durationMs: 5,
      startedAt: '2026-01-01T00:00:00.000Z',
    },
  ];
  const report = {
    host: { podman: { path: '/usr/bin/podman', version: '4.3.1' }, kernel: '6.1', cgroup: { version: 'v2' } },
    session: 'abc',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1234,
    commands: { count: 1, podmanCount: 1, podmanMs: 5, podmanBusyMs: 5 },
    results: [
      { ...result('proven'), identity: 'rootful' as const },
      {
        ...result('skipped'),
        identity: 'rootless' as const,
        reason: 'rootless: user "podproof" does not exist',
      },
      {
        ...result('refuted'),
        claim: 'caps.default-set',
        identity: 'rootful' as const,
        reason: 'treatment: 12 effective <net_raw>',
        evidence,
      },
      {
        ...result('error'),
        claim: 'caps.default-set',
        identity: 'rootless' as const,
        reason: 'treatment: exit 139',
        evidence,
      },
    ],
  } as unknown as import('../src/runner/prove.js').Report;

  it('JUnit XML is valid, counts verdicts and keeps skip reasons', () => {
    const text = formatJunit(report);
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
    expect(doc.testsuites).toMatchObject({ tests: '4', failures: '1', errors: '1', skipped: '1' });
    const cases = [doc.testsuites.testsuite]
      .flat()
      .flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as Record<string, { message?: string }>[];
    expect(cases.find((c) => c.skipped)?.skipped?.message).toBe('rootless: user "podproof" does not exist');
    expect(cases.find((c) => c.failure)?.failure?.message).toBe('treatment: 12 effective <net_raw>');
  });
  it('Markdown has a table per area with identity columns and lists what is not proven', () => {
    const md = formatMarkdown(report);
    expect(md).toMatch(/^## podproof: 1 proven, 1 refuted, 1 skipped, 1 error/);
    expect(md).toMatch(/### caps\n\n\| claim \| rootful \| rootless \|/);
    expect(md).toMatch(/\| `caps.default-set` .* \| refuted \| error \|/);
    expect(md).toMatch(/- \*\*caps.default-set\*\* \(rootless\) error: treatment: exit 139/);
    // each row's commands folded under <details>
    expect(md).toMatch(/ {2}<details><summary>\d+ command\(s\)<\/summary>\n\n {2}- `[^\n]+`\n/);
    expect(md.split('<details>').length).toBe(md.split('</details>').length);
    expect(md).not.toMatch(/### Left open/);
  });
  it("Markdown of a user's container lists what it leaves open and what no row proves", () => {
    const md = formatMarkdown({
      ...report,
      leavesOpen: ['web (rootful): user: uid 0'],
      notProven: ['web: --pids-limit=100: not a setting podproof proves yet'],
    });
    expect(md).toMatch(/### Left open\n\n- web \(rootful\): user: uid 0\n/);
    expect(md).toMatch(/### Options no row proves\n\n- web: --pids-limit=100/);
  });
  it("JUnit of a user's container carries what it leaves open (per identity) and what no row proves", () => {
    const text = formatJunit({
      ...report,
      leavesOpen: ['web (rootful): user: uid 0', 'web (rootless): NoNewPrivs: 0'],
      notProven: ['web: --pids-limit=100: not a setting podproof proves yet'],
    });
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
    const props = (name: string) =>
      [doc.testsuites.testsuite]
        .flat()
        .find((s: { name: string }) => s.name === `podproof ${name}`)
        .properties.property.map((p: { name: string; value: string }) => `${p.name}: ${p.value}`);
    expect(props('rootful')).toEqual([
      'left open: web (rootful): user: uid 0',
      'not proven: web: --pids-limit=100: not a setting podproof proves yet',
    ]);
    expect(props('rootless')[0]).toBe('left open: web (rootless): NoNewPrivs: 0');
  });
  it('the table groups by area, one column per identity, colours only when asked', () => {
    const plain = formatTable(report);
    expect(plain).toMatch(/^claim\s+rootful\s+rootless$/m);
    expect(plain).toMatch(/^network$/m);
    expect(plain).toMatch(/^ {2}caps\.default-set\s+refuted\s+error$/m);
    const ESC = String.fromCharCode(27);
    expect(plain.includes(ESC)).toBe(false);
    expect(formatTable(report, { colour: true })).toContain(`${ESC}[31mrefuted`);
  });
});
