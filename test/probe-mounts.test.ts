import { describe, expect, it } from 'vitest';
import { extraDevices } from '../src/claims/devices.js';
import { parseUidLine } from '../src/claims/nnp.js';
import { parseMaskedPaths, viewOf } from '../src/claims/proc.js';
import { describeMount, isReadOnly, mountAt, parseMountinfo } from '../src/parse/mounts.js';

const MOUNTINFO = `1080 995 0:95 / / ro,relatime - overlay overlay rw,lowerdir=/a:/b,upperdir=/u,workdir=/w
1081 1080 0:98 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1082 1080 0:99 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
1083 1082 0:100 / /dev/shm rw,nosuid,nodev,noexec,relatime shared:5 master:1 - tmpfs shm rw,size=64000k
1084 1080 0:101 / /tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw
1085 1080 0:102 / /my\\040dir rw - tmpfs tmpfs rw
1086 1080 0:95 / / rw,relatime - overlay overlay rw
broken line`;

describe('parseMountinfo', () => {
  const mounts = parseMountinfo(MOUNTINFO);
  it('reads every well-formed line, optional fields included', () => {
    expect(mounts).toHaveLength(7);
    expect(mounts[3]).toMatchObject({ mountPoint: '/dev/shm', fsType: 'tmpfs', source: 'shm' });
  });
  it('unescapes octal escapes in paths', () => {
    expect(mounts.map((m) => m.mountPoint)).toContain('/my dir');
  });
  it('the mount visible at a path is the last one there', () => {
    const root = mountAt(mounts, '/');
    expect(root && isReadOnly(root)).toBe(false);
    expect(isReadOnly(mounts[0] as NonNullable<typeof root>)).toBe(true);
    expect(mountAt(mounts, '/nowhere')).toBeUndefined();
    expect(describeMount(undefined, '/x')).toBe('nothing mounted at /x');
    expect(describeMount(mountAt(mounts, '/tmp'), '/tmp')).toBe('/tmp tmpfs rw,nosuid,nodev,relatime');
  });
});

describe('devices beyond the defaults', () => {
  it('counts pts, shm, mqueue and fd entries as their parent', () => {
    expect(extraDevices(['null', 'pts/0', 'pts/ptmx', 'shm/x', 'fd', 'stdin', 'mqueue'])).toEqual([]);
  });
  it('names host devices', () => {
    expect(extraDevices(['null', 'kvm', 'net/tun', 'sda'])).toEqual(['kvm', 'net/tun', 'sda']);
  });
});

describe('parseUidLine', () => {
  it('reads real and effective uid', () => {
    expect(parseUidLine('Name:\tcat\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n')).toEqual({
      real: 1000,
      effective: 0,
    });
    expect(parseUidLine('Name: cat\n')).toBeUndefined();
  });
});

describe('masked paths', () => {
  const mounts = parseMountinfo(`1 0 0:1 / / rw - overlay overlay rw
2 1 0:2 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw
3 1 0:3 / /sys/firmware ro,relatime - tmpfs tmpfs ro
4 1 0:4 / /proc/scsi rw - tmpfs tmpfs rw`);
  it('a /dev/null bind or a read-only tmpfs is a mask; a writable tmpfs is not', () => {
    expect(viewOf(mounts, true, '/proc/kcore')).toBe('masked');
    expect(viewOf(mounts, true, '/sys/firmware')).toBe('masked');
    expect(viewOf(mounts, true, '/proc/scsi')).toBe('visible');
    expect(viewOf(mounts, false, '/proc/acpi')).toBe('absent');
    expect(viewOf(mounts, true, '/proc/keys')).toBe('visible');
  });
  it('reads linux.maskedPaths from a runtime spec', () => {
    expect(parseMaskedPaths('{"linux":{"maskedPaths":["/proc/kcore"]}}')).toEqual(['/proc/kcore']);
    expect(parseMaskedPaths('{"linux":{}}')).toEqual([]);
    expect(parseMaskedPaths('{"linux":{"maskedPaths":[1]}}')).toBeUndefined();
    expect(parseMaskedPaths('not json')).toBeUndefined();
  });
});
