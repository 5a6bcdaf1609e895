import { describe, expect, it } from 'vitest';
import type { Identity } from '../src/exec/identity.js';
import { writesUnitsDirectly } from '../src/systemd/units.js';

const rootful = {
  name: 'rootful',
  user: 'root',
  uid: 0,
  gid: 0,
  home: '/root',
  runtimeDir: '/run',
  via: 'sudo',
} as Identity;
const rootless = {
  name: 'rootless',
  user: 'me',
  uid: 1000,
  gid: 1000,
  home: '/home/me',
  runtimeDir: '/run/user/1000',
  via: 'self',
} as Identity;

describe('who writes the unit files', () => {
  it("root writes every identity's own files; a user its own", () => {
    expect(writesUnitsDirectly(rootful, 0)).toBe(true);
    expect(writesUnitsDirectly(rootless, 0)).toBe(true);
    expect(writesUnitsDirectly(rootless, 1000)).toBe(true);
  });
  it('a normal user proving rootful through sudo -n writes /run/systemd/system through the identity', () => {
    expect(writesUnitsDirectly(rootful, 1000)).toBe(false);
  });
});
