import { describe, expect, it } from 'vitest';
import { classifyPull, rejectExcept } from '../../src/claims/trust.js';

describe('trust.policy', () => {
  it('the policy rejects by default and accepts one repository', () => {
    const policy = JSON.parse(rejectExcept('127.0.0.1:5000/p/accepted'));
    expect(policy.default).toEqual([{ type: 'reject' }]);
    expect(policy.transports.docker['127.0.0.1:5000/p/accepted']).toEqual([
      { type: 'insecureAcceptAnything' },
    ]);
  });
  it("only the policy's own refusal counts as rejected", () => {
    const rejected =
      'Error: Source image rejected: Running image docker://127.0.0.1:5000/p/other:latest is rejected by policy.';
    expect(classifyPull({ exitCode: 125, stderr: rejected })).toBe('rejected');
    expect(
      classifyPull({
        exitCode: 125,
        stderr: 'Error: pinging container registry 127.0.0.1:5000: connection refused',
      }),
    ).toBe('other');
    expect(classifyPull({ exitCode: 0, stderr: '' })).toBe('pulled');
    expect(classifyPull({ exitCode: null, stderr: '', failure: 'timeout' })).toBe('other');
  });
});
