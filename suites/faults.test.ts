/**
 * Faults never become a proof (issue 26): each fault of suites/faults.ts is injected into a run
 * of the claims it touches; every row ends as the fault allows (`error`/`inconclusive` with a
 * reason naming it, or a lone run's verdict where it must not matter), the fault was really
 * injected, and nothing is left (`traces`, and the fault's own place). With
 * PODPROOF_FAULTS_TABLE=FILE the table (fault, claim, identity, verdict, reason, left) is written
 * there as Markdown (docs/faults.md is one such run).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityName } from '../src/exec/identity.js';
import { FAULTS } from './faults.js';
import {
  CLI,
  identity,
  podmanWrapper,
  realPodman,
  runCli,
  type TraceBaseline,
  testSession,
  traceBaseline,
  traces,
} from './helpers.js';

const table: string[] = [];

afterAll(async () => {
  const file = process.env.PODPROOF_FAULTS_TABLE;
  if (file && table.length)
    writeFileSync(
      file,
      [
        `| fault | claim | identity | verdict | reason | left |`,
        `|---|---|---|---|---|---|`,
        ...table,
        '',
      ].join('\n'),
    );
  await testSession.teardown();
});

/** A table cell: one line, pipes escaped, long reasons cut. */
const cell = (s: string, max = 220) => {
  const one = s.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
};

describe.skipIf(process.getuid?.() !== 0)('faults never become a proof (as root)', () => {
  let baseline: TraceBaseline;
  beforeAll(async () => {
    baseline = await traceBaseline();
  });

  it.for(FAULTS)('$name: $fault', async (f, ctx) => {
    const ids: IdentityName[] = f.identities ?? ['rootful', 'rootless'];
    const unusable = ids.map(identity).find((r) => r.skip);
    if (unusable) ctx.skip(unusable.skip);
    const rootless = identity('rootless').identity;
    // the fault's own dir: the wrapper (any identity) marks there what it did
    const dir = testSession.tempDir(`fault-${f.name}`);
    chmodSync(dir, 0o1777);
    const header = `DIR=${dir}; REAL=${realPodman}; NODE=${process.execPath}; CLI=${CLI}`;
    const wrapper = podmanWrapper(`fault-${f.name}`, '', `${header}\n${f.always ?? ''}`);
    const scene = (await f.scene?.(dir, rootless)) ?? { stop: async () => [] };
    const ended = new AbortController();
    let left: string[] = [];
    let result: Awaited<ReturnType<typeof runCli>>;
    try {
      const during = scene.during?.(ended.signal);
      result = await runCli(
        [
          'prove',
          ...f.claims.flatMap((c) => ['--only', c]),
          ...ids.flatMap((i) => ['--identity', i]),
          '--podman',
          wrapper,
          ...(f.args ?? []),
        ],
        { env: scene.env, timeoutMs: 280_000 },
      );
      ended.abort();
      await during;
    } finally {
      ended.abort();
      left = await scene.stop();
    }
    left.push(...(await traces(baseline)));
    const injected = existsSync(join(dir, 'injected'))
      ? readFileSync(join(dir, 'injected'), 'utf8').trim()
      : '';
    const rows = result.report?.results ?? [];
    for (const r of rows)
      table.push(
        `| ${cell(f.fault)} | ${r.claim} | ${r.identity} | ${r.verdict} | ${cell(r.reason)} | ${cell(left.join('; ') || 'nothing')} |`,
      );

    const output = result.run.stdout + result.run.stderr;
    expect(injected, `the fault was not injected: the run proves nothing about it\n${output}`).not.toBe('');
    expect(rows.length, output).toBe(f.claims.length * ids.length);
    for (const r of rows) {
      expect(f.verdicts, `${r.claim} ${r.identity}: ${r.reason}`).toContain(r.verdict);
      if (r.verdict !== 'proven') expect(r.reason, `${r.claim} ${r.identity}`).toMatch(f.reason);
    }
    expect(
      left.filter((l) => !l.startsWith("(podman's own")),
      'left after the fault',
    ).toEqual([]);
  });
});
