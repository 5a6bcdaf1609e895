import { describe, expect, it } from 'vitest';
import { apiNeeds, apiSocketOwnerOnly } from '../src/claims/api.js';
import { rootlessHostFiles } from '../src/claims/rootless.js';
import type { Identity } from '../src/exec/identity.js';
import type { HostProfile } from '../src/host/profile.js';

const user = (via: Identity['via'], name: Identity['name'] = 'rootless'): Identity => ({
  name,
  user: name === 'rootful' ? 'root' : 'alice',
  uid: name === 'rootful' ? 0 : 1000,
  gid: name === 'rootful' ? 0 : 1000,
  home: '/home/alice',
  runtimeDir: '/run/user/1000',
  via,
});
const rootItself = user('self', 'rootful');
const rootBySudo = user('sudo', 'rootful');
const host = {} as HostProfile;

describe("the claims' root access: the harness as root, or sudo -n for a normal user", () => {
  it('rootless.host-files needs root only to make the file: either way works', () => {
    const needs = (root?: Identity) => rootlessHostFiles.needs?.(host, user('self'), { root });
    expect(needs(rootItself)).toBeUndefined();
    expect(needs(rootBySudo)).toBeUndefined();
    expect(needs(undefined)).toMatch(/sudo -n/);
  });
  it("api.socket-owner-only: a normal user with sudo -n proves the rootless row; root's service stays root's", () => {
    expect(apiNeeds(user('setpriv'), rootItself)).toBeUndefined();
    expect(apiNeeds(rootItself, rootItself)).toBeUndefined();
    expect(apiNeeds(user('self'), rootBySudo)).toBeUndefined();
    expect(apiNeeds(rootBySudo, rootBySudo)).toMatch(/run podproof as root/);
    expect(apiNeeds(user('self'), undefined)).toMatch(/sudo -n/);
    expect(apiSocketOwnerOnly.needs?.(host, user('self'), { root: rootBySudo })).toBeUndefined();
  });
});
