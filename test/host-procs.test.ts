import { describe, expect, it } from 'vitest';
import { isZombieStat } from '../src/exec/procs.js';
import { processAlive } from '../src/host/procs.js';

describe('processAlive', () => {
  it('reads the state after the comm, whatever the comm holds', () => {
    // catatonit's pause process as a zombie, and a comm with ") R (" in it that is not one
    expect(isZombieStat('11692 (catatonit) Z 1 11691 11691 0 -1 4227148 53 0 0 0 0 0 0 0')).toBe(true);
    expect(isZombieStat('11692 (catatonit) X 1 11691 11691 0 -1')).toBe(true);
    expect(isZombieStat('4242 (a) Z (b) S 1 4242 4242 0 -1')).toBe(false);
    expect(isZombieStat('11692 (catatonit) S 1 11691 11691 0 -1')).toBe(false);
  });

  it('is true for this process and false for no PID', () => {
    expect(processAlive(String(process.pid))).toBe(true);
    expect(processAlive('')).toBe(false);
    expect(processAlive('not-a-pid')).toBe(false);
  });
});
