/**
 * The reusable GitHub Action (action.yml) is linted here: actionlint checks workflows, not a
 * composite action's own metadata and scripts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exec } from '../src/exec/run.js';

interface Step {
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, string>;
}
const read = (path: string) => parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const action = read('../action.yml') as {
  inputs: Record<string, { description: string; default?: string }>;
  runs: { using: string; steps: Step[] };
};
const workflow = read('../.github/workflows/ci.yml') as { jobs: Record<string, { steps: Step[] }> };

describe('action.yml', () => {
  it('is a composite action whose steps declare their shell', () => {
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps) if (step.run) expect(step.shell, step.run).toBe('bash');
  });

  it('uses only the inputs it declares, each described', () => {
    const used = [
      ...readFileSync(new URL('../action.yml', import.meta.url), 'utf8').matchAll(/inputs\.([\w-]+)/g),
    ].map((m) => m[1]);
    for (const name of used) expect(Object.keys(action.inputs), name).toContain(name);
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).toBeTruthy();
  });

  it('never pastes an input into a script (they reach it through env)', () => {
    for (const step of action.runs.steps) if (step.run) expect(step.run).not.toMatch(/\$\{\{\s*inputs\./);
  });

  it.each(action.runs.steps.filter((s) => s.run).map((s) => [s.run?.split('\n')[0] ?? '', s.run ?? '']))(
    'its script parses with bash -n: %s',
    async (_first, script) => {
      const r = await exec(['bash', '-n', '-c', script], { timeoutMs: 10_000 });
      expect(r.exitCode, r.stderr).toBe(0);
    },
  );

  it("the project's workflow uses it with inputs it declares", () => {
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.filter((s) => s.uses === './'));
    expect(uses.length).toBeGreaterThan(0);
    for (const step of uses)
      for (const key of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs), key).toContain(key);
  });
});

describe('the action annotations', () => {
  it('one ::error per row refuted, inconclusive or in error; a waived one a ::warning; messages escaped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podproof-annotations-'));
    try {
      const file = join(dir, 'r.json');
      writeFileSync(
        file,
        JSON.stringify({
          results: [
            { claim: 'a.one', identity: 'rootful', verdict: 'proven', reason: 'ok' },
            { claim: 'a.two', identity: 'rootless', verdict: 'refuted', reason: '100% open\nsecond line' },
            {
              claim: 'a.three',
              identity: 'rootful',
              verdict: 'error',
              reason: 'crun',
              waiver: { reason: 'OPS-1', expires: '2027-01-31' },
            },
          ],
        }),
      );
      const e = await exec([
        process.execPath,
        fileURLToPath(new URL('../scripts/annotations.mjs', import.meta.url)),
        file,
      ]);
      expect(e.stdout.trim().split('\n')).toEqual([
        '::error title=a.two (rootless) refuted::100%25 open%0Asecond line',
        '::warning title=a.three (rootful) error%2C waived::waived until 2027-01-31: OPS-1; crun',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
