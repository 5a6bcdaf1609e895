import { describe, expect, it } from 'vitest';
import { RwLock } from '../src/runner/rwlock.js';

describe('RwLock', () => {
  it('lets shared holders overlap and keeps an exclusive holder alone, in arrival order', async () => {
    const lock = new RwLock();
    const events: string[] = [];
    const hold = async (name: string, exclusive: boolean, ms: number) => {
      const release = await lock.acquire(exclusive);
      events.push(`+${name}`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`-${name}`);
      release();
    };
    await Promise.all([hold('a', false, 20), hold('b', false, 20), hold('X', true, 10), hold('c', false, 5)]);
    // a and b overlap; X waits for both; c (arrived after X) waits for X
    expect(events.slice(0, 2).sort()).toEqual(['+a', '+b']);
    const x = events.indexOf('+X');
    expect(events.slice(0, x)).toContain('-a');
    expect(events.slice(0, x)).toContain('-b');
    expect(events.indexOf('+c')).toBeGreaterThan(events.indexOf('-X'));
  });
});
