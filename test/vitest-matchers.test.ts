import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../src/vitest/index.js';
import type { ClaimResult } from '../src/claims/types.js';
import { parseSnapshot } from '../src/probe/snapshot.js';

const snap = (name: string) =>
  parseSnapshot(readFileSync(new URL(`./captured/${name}`, import.meta.url), 'utf8'));

describe('podproof/vitest matchers', () => {
  it('toHaveOnlyLoopback passes for --network=none and fails with the observed interfaces otherwise', () => {
    expect(snap('probe-rootful-none.txt')).toHaveOnlyLoopback();
    expect(() => expect(snap('probe-rootless-slirp4netns.txt')).toHaveOnlyLoopback()).toThrow(
      /observed interfaces: lo .*tap0 10\.0\.2\.100\/24/,
    );
  });
  it('toBeProven shows the verdict and reason when it fails', () => {
    const r: ClaimResult = {
      claim: 'network.loopback-only',
      title: '',
      identity: 'rootless',
      verdict: 'refuted',
      reason: 'treatment: interfaces: lo, tap0',
      durationMs: 1,
      evidence: [],
    };
    expect(() => expect(r).toBeProven()).toThrow(/is refuted: treatment: interfaces: lo, tap0/);
    expect({ ...r, verdict: 'proven' }).toBeProven();
  });
});
