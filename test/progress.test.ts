import { describe, expect, it } from 'vitest';
import type { ClaimResult } from '../src/experiment/types.js';
import { leftText, Progress } from '../src/report/progress.js';

const fake = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, columns: 80, write: (s: string) => chunks.push(s) > 0 } };
};
const r = { claim: 'pid.isolated', identity: 'rootless', verdict: 'proven' } as ClaimResult;

describe('Progress', () => {
  it('prints plain lines when not on a TTY (CI logs)', () => {
    const { chunks, out } = fake(false);
    const p = new Progress(out, {});
    p.line('building fixture busybox');
    p.result(r);
    p.finish();
    expect(chunks).toEqual([
      'podproof: building fixture busybox\n',
      'podproof: pid.isolated (rootless): proven\n',
    ]);
  });
  it('updates one status line on a TTY and clears it at the end', () => {
    const { chunks, out } = fake(true);
    const p = new Progress(out, {});
    p.line('building fixture busybox');
    p.result(r);
    p.finish();
    const CLEAR = `\r${String.fromCharCode(27)}[K`;
    expect(chunks[0]?.startsWith(CLEAR)).toBe(true);
    expect(chunks[0]).toMatch(/\[\d+\.\d s\] building fixture busybox$/);
    expect(chunks[1]).toMatch(/\] pid\.isolated \(rootless\): proven$/);
    expect(chunks.at(-1)).toBe(CLEAR);
    expect(chunks.join('')).not.toContain('\n');
  });
  it('counts rows, k of N, once the plan is known', () => {
    const { chunks, out } = fake(false);
    const p = new Progress(out, {});
    p.plan(2);
    p.result(r);
    p.result(r);
    expect(chunks[0]).toMatch(
      /^podproof: \[1 of 2, about \d+ s left\] pid\.isolated \(rootless\): proven\n$/,
    );
    expect(chunks[1]).toBe('podproof: [2 of 2] pid.isolated (rootless): proven\n');
  });
  it('estimates the time left from the rows done', () => {
    expect(leftText(10, 1, 3)).toBe(', about 20 s left');
    expect(leftText(10, 0, 3)).toBe('');
    expect(leftText(10, 3, 3)).toBe('');
  });
  it('treats CI=true as not a TTY', () => {
    const { chunks, out } = fake(true);
    new Progress(out, { CI: 'true' }).line('x');
    expect(chunks).toEqual(['podproof: x\n']);
  });
});
