import { describe, expect, it } from 'vitest';
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
