import { describe, expect, it } from 'vitest';
import type { ClaimResult } from '../src/experiment/types.js';
import { Progress } from '../src/report/progress.js';

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
    expect(chunks[0]).toMatch(/\[\d+\.\d s, 0 done\] building fixture busybox$/);
    expect(chunks[1]).toMatch(/1 done\] pid\.isolated \(rootless\): proven$/);
    expect(chunks.at(-1)).toBe(CLEAR);
    expect(chunks.join('')).not.toContain('\n');
  });
  it('treats CI=true as not a TTY', () => {
    const { chunks, out } = fake(true);
    new Progress(out, { CI: 'true' }).line('x');
    expect(chunks).toEqual(['podproof: x\n']);
  });
});
