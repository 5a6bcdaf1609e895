import { describe, expect, it } from 'vitest';
import { decide } from '../src/experiment/verdict.js';

const ok = (holds: boolean, observed = 'seen') => ({ ok: true as const, value: { holds, observed } });

describe('decide', () => {
  it('proven only when the treatment holds and the control shows the contrast', () => {
    expect(decide(ok(true), ok(true)).verdict).toBe('proven');
  });
  it('refuted when the treatment does not hold, whatever the control', () => {
    expect(decide(ok(false), ok(true)).verdict).toBe('refuted');
    expect(decide(ok(false), { ok: false, error: 'x' }).verdict).toBe('refuted');
  });
  it('inconclusive when the control shows no contrast or cannot run', () => {
    expect(decide(ok(true), ok(false)).verdict).toBe('inconclusive');
    expect(decide(ok(true), { ok: false, error: 'tun' }).verdict).toBe('inconclusive');
  });
  it('error when the treatment could not run: a crash is never evidence', () => {
    expect(decide({ ok: false, error: 'exit 139' }, ok(true))).toEqual({
      verdict: 'error',
      reason: 'treatment: exit 139',
    });
  });
});

describe('run order', () => {
  it('lets identities take turns, early exclusive claims first, other exclusive ones last, each identity keeping its order', async () => {
    const { interleave } = await import('../src/runner/prove.js');
    const items = [
      { who: 'rootful', id: 'a' },
      { who: 'rootful', id: 'x', exclusive: true },
      { who: 'rootful', id: 'k', exclusive: true, keepsApparatus: true },
      { who: 'rootful', id: 'b' },
      { who: 'rootful', id: 's', early: true },
      { who: 'rootless', id: 'c' },
      { who: 'rootless', id: 't', early: true },
      { who: 'rootless', id: 'u', early: true, exclusive: true },
    ];
    expect(interleave(items).map((x) => `${x.who}:${x.id}`)).toEqual([
      'rootless:u',
      'rootful:s',
      'rootless:t',
      'rootful:a',
      'rootless:c',
      'rootful:b',
      // the exclusive claims that keep the run's shared apparatus before those that remove it
      'rootful:k',
      'rootful:x',
    ]);
  });
});
