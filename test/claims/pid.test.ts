import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkOwnPidsOnly, checkSeesMarker } from '../../src/claims/pid.js';
import { parseSnapshot } from '../../src/probe/snapshot.js';

const captured = (name: string) => readFileSync(new URL(`../captured/${name}`, import.meta.url), 'utf8');

describe('pid.isolated checks', () => {
  const snap = parseSnapshot(captured('probe-rootful-none.txt'));
  it('own pids only: PID 1, not the host marker', () => {
    expect(checkOwnPidsOnly(snap, 4242).holds).toBe(true);
    expect(checkOwnPidsOnly({ ...snap, pids: [1, 2, 4242] }, 4242)).toMatchObject({ holds: false });
    expect(checkOwnPidsOnly({ ...snap, pids: Array.from({ length: 50 }, (_, i) => i + 1) }, 4242).holds).toBe(
      false,
    );
  });
  it('the control must see the marker', () => {
    expect(checkSeesMarker({ ...snap, pids: [1, 4242] }, 4242).holds).toBe(true);
    expect(checkSeesMarker(snap, 4242).holds).toBe(false);
  });
});
