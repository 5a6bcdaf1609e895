import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { diffResults, formatDiff, readReport } from '../src/report/diff.js';
import { row } from './support/results.js';

describe('diffResults', () => {
  const before = [
    row('a.one', 'rootful', 'proven'),
    row('a.two', 'rootful', 'proven'),
    row('a.three', 'rootless', 'refuted'),
    row('a.four', 'rootless', 'proven'),
    row('a.five', 'rootful', 'skipped'),
    row('a.gone', 'rootful', 'proven'),
  ];
  const after = [
    row('a.one', 'rootful', 'proven'),
    row('a.two', 'rootful', 'error'),
    row('a.three', 'rootless', 'proven'),
    row('a.four', 'rootless', 'skipped'),
    row('a.five', 'rootful', 'inconclusive'),
    row('a.new', 'rootless', 'proven'),
  ];
  const changes = diffResults(before, after);
  it('names every row whose verdict moved, and how', () => {
    expect(changes.map((c) => [c.claim, c.kind])).toEqual([
      ['a.two', 'regression'],
      ['a.three', 'improvement'],
      ['a.four', 'new-skip'],
      ['a.five', 'changed'],
      ['a.new', 'added'],
      ['a.gone', 'removed'],
    ]);
  });
  it('a row is its claim and identity: the same claim on another identity is another row', () => {
    expect(
      diffResults([row('a.one', 'rootful', 'proven')], [row('a.one', 'rootless', 'refuted')]).map(
        (c) => c.kind,
      ),
    ).toEqual(['added', 'removed']);
  });
  it('prints one line per change, or that nothing changed', () => {
    expect(formatDiff(changes).split('\n')[0]).toBe(
      'regression  a.two (rootful): proven -> error: error because',
    );
    expect(formatDiff([])).toBe('no verdict changed');
  });
});

describe('reports read are validated against the schema', () => {
  it('names the file and the first thing wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podproof-invalid-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'no-host.json');
    const { host: _host, ...rest } = JSON.parse(
      readFileSync(new URL('./captured/report.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(rest));
    expect(() => readReport(file)).toThrow(
      new RegExp(`${file} is not a valid podproof report: / must have required property 'host'`),
    );
  });
});
