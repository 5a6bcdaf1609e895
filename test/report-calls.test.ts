import { describe, expect, it } from 'vitest';
import type { Evidence } from '../src/exec/evidence.js';
import { podmanCallProfile, podmanQuestion } from '../src/report/calls.js';

const P = '/usr/bin/podman';
const call = (identity: string, ...args: string[]) =>
  ({ argv: [P, '--root', '/r', '--runroot', '/rr', '--tmpdir', '/t', ...args], identity }) as Evidence;
const row = (claim: string, identity: string, evidence: Evidence[], verdict = 'proven') =>
  ({ claim, identity, verdict, evidence }) as never;

describe('podman call profile', () => {
  it('masks what differs only by session, after the storage flags', () => {
    expect(podmanQuestion(call('rootful', 'rm', '-f', 'podproof-mxc0mj6c69fc77-echo-2').argv)).toBe(
      'rm -f podproof-SESSION-NAME',
    );
    expect(podmanQuestion([P, '--remote', '--url', 'unix:///x', 'ps', '-q'])).toBe('ps -q');
  });

  it('counts per claim and per row, and names the questions asked twice', () => {
    const report = {
      results: [
        row('a.one', 'rootful', [call('rootful', 'info'), call('rootful', 'image', 'exists', 'x')]),
        row('b.two', 'rootful', [call('rootful', 'info'), { argv: ['sh'], identity: 'rootful' } as Evidence]),
        row('b.two', 'rootless', [call('rootless', 'info')]),
        row('c.three', 'rootless', [], 'skipped'),
      ],
    };
    const p = podmanCallProfile(report, P);
    expect(p.inClaims).toBe(4);
    expect(p.rows).toBe(3);
    expect(p.perClaim).toEqual([
      ['a.one', 2],
      ['b.two', 2],
      ['c.three', 0],
    ]);
    expect(p.repeated).toEqual([{ identity: 'rootful', call: 'info', times: 2, claims: ['a.one', 'b.two'] }]);
  });
});
