// The published package works, not just the source tree: pack it, install the tarball into a
// fresh project, and run and type-check a small suite that uses it as a user would.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../src/exec/run.js';
import { Session } from '../src/exec/session.js';
import { resolvePodmanBinary } from '../src/podman/podman.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const session = new Session();
afterAll(() => session.teardown());

/** A user's claim as an ES module for \`podproof prove --claims\` (plain JavaScript). */
const USER_CLAIMS_JS = `import { BUSYBOX, defineClaim, imageOf, probeArm, unexplained } from 'podproof';

const chown = (s) => s.capabilities?.effective.includes('chown');
const seen = (s) => \`CapEff \${s.capabilities?.effective.join(',') || 'empty'}\`;

export const dropChown = defineClaim({
  id: 'mine.cap-drop-chown',
  title: '--cap-drop=CHOWN takes chown away from container root',
  source: 'podman-run(1) --cap-drop',
  identities: ['rootful', 'rootless'],
  setup: imageOf(BUSYBOX),
  treatment: probeArm({
    purpose: 'treatment: --cap-drop=CHOWN',
    flags: ['--cap-drop=CHOWN'],
    check: (s) => (s.capabilities ? { holds: !chown(s), observed: seen(s) } : unexplained('no CapEff')),
  }),
  control: probeArm({
    purpose: 'control: default capabilities',
    check: (s) => (s.capabilities ? { holds: chown(s), observed: seen(s) } : unexplained('no CapEff')),
  }),
});
`;

const CONSUMER_TEST = `import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import {
  BUSYBOX,
  claims,
  container,
  defineClaim,
  fixtureImage,
  imageOf,
  openPodman,
  parseSnapshot,
  probeArm,
  prove,
  proveSpec,
  type ClaimResult,
  type Observation,
  type ProbeSnapshot,
  type Verdict,
} from 'podproof';
import { registerClaims } from 'podproof/vitest';

// the same claim as claims.js, in TypeScript: defineClaim types the setup and the observations
const effective = (s: ProbeSnapshot): Observation => ({
  holds: s.capabilities?.effective.includes('chown') === false,
  observed: \`CapEff \${s.capabilities?.effective.join(',') || 'empty'}\`,
});
const dropChown = defineClaim({
  id: 'mine.cap-drop-chown',
  title: '--cap-drop=CHOWN takes chown away from container root',
  source: 'podman-run(1) --cap-drop',
  identities: ['rootful', 'rootless'],
  setup: imageOf(BUSYBOX),
  treatment: probeArm({ purpose: 'treatment: --cap-drop=CHOWN', flags: ['--cap-drop=CHOWN'], check: effective }),
  control: probeArm({
    purpose: 'control: default capabilities',
    check: (s) => ({ ...effective(s), holds: !effective(s).holds && s.capabilities !== undefined }),
  }),
});

test('a user claim through prove()', async () => {
  const report = await prove({ claims: [...claims, dropChown], only: ['mine'] });
  const want = (process.env.CONSUMER_EXPECT ?? 'proven') as Verdict;
  expect(report.results.length).toBeGreaterThan(0);
  for (const r of report.results) if (r.verdict !== 'skipped') expect(r.verdict, r.reason).toBe(want);
});

const snapshot: ProbeSnapshot = parseSnapshot(readFileSync(new URL('./probe-none.txt', import.meta.url), 'utf8'));

test('matchers from podproof/vitest', () => {
  expect(snapshot).toHaveOnlyLoopback();
  expect(snapshot).toMapUids([[0, 0, 4294967295]]);
  const verdict: Verdict = 'proven';
  const result: ClaimResult = { claim: 'network.loopback-only', title: '', identity: 'rootful', verdict, reason: '', durationMs: 0, evidence: [] };
  expect(result).toBeProven();
  expect(claims.map((c) => c.id)).toContain('network.loopback-only');
});

// your own container, built in code: a row per setting, each with its control
test('a container spec through proveSpec()', async () => {
  const podman = await openPodman({ identity: 'rootful' });
  const image = await fixtureImage(podman, BUSYBOX).finally(() => podman.close());
  const web = container(image).named('web').withNetwork('none').withCapDrop('ALL').withReadOnly().toSpec();
  const report = await proveSpec(web, { storage: 'podproof', identities: ['rootful'] });
  const want = (process.env.CONSUMER_EXPECT_CAPS ?? 'proven') as Verdict;
  const verdicts = Object.fromEntries(report.results.map((r) => [r.claim, r.verdict]));
  expect(verdicts).toEqual({ 'web.network-none': 'proven', 'web.capabilities': want, 'web.read-only': 'proven' });
});

registerClaims(['network.loopback-only', 'userns.auto-ranges']);
registerClaims(['mine'], { claims: [dropChown] });
`;

