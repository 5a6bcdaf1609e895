import { describe, expect, it } from 'vitest';
import { type ApiRun, checkOwnerOnly, classifyPing } from '../../src/claims/api.js';
import { isUnexplained } from '../../src/experiment/types.js';
import { tcpListeners } from '../../src/parse/host.js';
import { observed } from '../support/observations.js';

describe('api.socket-owner-only', () => {
  it('an answer is HTTP 200 with OK; EACCES is denied; anything else is no evidence', () => {
    expect(classifyPing({ stdout: 'answer: HTTP/1.1 200 OK | OK\n' })).toBe('ok');
    expect(classifyPing({ stdout: 'error: EACCES\n' })).toBe('denied');
    expect(classifyPing({ stdout: 'error: ECONNREFUSED\n' })).toBe('other');
    expect(classifyPing({ stdout: 'answer: HTTP/1.1 404 Not Found | \n' })).toBe('other');
  });
  it("lists only the process's own listening sockets", () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
      '   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0',
      '   2: 0100007F:1F92 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0',
    ].join('\n');
    expect(tcpListeners(tcp, new Set(['222', '333']))).toEqual(['0100007F:1F91']);
    expect(tcpListeners(tcp, new Set())).toEqual([]);
  });
});

describe('api.socket-owner-only: edge cases on captured observations', () => {
  it.each(['rootful', 'rootless'] as const)(
    "a TCP listener of the service's own breaks the claim (%s)",
    (id) => {
      const { treatment } = observed<unknown, ApiRun>('api.socket-owner-only', id);
      const held = (r: ReturnType<typeof checkOwnerOnly>) => !isUnexplained(r) && r.holds;
      expect(held(checkOwnerOnly(treatment))).toBe(true);
      expect(held(checkOwnerOnly({ ...treatment, tcpListeners: ['tcp 0100007F:1F90'] }))).toBe(false);
    },
  );
});
