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
