import { describe, expect, it } from 'vitest';
import { formatJunit } from '../src/report/junit.js';
import { exitCodeFor, formatTable } from '../src/report/table.js';
import { applyWaivers, parseWaivers } from '../src/report/waivers.js';
import type { Report } from '../src/runner/prove.js';
import { row } from './support/results.js';

const waiver = {
  claim: 'network.egress-blocked',
  identity: 'rootless',
  verdict: 'refuted',
  reason: 'slirp4netns on these runners, tracked in OPS-12',
  expires: '2027-01-31',
};

describe('waivers', () => {
  it('accept a named claim x identity verdict: shown, and the run does not fail', () => {
    const results = [
      row('network.egress-blocked', 'rootless', 'refuted'),
      row('network.egress-blocked', 'rootful', 'proven'),
    ];
    expect(exitCodeFor(results)).toBe(1);
    const { expired } = applyWaivers(results, parseWaivers({ waivers: [waiver] }), 'ci-1', '2026-11-25');
    expect(expired).toEqual([]);
    expect(results[0]?.waiver).toEqual({ reason: waiver.reason, expires: waiver.expires });
    expect(exitCodeFor(results)).toBe(0);
    const report = { results, durationMs: 1, session: 's', host: {} } as unknown as Report;
    expect(formatTable(report)).toContain(
      'rootless: * waived until 2027-01-31: slirp4netns on these runners',
    );
    // still visible in JUnit: a failure of type waived (a skip would read as passing in GitLab)
    expect(formatJunit(report)).toMatch(
      /<failure type="waived" message="waived until 2027-01-31: slirp4netns/,
    );
    expect(formatJunit(report)).toMatch(/failures="1"/);
  });

  it('match only their verdict, identity and host', () => {
    const results = [
      row('network.egress-blocked', 'rootless', 'error'),
      row('network.egress-blocked', 'rootful', 'refuted'),
    ];
    applyWaivers(
      results,
      parseWaivers({ waivers: [waiver, { ...waiver, identity: undefined, host: 'other' }] }),
      'ci-1',
      '2026-11-25',
    );
    expect(results.map((r) => r.waiver)).toEqual([undefined, undefined]);
  });

  it('fail the run once expired (the expiry day still counts), matched or not', () => {
    const w = parseWaivers({ waivers: [waiver] });
    expect(applyWaivers([], w, 'h', '2027-01-31').expired).toEqual([]);
    expect(applyWaivers([], w, 'h', '2027-02-01').expired).toHaveLength(1);
    const results = [row('network.egress-blocked', 'rootless', 'refuted')];
    applyWaivers(results, w, 'h', '2027-02-01');
    expect(results[0]?.waiver).toBeUndefined();
  });

  it.each([
    [{}, /expected \{"waivers": \[\.\.\.\]\}/],
    [{ waivers: [{ ...waiver, claim: 'no.such' }] }, /waiver 1: unknown claim no\.such/],
    [
      { waivers: [{ ...waiver, verdict: 'proven' }] },
      /verdict must be one of refuted, inconclusive, skipped, error/,
    ],
    [{ waivers: [{ ...waiver, reason: ' ' }] }, /a reason is required/],
    [{ waivers: [{ ...waiver, expires: 'next week' }] }, /expires must be a date, YYYY-MM-DD/],
    [{ waivers: [{ ...waiver, identity: 'admin' }] }, /identity must be rootful or rootless/],
  ])('a bad waivers file is a usage error naming the problem: %j', (json, message) => {
    expect(() => parseWaivers(json)).toThrow(message);
  });
});