/** A second file vitest runs beside the first (its workers): the same claims, one of them exclusive. */
const SHARED_HOST_TEST = `import { registerClaims } from 'podproof/vitest';

registerClaims(['userns.auto-ranges', 'network.loopback-only']);
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
    // with the concurrency suite only (suites/concurrent.test.ts says why)
    const sharedHost = Number(process.env.PODPROOF_CONCURRENT_ROUNDS ?? 0) > 0;
    if (sharedHost) writeFileSync(join(project, 'shared-host.test.ts'), SHARED_HOST_TEST);
    writeFileSync(join(project, 'claims.js'), USER_CLAIMS_JS);
    // a podman that ignores --cap-drop=CHOWN: a host that breaks the user's claim
    const broken = join(project, 'podman-ignores-cap-drop');
    writeFileSync(
      broken,
      `#!/bin/bash\nargs=()\nfor a in "$@"; do [[ $a == --cap-drop=CHOWN ]] || args+=("$a"); done\nexec ${resolvePodmanBinary()} "\${args[@]}"\n`,
      { mode: 0o755 },
    );
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
    // what the package ships: its built code and types, the schema, the preparation script, the
    // README and LICENSE; no sources, tests or source maps pointing at files it does not ship
    const shipped = (await exec(['tar', '-tzf', join(dir, tarball ?? '')])).stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/vitest/index.js', 'dist/cli.js', 'LICENSE'])
      expect(shipped).toContain(f);
    expect(
      shipped.filter(
        (f) => !/^(dist\/|schema\/|scripts\/prepare-host$|README\.md$|LICENSE$|package\.json$)/.test(f),
      ),
    ).toEqual([]);
    expect(shipped.filter((f) => f.endsWith('.map'))).toEqual([]);
    const ver = await exec(['npx', 'podproof', '--version'], { cwd: project });
    expect(ver.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
    );
    const run = await exec(['npx', 'vitest', 'run', '--reporter=verbose'], {
      cwd: project,
      timeoutMs: 600_000,
      env: { NO_COLOR: '1', ...(sharedHost ? { PODPROOF_HOST_LOCK: '1' } : {}) },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/matchers from podproof\/vitest/);
    expect(run.stdout).toMatch(/network\.loopback-only \((rootful|rootless)\)/);
    expect(run.stdout).toMatch(/mine\.cap-drop-chown \((rootful|rootless)\)/);
    // two files at once, each proving the exclusive userns.auto-ranges: both pass (host-wide lock)
    if (sharedHost) {
      expect(run.stdout).toMatch(/shared-host\.test\.ts/);
      expect(run.stdout.match(/userns\.auto-ranges \((rootful|rootless)\)/g)?.length).toBeGreaterThanOrEqual(
        2,
      );
    }
    expect(run.stdout).toMatch(/a user claim through prove\(\)/);
    expect(run.stdout).toMatch(/a container spec through proveSpec\(\)/);

    // the same claim refuted on a host that breaks it: through the library ...
    const refuted = await exec(['npx', 'vitest', 'run', '-t', 'a user claim through prove'], {
      cwd: project,
      timeoutMs: 600_000,
      env: { NO_COLOR: '1', PODPROOF_PODMAN: broken, CONSUMER_EXPECT: 'refuted' },
    });
    expect(refuted.exitCode, refuted.stdout + refuted.stderr).toBe(0);
    // a podman that drops --cap-drop refutes the spec's capability row, and only that one
    const noCapDrop = join(project, 'podman-drops-cap-drop');
    writeFileSync(
      noCapDrop,
      `#!/bin/bash\nargs=()\nfor a in "$@"; do [[ $a == --cap-drop=* ]] || args+=("$a"); done\nexec ${resolvePodmanBinary()} "\${args[@]}"\n`,
      { mode: 0o755 },
    );
    const specRefuted = await exec(['npx', 'vitest', 'run', '-t', 'a container spec through proveSpec'], {
      cwd: project,
      timeoutMs: 600_000,
      env: { NO_COLOR: '1', PODPROOF_PODMAN: noCapDrop, CONSUMER_EXPECT_CAPS: 'refuted' },
    });
    expect(specRefuted.exitCode, specRefuted.stdout + specRefuted.stderr).toBe(0);
    // ... through podproof/vitest: registerClaims' test of the claim fails, saying refuted ...
    const failing = await exec(['npx', 'vitest', 'run', '-t', 'mine\\.cap-drop-chown'], {
      cwd: project,
      timeoutMs: 600_000,
      env: { NO_COLOR: '1', PODPROOF_PODMAN: broken },
    });
    expect(failing.exitCode, failing.stdout + failing.stderr).toBe(1);
    expect(failing.stdout + failing.stderr).toMatch(/refuted/);
    // ... and from the CLI with --claims: proven, then refuted under the broken podman
    const cli = (env: Record<string, string>, json: string) =>
      exec(['npx', 'podproof', 'prove', '--claims', './claims.js', '--only', 'mine', '--json', json], {
        cwd: project,
        timeoutMs: 600_000,
        env: { NO_COLOR: '1', ...env },
      });
    const verdicts = (json: string) =>
      (JSON.parse(readFileSync(join(project, json), 'utf8')) as { results: { verdict: string }[] }).results
        .map((r) => r.verdict)
        .filter((v) => v !== 'skipped');
    const healthy = await cli({}, 'healthy.json');
    expect(healthy.exitCode, healthy.stdout + healthy.stderr).toBe(0);
    expect(verdicts('healthy.json').length).toBeGreaterThan(0);
    expect(new Set(verdicts('healthy.json'))).toEqual(new Set(['proven']));
    const breaks = await cli({ PODPROOF_PODMAN: broken }, 'broken.json');
    expect(breaks.exitCode, breaks.stdout + breaks.stderr).toBe(1);
    expect(new Set(verdicts('broken.json'))).toEqual(new Set(['refuted']));
    const listed = await exec(['npx', 'podproof', 'list', '--claims', './claims.js'], { cwd: project });
    expect(listed.stdout).toMatch(/^mine\.cap-drop-chown /m);
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
