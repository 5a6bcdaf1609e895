/**
 * A user's own container, proven: a spec built in code (and a `podman run` line) becomes one row
 * per isolation setting, each with its control; a podman that drops a setting refutes its row.
 * The image is the busybox fixture in podproof's storage, run with podproof's tools mounted (as a
 * shell-less image would be).
 */
import { describe, expect, it } from 'vitest';
import { BUSYBOX, fixtureImage } from '../src/apparatus/images.js';
import { container, fromRunArgs } from '../src/parse/container-spec.js';
import { Podman } from '../src/podman/podman.js';
import { proveSpec } from '../src/runner/prove-spec.js';
import { identity, podmanWrapper, realPodman, runCli, testSession } from './helpers.js';

// the fixture in each identity's podproof storage: the same content hash, so one reference
const refs = await Promise.all(
  (['rootful', 'rootless'] as const)
    .map((name) => identity(name).identity)
    .filter((who) => who !== undefined)
    .map((who) =>
      fixtureImage(new Podman({ binary: realPodman, identity: who, session: testSession }), BUSYBOX),
    ),
);
const image = refs[0] ?? 'localhost/podproof/busybox';

const hardened = container(image)
  .named('hardened')
  .withNetwork('none')
  .withCapDrop('ALL')
  .withCapAdd('NET_BIND_SERVICE')
  .withReadOnly()
  .withNoNewPrivileges()
  .withUser('1000:1000')
  .withOption('--pids-limit=100')
  .toSpec();

describe('proveSpec: a user container, setting by setting', () => {
  it('proves every derived row of a hardened spec, for both identities', async () => {
    const report = await proveSpec(hardened, { storage: 'podproof' });
    const rows = report.results.map((r) => `${r.claim} ${r.identity} ${r.verdict}: ${r.reason}`);
    expect(report.results.length, rows.join('\n')).toBeGreaterThan(0);
    for (const r of report.results)
      expect(r.verdict === 'proven' || r.verdict === 'skipped', rows.join('\n')).toBe(true);
    expect(report.results.filter((r) => r.verdict === 'proven').map((r) => r.claim)).toEqual(
      expect.arrayContaining([
        'hardened.network-none',
        'hardened.capabilities',
        'hardened.read-only',
        'hardened.no-new-privileges',
        'hardened.user',
      ]),
    );
    expect(report.notProven).toEqual(['hardened: --pids-limit=100: not a setting podproof proves yet']);
  });

  it('a podman that drops --cap-drop refutes the capability row', async () => {
    const wrapper = podmanWrapper(
      'spec-drops-cap-drop',
      `kept=(); for a in "\${args[@]}"; do [[ $a == --cap-drop=* ]] || kept+=("$a"); done; args=("\${kept[@]}")`,
    );
    const spec = fromRunArgs(['--cap-drop=ALL', image], 'weak');
    const report = await proveSpec(spec, { storage: 'podproof', podman: wrapper });
    const row = report.results.find((r) => r.claim === 'weak.capabilities' && r.verdict !== 'skipped');
    expect(row?.verdict, row?.reason).toBe('refuted');
  });

  it('the CLI takes a run line, and names an image not in the storage in one line', async () => {
    const { run, report } = await runCli([
      'prove',
      '--run',
      '--',
      '--network=none',
      'localhost/podproof-no-such:1',
    ]);
    const reasons = report?.results.map((r) => r.reason).join('\n') ?? run.stderr;
    expect(reasons).toMatch(/image localhost\/podproof-no-such:1 is not in \w+'s storage/);
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    const bad = await runCli(['prove', '--run', '--', '--network']);
    expect(bad.run.exitCode).toBe(2);
    expect(bad.run.stderr).toMatch(/--run: --network needs a value/);
  });
});
