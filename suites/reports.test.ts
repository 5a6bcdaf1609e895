import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, testSession } from './helpers.js';

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
