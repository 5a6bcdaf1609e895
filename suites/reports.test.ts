import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../src/exec/run.js';
import type { Report } from '../src/runner/prove.js';
import { reportSchemaErrors } from '../test/support/report-schema.js';
import { CLI, podmanWrapper, runCli, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

describe('podproof prove --junit / --markdown', () => {
  it('writes valid JUnit XML with a testcase per result and every skip reason kept', async () => {
    const dir = testSession.tempDir('junit');
    const junit = join(dir, 'j.xml');
    const markdown = join(dir, 'summary.md');
    const { run, report } = await runCli([
      'prove',
      '--only',
      'network.loopback-only',
      '--only',
      'systemd',
      '--junit',
      junit,
      '--markdown',
      markdown,
    ]);
    expect(report, run.stderr).toBeDefined();
    const text = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
    const cases = [doc.testsuites.testsuite]
      .flat()
      .flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as {
      name: string;
      skipped?: { message: string };
    }[];
    expect(cases).toHaveLength(report?.results.length ?? -1);
    for (const r of report?.results ?? []) {
      const c = cases.find((x) => x.name === `${r.claim} (${r.identity})`);
      expect(c, r.claim).toBeDefined();
      if (r.verdict === 'skipped') expect(c?.skipped?.message).toBe(r.reason);
    }
    expect(Number(doc.testsuites.skipped)).toBe(
      report?.results.filter((r) => r.verdict === 'skipped').length,
    );
    expect(readFileSync(markdown, 'utf8')).toMatch(/^## podproof: /);
  });
});

describe('podproof prove --baseline', () => {
  it('exits 0 when no verdict changed, 1 with the regression named when a broken podman refutes a claim', async () => {
    const { run: first, report } = await runCli(['prove', 'network.loopback-only']);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    const baseline = join(testSession.tempDir('baseline'), 'old.json');
    writeFileSync(baseline, JSON.stringify(report));

    const same = await runCli(['prove', 'network.loopback-only', '--baseline', baseline]);
    expect(same.run.exitCode, same.run.stdout).toBe(0);
    expect(same.run.stdout).toContain('no verdict changed');

    // the same mutant as the table's drop-network-none: podman ignores --network=none
    const wrapper = podmanWrapper('baseline-drop-network-none', "drop_args '^--network=none$'");
    const broken = await runCli(['prove', 'network.loopback-only', '--baseline', baseline], {
      env: { PODPROOF_PODMAN: wrapper },
    });
    expect(broken.run.exitCode).toBe(1);
    for (const r of report?.results ?? [])
      expect(broken.run.stdout).toMatch(
        new RegExp(`regression\\s+network\\.loopback-only \\(${r.identity}\\): proven -> refuted`),
      );
  });
});

describe('podproof prove --waivers', () => {
  const waiversFile = (waivers: object[]) => {
    const file = join(testSession.tempDir('waivers'), 'waivers.json');
    writeFileSync(file, JSON.stringify({ waivers }));
    return file;
  };
  const broken = () => podmanWrapper('waivers-drop-network-none', "drop_args '^--network=none$'");

  it('a live waiver accepts a refuted row: exit 0, and the report shows the waiver', async () => {
    const file = waiversFile([
      {
        claim: 'network.loopback-only',
        verdict: 'refuted',
        reason: 'known: tracked in OPS-1',
        expires: '2999-12-31',
      },
    ]);
    // pid.isolated stays proven under this breakage: a run that proves nothing would exit 3
    const { run, report } = await runCli(
      ['prove', 'network.loopback-only', 'pid.isolated', '--waivers', file],
      {
        env: { PODPROOF_PODMAN: broken() },
      },
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(
      report?.results.filter((r) => r.claim === 'pid.isolated').every((r) => r.verdict === 'proven'),
    ).toBe(true);
    for (const r of report?.results.filter((x) => x.claim === 'network.loopback-only') ?? []) {
      expect(r.verdict).toBe('refuted');
      expect(r.waiver).toEqual({ reason: 'known: tracked in OPS-1', expires: '2999-12-31' });
    }
    expect(run.stdout).toContain('waived until 2999-12-31: known: tracked in OPS-1');
  });

  it('an expired waiver fails the run, even on a host where everything is proven', async () => {
    const file = waiversFile([
      { claim: 'network.loopback-only', verdict: 'refuted', reason: 'was known', expires: '2020-01-01' },
    ]);
    const { run } = await runCli(['prove', 'network.loopback-only', '--waivers', file]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      'podproof: waiver expired: network.loopback-only refuted until 2020-01-01: was known',
    );
  });
});

describe('podproof prove --json - and --skip', () => {
  it('writes the JSON report to stdout, the table to stderr; --skip leaves the named claims out', async () => {
    const run = await exec(
      [process.execPath, CLI, 'prove', 'network', '--skip', 'network.isolate-option', '--json', '-'],
      {
        env: { NO_COLOR: '1' },
        timeoutMs: 280_000,
      },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(reportSchemaErrors(report)).toEqual([]);
    const claims = new Set(report.results.map((r) => r.claim));
    expect(claims.has('network.loopback-only')).toBe(true);
    expect(claims.has('network.isolate-option')).toBe(false);
    expect(run.stderr).toMatch(/^claim\s+rootful/m);
  });
});
