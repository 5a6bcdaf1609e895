import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkInetAnswered, checkInetRefused, refusesInet, specClaims } from '../../src/claims/from-spec.js';
import { claimProblems } from '../../src/experiment/define.js';
import { fromRunArgs } from '../../src/parse/container-spec.js';
import { parseSnapshot } from '../../src/probe/snapshot.js';

/** Rootless probes run by `systemd-run --user --wait --pipe` (podman 4.3, --network=none). */
const captured = (name: string) =>
  parseSnapshot(
    readFileSync(new URL(`../captured/probe-rootless-service-${name}.txt`, import.meta.url), 'utf8'),
  );
const restricted = captured('restricted'); // -p RestrictAddressFamilies=AF_UNIX AF_NETLINK
const plain = captured('plain'); // no property
const nnp = captured('nnp'); // -p NoNewPrivileges=yes

describe("a Quadlet unit's [Service] rows", () => {
  const spec = {
    ...fromRunArgs(['--network=none', 'localhost/web:1'], 'web.container'),
    unitSettings: ['RestrictAddressFamilies=AF_UNIX AF_NETLINK', 'NoNewPrivileges=yes', 'Restart=always'],
  };
  const { claims, notProven } = specClaims(spec);

  it('are rows of their own, run under systemd; other service lines are listed', () => {
    const rows = claims.filter((c) => c.id.startsWith('web-container.service-'));
    expect(rows.map((c) => c.id)).toEqual([
      'web-container.service-restrict-address-families',
      'web-container.service-no-new-privileges',
    ]);
    for (const c of rows) expect(claimProblems(c)).toEqual([]);
    expect(rows[0]?.treatment.setting).toBe('a service with RestrictAddressFamilies=AF_UNIX AF_NETLINK');
    expect(rows[0]?.control.setting).toBe(
      'the same service without RestrictAddressFamilies=AF_UNIX AF_NETLINK',
    );
    expect(notProven).toEqual([
      '[Service] Restart=always: a setting of the systemd service, not of the container',
    ]);
  });

  it('a restriction that leaves AF_INET, or several lines, is listed with why', () => {
    const open = specClaims({ ...spec, unitSettings: ['RestrictAddressFamilies=AF_UNIX AF_INET'] });
    expect(open.claims.some((c) => c.id.includes('service-'))).toBe(false);
    expect(open.notProven).toEqual([
      '[Service] RestrictAddressFamilies=AF_UNIX AF_INET: AF_INET stays allowed: podproof proves a refused AF_INET',
    ]);
    expect(refusesInet('~AF_INET AF_INET6')).toBe(true);
    expect(refusesInet('~AF_PACKET')).toBe(false);
    expect(refusesInet('AF_UNIX')).toBe(true);
    expect(refusesInet('')).toBeUndefined();
  });

  it('the AF_INET checks fail on the other arm', () => {
    expect(checkInetRefused(restricted).holds).toBe(true);
    expect(checkInetRefused(plain).holds).toBe(false);
    expect(checkInetAnswered(plain).holds).toBe(true);
    expect(checkInetAnswered(restricted).holds).toBe(false);
  });

  it('the NoNewPrivileges checks fail on the other arm', () => {
    const row = claims.find((c) => c.id === 'web-container.service-no-new-privileges');
    if (!row) throw new Error('no row');
    const setup = { image: 'x', tools: [], uid: 0, marker: 1 };
    expect(row.treatment.check(nnp, setup)).toMatchObject({ holds: true });
    expect(row.treatment.check(plain, setup)).toMatchObject({ holds: false });
    expect(row.control.check(plain, setup)).toMatchObject({ holds: true });
    expect(row.control.check(nnp, setup)).toMatchObject({ holds: false });
  });
});
