import { describe, expect, it } from 'vitest';
import { extraDevices } from '../../src/claims/devices.js';

describe('devices beyond the defaults', () => {
  it('counts pts, shm, mqueue and fd entries as their parent', () => {
    expect(extraDevices(['null', 'pts/0', 'pts/ptmx', 'shm/x', 'fd', 'stdin', 'mqueue'])).toEqual([]);
  });
  it('names host devices', () => {
    expect(extraDevices(['null', 'kvm', 'net/tun', 'sda'])).toEqual(['kvm', 'net/tun', 'sda']);
  });
});
