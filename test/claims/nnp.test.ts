import { describe, expect, it } from 'vitest';
import { parseUidLine } from '../../src/claims/nnp.js';

describe('parseUidLine', () => {
  it('reads real and effective uid', () => {
    expect(parseUidLine('Name:\tcat\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n')).toEqual({
      real: 1000,
      effective: 0,
    });
    expect(parseUidLine('Name: cat\n')).toBeUndefined();
  });
});
