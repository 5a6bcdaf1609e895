// The public claim shape: what defineClaim refuses, how the runner reads an arm (observe, then
// the pure check), and what --claims loads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claims } from '../src/claims/index.js';
import { UsageError } from '../src/exec/errors.js';
import { EvidenceLog } from '../src/exec/evidence.js';
import { ClaimDefinitionError, claimProblems, defineClaim } from '../src/experiment/define.js';
import {
  type Arm,
  type ClaimContext,
  NotObserved,
  OutputNotExplained,
  unexplained,
} from '../src/experiment/types.js';
import { decide } from '../src/experiment/verdict.js';
import { runArm } from '../src/runner/experiment.js';
import { catalogWith, loadClaimModule } from '../src/runner/load-claims.js';
import { checkCatalog } from '../src/runner/prove.js';

const arm = (setting: string, holds: boolean): Arm<unknown, string> => ({
  setting,
  observe: async () => 'seen',
  check: (o) => ({ holds, observed: o }),
});
const mine = () => ({
  id: 'mine.thing',
  title: 'a thing holds',
  source: 'a test',
  identities: ['rootful'] as const,
  treatment: arm('--the-flag', true),
  control: arm('without it', true),
});

describe('defineClaim', () => {
  it('returns a well-formed claim as it is', () => {
    const c = mine();
    expect(defineClaim(c)).toBe(c);
    for (const c of claims) expect(claimProblems(c), c.id).toEqual([]);
  });

  it('refuses what cannot be a proof, saying what to fix', () => {
    expect(() => defineClaim({ ...mine(), id: 'NoDot' })).toThrow(ClaimDefinitionError);
    expect(claimProblems({ ...mine(), control: undefined })).toContain(
      'control is missing: every claim needs a treatment and a control',
    );
    const same = arm('--the-flag', true);
    expect(claimProblems({ ...mine(), treatment: same, control: same }).join('; ')).toMatch(
      /same setting.*share one check/,
    );
    expect(claimProblems({ ...mine(), treatment: async () => ({}) })[0]).toMatch(/is a function: an arm is/);
    expect(claimProblems({ ...mine(), identities: ['root'] })[0]).toMatch(/identities must list/);
    const planned = (probes: unknown) => ({ ...mine(), control: { ...arm('without it', true), probes } });
    expect(claimProblems(planned([{ flags: ['--x'], attempts: [] }]))).toEqual([]);
    expect(claimProblems(planned([{ flags: '--x' }]))[0]).toMatch(/control\.probes must be a list/);
  });

  it('a catalog holds each id once', () => {
    expect(() => checkCatalog([mine(), mine()] as never)).toThrow(UsageError);
    expect(() => checkCatalog([{ ...mine(), title: '' }] as never)).toThrow(/title must be a sentence/);
  });
});

describe('how the runner reads an arm', () => {
  const log = new EvidenceLog();
  const ctx = { log } as unknown as ClaimContext;
  it('an observation judged by its check', async () => {
    expect(await runArm(arm('x', true), 'treatment', ctx, undefined)).toEqual({
      ok: true,
      value: { holds: true, observed: 'seen' },
    });
  });
  it('nothing observed: the reason as given, or a harness error', async () => {
    const not = { ...arm('x', true), observe: async () => Promise.reject(new NotObserved('no container')) };
    expect(await runArm(not, 'control', ctx, undefined)).toEqual({ ok: false, error: 'no container' });
    const crash = { ...arm('x', true), observe: async () => Promise.reject(new Error('boom')) };
    expect(await runArm(crash, 'control', ctx, undefined)).toEqual({
      ok: false,
      error: 'harness error: boom',
    });
  });
  it('output a check cannot explain is an error for either arm, never inconclusive', async () => {
    const odd = { ...arm('x', true), check: () => unexplained('exit 139') };
    const side = await runArm(odd, 'control', ctx, undefined);
    expect(side).toMatchObject({ ok: false, unexplained: true });
    expect(decide({ ok: true, value: { holds: true, observed: 't' } }, side).verdict).toBe('error');
    const deep = {
      ...arm('x', true),
      check: () => {
        throw new OutputNotExplained('the probe did not run its ip attempt');
      },
    };
    expect(await runArm(deep, 'treatment', ctx, undefined)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not explained \(x\): the probe did not run its ip attempt/),
    });
    const bug = {
      ...arm('x', true),
      check: (): never => {
        throw new TypeError('x is undefined');
      },
    };
    expect(await runArm(bug, 'treatment', ctx, undefined)).toMatchObject({
      error: expect.stringMatching(/the check itself failed \(x is undefined\)/),
    });
  });
});

describe('--claims FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podproof-claims-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const module = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const ARM = (s: string) =>
    `{ setting: '${s}', observe: async () => 1, check: (o) => ({ holds: o === 1, observed: 'o' }) }`;
  const CLAIM = (id: string) =>
    `{ id: '${id}', title: 't', source: 's', identities: ['rootful'], treatment: ${ARM('a')}, control: ${ARM('b')} }`;

  it('loads every claim a module exports, alone or in arrays', async () => {
    const file = module(
      'two.mjs',
      `export const a = ${CLAIM('mine.a')};\nexport default [${CLAIM('mine.b')}];\n`,
    );
    expect((await loadClaimModule(file)).map((c) => c.id).sort()).toEqual(['mine.a', 'mine.b']);
    const all = await catalogWith(claims, [file]);
    expect(all.length).toBe(claims.length + 2);
  });

  it('says what is wrong: no file, no claim, a malformed claim, an id taken', async () => {
    await expect(loadClaimModule(join(dir, 'none.mjs'))).rejects.toThrow(/no such file/);
    await expect(loadClaimModule(module('empty.mjs', 'export const x = 1;\n'))).rejects.toThrow(
      /exports no claim/,
    );
    await expect(
      loadClaimModule(module('bad.mjs', `export const c = { id: 'mine.c', treatment: 1, control: 2 };\n`)),
    ).rejects.toThrow(/export c \(mine\.c\)/);
    await expect(
      catalogWith(claims, [module('taken.mjs', `export const c = ${CLAIM('network.loopback-only')};\n`)]),
    ).rejects.toThrow(/already taken/);
  });
});
