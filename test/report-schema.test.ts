import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { mergedJson, nameHosts } from '../src/report/merge.js';
import { parseWaivers } from '../src/report/waivers.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../src/runner/prove.js';
import { REPORT_SCHEMA, reportSchemaErrors } from './support/report-schema.js';

const captured = () =>
  JSON.parse(readFileSync(new URL('./captured/report.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

describe('the report schema', () => {
  it('validates a report podproof wrote on the build machine', () => {
    const report = captured();
    // captured at 1.0: within a major version the schema only adds optional fields (1.1: source)
    expect(report.schemaVersion).toMatch(/^1\.\d+$/);
    expect(REPORT_SCHEMA_VERSION).toBe('1.1');
    expect(reportSchemaErrors(report)).toEqual([]);
  });

  it('rejects a report missing a required field, or with a verdict it does not know', () => {
    const { results: _, ...noResults } = captured();
    expect(reportSchemaErrors(noResults)).toContain("/ must have required property 'results'");
    const report = captured();
    (report.results as { verdict: string }[])[0] = {
      ...(report.results as { verdict: string }[])[0],
      verdict: 'maybe',
    } as { verdict: string };
    expect(reportSchemaErrors(report).join('\n')).toMatch(
      /\/results\/0\/verdict must be equal to one of the allowed values/,
    );
  });

  it("accepts this major version's later minors, not another major", () => {
    expect(reportSchemaErrors({ ...captured(), schemaVersion: '1.7' })).toEqual([]);
    expect(reportSchemaErrors({ ...captured(), schemaVersion: '2.0' }).join()).toMatch(/schemaVersion/);
  });

  it('ships in the package and is exported', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.files).toContain('schema');
    expect(pkg.exports['./report.schema.json']).toBe('./schema/report.schema.json');
    expect(REPORT_SCHEMA.$schema).toMatch(/2020-12/);
  });
});

describe('the waivers and merge schemas', () => {
  const load = (name: string) =>
    JSON.parse(readFileSync(new URL(`../schema/${name}`, import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >;
  const ajv = new Ajv2020({ allErrors: true });
  it('the waivers schema takes what parseWaivers takes, and refuses a proven waiver', () => {
    const check = ajv.compile(load('waivers.schema.json'));
    const file = {
      waivers: [
        {
          claim: 'network.egress-blocked',
          identity: 'rootless',
          verdict: 'refuted',
          reason: 'OPS-123',
          expires: '2027-01-31',
        },
      ],
    };
    expect(check(file), JSON.stringify(check.errors)).toBe(true);
    expect(parseWaivers(file)).toHaveLength(1);
    const proven = { waivers: [{ ...file.waivers[0], verdict: 'proven' }] };
    expect(check(proven)).toBe(false);
    expect(() => parseWaivers(proven)).toThrow(/verdict must be one of/);
  });
  it('the merge schema describes what merge --json writes, a host without a report included', () => {
    const check = ajv.compile(load('merge.schema.json'));
    const report = JSON.parse(
      readFileSync(new URL('./captured/report.json', import.meta.url), 'utf8'),
    ) as Report;
    const merged = mergedJson(
      nameHosts([report, { file: 'gone.json', why: 'cannot read the report gone.json' }]),
    );
    expect(check(merged), JSON.stringify(check.errors)).toBe(true);
  });
});
