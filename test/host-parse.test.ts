import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { externalizedBuiltins } from '../src/apparatus/images.js';
import { parseLdd } from '../src/apparatus/ldd.js';
import {
  compareVersions,
  hasCapBit,
  parsePodmanVersion,
  parseSubid,
  restrictedServiceRuntimeBug,
  subidRangesFor,
  summarizePodmanInfo,
} from '../src/parse/host.js';

const captured = (name: string) => readFileSync(new URL(`./captured/${name}`, import.meta.url), 'utf8');

describe('host parsers', () => {
  it('reads /etc/subuid by name or uid', () => {
    const r = parseSubid('podproof:100000:65536\n1002:165536:65536\n# comment\nbad line\n');
    expect(subidRangesFor(r, 'podproof', 1001)).toEqual([{ user: 'podproof', start: 100000, count: 65536 }]);
    expect(subidRangesFor(r, 'bob', 1002)).toHaveLength(1);
  });
  it('reads podman version text', () => {
    expect(
      parsePodmanVersion('Client:       Podman Engine\nVersion:      4.3.1\nAPI Version:  4.3.1\n'),
    ).toBe('4.3.1');
    expect(parsePodmanVersion('podman version 3.4.4\n')).toBe('3.4.4');
  });
  it('compares versions', () => {
    expect(compareVersions('4.9.3', '5.0.0')).toBeLessThan(0);
    expect(compareVersions('5.0.0', '5.0')).toBe(0);
  });
  it('tests a capability bit', () => {
    expect(hasCapBit('000001ffffffffff', 30)).toBe(true);
    expect(hasCapBit('00000000800405fb', 30)).toBe(false);
  });
  it('summarizes podman 4.3 info (rootful and rootless)', () => {
    const rootful = summarizePodmanInfo(captured('podman-info-4.3-rootful.json'));
    expect(rootful).toMatchObject({
      version: '4.3.1',
      rootless: false,
      networkBackend: 'netavark',
      rootlessNetworkCmd: 'slirp4netns',
      ociRuntime: 'runc',
      ociRuntimeVersion: '1.1.5',
    });
    expect(rootful.defaultCapabilities).toContain('CAP_NET_BIND_SERVICE');
    expect(summarizePodmanInfo(captured('podman-info-4.3-rootless.json'))).toMatchObject({
      rootless: true,
      graphDriver: 'overlay',
    });
  });
  it('takes podman 5 rootless network from the info, or infers pasta from the version', () => {
    expect(
      summarizePodmanInfo('{"host":{"rootlessNetworkCmd":"slirp4netns"},"version":{"Version":"5.2.0"}}')
        .rootlessNetworkCmd,
    ).toBe('slirp4netns');
    expect(summarizePodmanInfo('{"host":{},"version":{"Version":"5.0.1"}}').rootlessNetworkCmd).toBe('pasta');
  });
});

describe('a runtime bug that breaks restricted services', () => {
  const crun = (v: string) =>
    summarizePodmanInfo(
      JSON.stringify({ host: { ociRuntime: { name: 'crun', version: `crun version ${v}\ncommit: x` } } }),
    );
  // crun 1.21's message is `crun_make_error (err, errno, "recvfrom(PF_NETLINK)")` (linux.c), which
  // podman wraps as an OCI runtime error; HEAD's is "recvfrom PF_NETLINK"
  const journal = 'Error: OCI runtime error: crun: recvfrom(PF_NETLINK): Success\n';
  it('is named for crun 1.17 to 1.22 (Debian 13 ships 1.21) whose error the journal shows', () => {
    expect(restrictedServiceRuntimeBug(crun('1.21'), journal)).toMatch(
      /crun 1.21 .*containers\/crun#1828.*journal: Error: OCI runtime error: crun: recvfrom\(PF_NETLINK\)/,
    );
    expect(restrictedServiceRuntimeBug(crun('1.17'), 'crun: sendto PF_NETLINK: x')).toBeDefined();
  });
  it('not before 1.17, not from 1.23, and not when the journal shows another failure', () => {
    expect(restrictedServiceRuntimeBug(crun('1.16.1'), journal)).toBeUndefined();
    expect(restrictedServiceRuntimeBug(crun('1.23'), journal)).toBeUndefined();
    expect(
      restrictedServiceRuntimeBug(crun('1.21'), 'Error: initializing source docker://x: no route\n'),
    ).toBeUndefined();
    expect(restrictedServiceRuntimeBug(crun('1.21'), '')).toBeUndefined();
  });
  it('is not named for runc, nor without a version', () => {
    expect(
      restrictedServiceRuntimeBug(summarizePodmanInfo(captured('podman-info-4.3-rootful.json')), journal),
    ).toBeUndefined();
    expect(restrictedServiceRuntimeBug({ ociRuntime: 'crun' }, journal)).toBeUndefined();
  });
});

describe("node's externalized builtins (the node fixture copies them)", () => {
  it("Debian 13's node: the six files its build names", () => {
    // `node -p process.config.target_defaults.defines` in the Debian 13 VM (nodejs 20.19)
    const defines = [
      'NODE_OPENSSL_CONF_NAME=nodejs_conf',
      'NODE_OPENSSL_CERT_STORE',
      'ICU_NO_USER_DATA_OVERRIDE',
      'NODE_SHARED_BUILTIN_CJS_MODULE_LEXER_LEXER_PATH=/usr/share/nodejs/cjs-module-lexer/lexer.js',
      'NODE_SHARED_BUILTIN_CJS_MODULE_LEXER_DIST_LEXER_PATH=/usr/share/nodejs/cjs-module-lexer/dist/lexer.js',
      'NODE_SHARED_BUILTIN_UNDICI_UNDICI_PATH=/usr/share/nodejs/undici/undici-fetch.js',
      'NODE_SHARED_BUILTIN_ACORN_PATH=/usr/share/nodejs/acorn/dist/acorn.js',
      'NODE_SHARED_BUILTIN_ACORN_WALK_PATH=/usr/share/nodejs/acorn-walk/dist/walk.js',
      'NODE_SHARED_BUILTIN_MINIMATCH_PATH=/usr/share/nodejs/minimatch/dist/cjs/index.bundle.js',
    ];
    expect(externalizedBuiltins({ target_defaults: { defines } })).toEqual([
      '/usr/share/nodejs/cjs-module-lexer/lexer.js',
      '/usr/share/nodejs/cjs-module-lexer/dist/lexer.js',
      '/usr/share/nodejs/undici/undici-fetch.js',
      '/usr/share/nodejs/acorn/dist/acorn.js',
      '/usr/share/nodejs/acorn-walk/dist/walk.js',
      '/usr/share/nodejs/minimatch/dist/cjs/index.bundle.js',
    ]);
  });
  it("a node with everything built in (nodejs.org's, Debian 12's) names none", () => {
    expect(
      externalizedBuiltins({ target_defaults: { defines: ['NODE_OPENSSL_CONF_NAME=nodejs_conf'] } }),
    ).toEqual([]);
    expect(externalizedBuiltins({})).toEqual([]);
  });
});

describe('parseLdd', () => {
  it('lists the closure of a dynamic binary, loader included', () => {
    const text =
      '\tlinux-vdso.so.1 (0x00007ffc)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n';
    expect(parseLdd(text)).toEqual({
      libraries: ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'],
      missing: [],
    });
  });
  it('static binaries have none; missing libraries are reported', () => {
    expect(parseLdd('\tnot a dynamic executable\n').libraries).toEqual([]);
    expect(parseLdd('\tlibfoo.so.1 => not found\n').missing).toEqual(['libfoo.so.1']);
  });
});
