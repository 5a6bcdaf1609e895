import { describe, expect, it } from 'vitest';
import { classifyPing } from '../src/claims/api.js';
import { classifyLookup } from '../src/claims/names.js';
import { holderScript, parseSeen } from '../src/claims/secrets.js';
import { classifySignedPull, signedByPolicy } from '../src/claims/signed.js';
import { classifyPull, rejectExcept } from '../src/claims/trust.js';
import { fingerprints, tcpListeners } from '../src/parse/host.js';
import { isStaleRootlessState, netnsFileInSpec, sessionSecrets } from '../src/podman/podman.js';

describe('network.separate-names: busybox nslookup', () => {
  const asked = 'podproof-dns-server 10.89.1.1\n';
  it('an NXDOMAIN is an answer; a timeout or a refusal is none', () => {
    expect(
      classifyLookup(
        `${asked}Server:\t\t10.89.1.1\nAddress:\t10.89.1.1:53\n\n** server can't find x.dns.podman: NXDOMAIN\n`,
        1,
      ),
    ).toEqual({ kind: 'nxdomain', server: '10.89.1.1' });
    expect(classifyLookup(`${asked};; connection timed out; no servers could be reached\n`, 1).kind).toBe(
      'no-answer',
    );
  });
  it("the answer's addresses, not the server's own Address line", () => {
    const text = `${asked}Server:\t\t10.89.1.1\nAddress:\t10.89.1.1:53\n\nName:\tx.dns.podman\nAddress: 10.89.1.2\n\n`;
    expect(classifyLookup(text, 0)).toEqual({
      kind: 'answered',
      server: '10.89.1.1',
      addresses: ['10.89.1.2'],
    });
  });
  it('no default route, a missing nslookup or a crash is unexpected', () => {
    expect(classifyLookup('podproof: no default route\n', 3).kind).toBe('unexpected');
    expect(classifyLookup(`${asked}sh: nslookup: not found\n`, 127).kind).toBe('unexpected');
  });
});

describe('secrets.not-committed', () => {
  it('reads the two lines the containers print', () => {
    expect(parseSeen('file: abc\nenv: abc\n')).toEqual({ file: 'abc', env: 'abc' });
    expect(parseSeen('file: \nenv: \n')).toEqual({ file: '', env: '' });
  });
  it("the holder writes the file only where the secret's is missing", () => {
    expect(holderScript('s1')).toMatch(/\[ -e \/run\/secrets\/s1 \] \|\|/);
  });
  it('teardown finds secrets by the session prefix only', () => {
    const names = 'podproof-abc123def0-secret-1\npodproof-zzz999yyy0-secret-2\nmy-own-secret\n';
    expect(sessionSecrets(names, 'abc123def0')).toEqual(['podproof-abc123def0-secret-1']);
    expect(sessionSecrets(names, undefined)).toEqual([
      'podproof-abc123def0-secret-1',
      'podproof-zzz999yyy0-secret-2',
    ]);
  });
});

describe('a stale rootless store (what a SIGKILL of the pause process and conmon leaves)', () => {
  // as CI met it, after the machine that ran an unfinished test was stopped (podman 4.3.1)
  const refused = {
    exitCode: 1,
    stderr:
      'time="2026-11-26T05:21:03Z" level=warning msg="\\"/\\" is not a shared mount, this could cause issues or missing mounts with rootless containers"\n' +
      'time="2026-11-26T05:21:03Z" level=error msg="invalid internal status, try resetting the pause process with \\"/usr/bin/podman system migrate\\": could not find any running process: no such process"\n',
  };
  it("is recognised by podman's own words, and only on a failure", () => {
    expect(isStaleRootlessState(refused)).toBe(true);
    expect(isStaleRootlessState({ ...refused, exitCode: 0 })).toBe(false);
  });
  it('is also the race where a conmon dies while podman joins it', () => {
    // seen on this host when the pause process and a conmon were SIGKILLed a moment before
    const raced =
      'level=error msg="invalid internal status, try resetting the pause process with \\"podman system migrate\\": cannot re-exec process to join the existing user namespace"\n';
    expect(isStaleRootlessState({ exitCode: 1, stderr: raced })).toBe(true);
  });
  it('not a newuidmap that cannot map (the same first words, in the Debian 13 VM under NoNewPrivileges)', () => {
    const newuidmap =
      'time="2026-11-26T07:50:39Z" level=error msg="invalid internal status, try resetting the pause process with \\"/usr/bin/podman system migrate\\": cannot set up namespace using \\"/usr/bin/newuidmap\\": exit status 1"\n';
    expect(isStaleRootlessState({ exitCode: 1, stderr: newuidmap })).toBe(false);
  });
  it('another failure, or the warning alone, is not it', () => {
    expect(isStaleRootlessState({ exitCode: 1, stderr: refused.stderr.split('\n')[0] ?? '' })).toBe(false);
    expect(
      isStaleRootlessState({
        exitCode: 125,
        stderr: 'Error: cannot setup namespace using newuidmap: exit status 1',
      }),
    ).toBe(false);
  });
});

describe("a stale store's network namespace files (removed once podproof has reset its store)", () => {
  const spec = (path?: string) =>
    JSON.stringify({
      linux: { namespaces: [{ type: 'pid' }, { type: 'network', ...(path ? { path } : {}) }] },
    });
  const rootless = { uid: 1001, runtimeDir: '/run/user/1001' };
  it("takes the network namespace's file from the spec, in the identity's own netns dir only", () => {
    const file = '/run/user/1001/netns/netns-7ac18093-974d-b64c-6bdd-50ee51c7844a';
    expect(netnsFileInSpec(spec(file), rootless)).toBe(file);
    expect(netnsFileInSpec(spec('/run/netns/netns-1b2c'), { uid: 0, runtimeDir: '/run' })).toBe(
      '/run/netns/netns-1b2c',
    );
  });
  it('nothing for --network=none/host, a /proc path, a path that climbs out, or no JSON', () => {
    expect(netnsFileInSpec(spec(), rootless)).toBeUndefined();
    expect(netnsFileInSpec(spec('/proc/4242/ns/net'), rootless)).toBeUndefined();
    expect(netnsFileInSpec(spec('/run/user/1001/netns/../../../etc/passwd'), rootless)).toBeUndefined();
    expect(netnsFileInSpec(spec('/run/netns/netns-1b2c'), rootless)).toBeUndefined();
    expect(netnsFileInSpec('{', rootless)).toBeUndefined();
  });
});

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
