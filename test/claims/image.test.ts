import { describe, expect, it } from 'vitest';
import { checkReadWithoutRunning, containerEvents, type InspectRun } from '../../src/claims/inspect.js';
import {
  checkSignedOnly,
  classifySignedPull,
  type SignedPulls,
  signedByPolicy,
} from '../../src/claims/signed.js';
import { isUnexplained } from '../../src/experiment/types.js';
import { fingerprints } from '../../src/parse/host.js';
import { observed } from '../support/observations.js';

describe('image.signed-only', () => {
  it("reads the primary keys' fingerprints, not the subkeys'", () => {
    const colons = [
      'sec:u:255:22:AAAA:1700000000:::u:::scESC:::+:::ed25519:::0:',
      'fpr:::::::::1111111111111111111111111111111111111111:',
      'grp:::::::::9999:',
      'uid:u::::1700000000::HASH::podproof signer <signer@podproof.invalid>::::::::::0:',
      'ssb:u:255:18:BBBB:1700000000::::::e:::+:::cv25519::',
      'fpr:::::::::2222222222222222222222222222222222222222:',
    ].join('\n');
    expect(fingerprints(colons)).toEqual(['1111111111111111111111111111111111111111']);
  });
  it("only c/image's refusals count, each for what it is", () => {
    expect(
      classifySignedPull({
        exitCode: 125,
        stderr: 'Error: Source image rejected: A signature was required, but no signature exists',
      }),
    ).toBe('no-signature');
    expect(classifySignedPull({ exitCode: 125, stderr: 'Error: connection refused' })).toBe('other');
    expect(classifySignedPull({ exitCode: 0, stderr: '' })).toBe('pulled');
  });
  it('the policy requires the key for the scope and rejects the rest', () => {
    const p = JSON.parse(signedByPolicy('127.0.0.1:5000/p', '/k.gpg'));
    expect(p.default).toEqual([{ type: 'reject' }]);
    expect(p.transports.docker['127.0.0.1:5000/p']).toEqual([
      { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg' },
    ]);
  });
});

describe('image claims: edge cases on captured observations', () => {
  const IDS = ['rootful', 'rootless'] as const;
  it.each(IDS)('reading plus a start of the image is no inspection without running (%s)', (id) => {
    const { treatment, control } = observed<unknown, InspectRun>('image.inspect-without-run', id);
    expect(checkReadWithoutRunning(treatment).holds).toBe(true);
    expect(checkReadWithoutRunning({ ...treatment, started: control.started }).holds).toBe(false);
    expect(checkReadWithoutRunning({ ...treatment, created: control.created }).holds).toBe(false);
  });
  it('counts only the events of the image', () => {
    const events = 'create img:1\nstart img:1\ncreate other:2\nstart img:10\n';
    expect(containerEvents(events, 'img:1')).toEqual({ created: 1, started: 1 });
  });
  it.each(IDS)('a key the policy does not trust must be refused too (%s)', (id) => {
    const { treatment, control } = observed<unknown, SignedPulls>('image.signed-only', id);
    const held = (r: ReturnType<typeof checkSignedOnly>) => !isUnexplained(r) && r.holds;
    expect(held(checkSignedOnly(treatment))).toBe(true);
    expect(held(checkSignedOnly({ ...treatment, otherKey: control.otherKey }))).toBe(false);
  });
});
