import { describe, expect, it } from 'vitest';
import type { ClaimResult, Verdict } from '../src/claims/types.js';
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
  it('is 1 when anything is refuted or an error, else 0', () => {
    expect(exitCodeFor([result('proven'), result('skipped')])).toBe(0);
    expect(exitCodeFor([result('proven'), result('refuted')])).toBe(1);
    expect(exitCodeFor([result('error')])).toBe(1);
  });
});

describe('busyTime', () => {
  it('counts overlapping commands once', async () => {
    const { busyTime } = await import('../src/claims/prove.js');
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
