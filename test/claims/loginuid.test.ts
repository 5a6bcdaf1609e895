import { describe, expect, it } from 'vitest';
import { mapToInside, plannedLoginuid, UNSET_LOGINUID } from '../../src/claims/loginuid.js';
import { IDENTITY_MAP } from '../../src/claims/userns.js';
import { parseIdMap } from '../../src/probe/snapshot.js';

describe('loginuid', () => {
  it('maps the caller loginuid through the container uid_map', () => {
    const rootless = parseIdMap('0 1001 1\n1 100000 65536');
    expect(mapToInside(rootless, 1001)).toBe(0);
    expect(mapToInside(rootless, 100005)).toBe(6);
    expect(mapToInside(rootless, 3267)).toBe(UNSET_LOGINUID);
    expect(mapToInside(IDENTITY_MAP, 3267)).toBe(3267);
    expect(mapToInside(IDENTITY_MAP, UNSET_LOGINUID)).toBe(UNSET_LOGINUID);
  });
  it('uses the caller value when set, sets one as root, else skips with the reason', () => {
    const id = { name: 'rootless', uid: 1001 };
    expect(plannedLoginuid({ value: 1000, unset: false, canSet: false }, id)).toEqual({
      value: 1000,
      set: false,
    });
    expect(plannedLoginuid({ value: UNSET_LOGINUID, unset: true, canSet: true }, id)).toEqual({
      value: 1001,
      set: true,
    });
    // with a subordinate range: the host uid read as the article's 3267 inside, not the user's own
    // (a PAM-started user manager, and so an API service under it, carries the user's own uid)
    const unset = { value: UNSET_LOGINUID, unset: true, canSet: true };
    const planned = plannedLoginuid(unset, id, [{ user: 'podproof', start: 100000, count: 65536 }]);
    expect(planned).toEqual({ value: 103266, set: true });
    expect(mapToInside(parseIdMap('0 1001 1\n1 100000 65536'), 103266)).toBe(3267);
    expect(plannedLoginuid(unset, id, [{ user: 'podproof', start: 100000, count: 100 }])).toEqual({
      value: 1001,
      set: true,
    });
    expect(
      plannedLoginuid({ value: UNSET_LOGINUID, unset: true, canSet: true }, { name: 'rootful', uid: 0 }),
    ).toEqual({ value: 3267, set: true });
    expect(plannedLoginuid({ value: UNSET_LOGINUID, unset: true, canSet: false }, id)).toMatchObject({
      skip: expect.stringMatching(/CAP_AUDIT_CONTROL/),
    });
  });
});
