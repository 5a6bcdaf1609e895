// The published package works, not just the source tree: pack it, install the tarball into a
// fresh project, and run and type-check a small suite that uses it as a user would.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../src/exec/run.js';
import { Session } from '../src/exec/session.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const session = new Session();
afterAll(() => session.teardown());

const CONSUMER_TEST = `import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { claims, parseSnapshot, type ClaimResult, type ProbeSnapshot, type Verdict } from 'podproof';
import { registerClaims } from 'podproof/vitest';

const snapshot: ProbeSnapshot = parseSnapshot(readFileSync(new URL('./probe-none.txt', import.meta.url), 'utf8'));

test('matchers from podproof/vitest', () => {
  expect(snapshot).toHaveOnlyLoopback();
  expect(snapshot).toMapUids([[0, 0, 4294967295]]);
  const verdict: Verdict = 'proven';
  const result: ClaimResult = { claim: 'network.loopback-only', title: '', identity: 'rootful', verdict, reason: '', durationMs: 0, evidence: [] };
  expect(result).toBeProven();
  expect(claims.map((c) => c.id)).toContain('network.loopback-only');
});

registerClaims(['network.loopback-only']);
`;

describe('the packed package in a fresh project', () => {
  it('installs, runs a vitest suite with matchers and registerClaims, and type-checks', async () => {
    const dir = session.tempDir('consumer');
    const pack = await exec(['npm', 'pack', '--pack-destination', dir, '--silent'], {
      cwd: root,
      timeoutMs: 180_000,
    });
    expect(pack.exitCode, pack.stderr).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball, pack.stdout).toBeDefined();
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['*.test.ts'],
      }),
    );
    writeFileSync(
      join(project, 'vitest.config.ts'),
      "import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { testTimeout: 600000 } });\n",
    );
    writeFileSync(join(project, 'podproof.test.ts'), CONSUMER_TEST);
    copyFileSync(join(root, 'test', 'captured', 'probe-rootful-none.txt'), join(project, 'probe-none.txt'));
    const install = await exec(
      [
        'npm',
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        join(dir, tarball ?? ''),
        'vitest@4.1.12',
        'typescript@5.9.3',
        '@types/node@20.19.43',
      ],
      { cwd: project, timeoutMs: 300_000 },
    );
    expect(install.exitCode, install.stderr).toBe(0);
    const run = await exec(['npx', 'vitest', 'run', '--reporter=verbose'], {
      cwd: project,
      timeoutMs: 600_000,
      env: { NO_COLOR: '1' },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/matchers from podproof\/vitest/);
    expect(run.stdout).toMatch(/network\.loopback-only \((rootful|rootless)\)/);
    const tsc = await exec(['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'], {
      cwd: project,
      timeoutMs: 120_000,
    });
    expect(tsc.exitCode, tsc.stdout + tsc.stderr).toBe(0);

    // a skipped claim keeps its reason in vitest's JUnit output (as root, a missing rootless user skips)
    const junit = join(project, 'junit.xml');
    const skipped = await exec(['npx', 'vitest', 'run', '--reporter=junit', `--outputFile=${junit}`], {
      cwd: project,
      timeoutMs: 600_000,
      env: { PODPROOF_ROOTLESS_USER: 'podproof-no-such-user' },
    });
    expect(skipped.exitCode, skipped.stdout + skipped.stderr).toBe(0);
    const xmlText = readFileSync(junit, 'utf8');
    const skips = xmlText.split('<testcase').filter((c) => c.includes('<skipped'));
    if (process.getuid?.() === 0) expect(skips.length).toBeGreaterThan(0);
    for (const c of skips) expect(c).toMatch(/<property name="notice" value="skipped: [^"]+"/);
    if (process.getuid?.() === 0) {
      expect(xmlText).toMatch(
        /skipped: rootless: rootless user &quot;podproof-no-such-user&quot; does not exist/,
      );
    }
  }, 900_000);
});
