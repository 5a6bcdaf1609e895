import { describe, expect, it } from 'vitest';
import { timeScale } from '../src/exec/time-scale.js';

describe('PODPROOF_TIME_SCALE', () => {
  it('is 1 unless set', () => {
    expect(timeScale({})).toBe(1);
    expect(timeScale({ PODPROOF_TIME_SCALE: '' })).toBe(1);
  });
  it('multiplies the harness bounds on a slow host', () => {
    expect(timeScale({ PODPROOF_TIME_SCALE: '8' })).toBe(8);
    expect(timeScale({ PODPROOF_TIME_SCALE: '1.5' })).toBe(1.5);
  });
  it('refuses what would shorten them or is not a number', () => {
    expect(() => timeScale({ PODPROOF_TIME_SCALE: '0.5' })).toThrow(/>= 1/);
    expect(() => timeScale({ PODPROOF_TIME_SCALE: 'fast' })).toThrow(/"fast"/);
  });
});
