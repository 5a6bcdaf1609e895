/**
 * A user's own container, proven: a spec built in code (and a `podman run` line) becomes one row
 * per isolation setting, each with its control; a podman that drops a setting refutes its row.
 * The image is the busybox fixture in podproof's storage, run with podproof's tools mounted (as a
 * shell-less image would be).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, fixtureImage } from '../src/apparatus/images.js';
import { exec } from '../src/exec/run.js';
import { container, fromRunArgs } from '../src/parse/container-spec.js';
import { openPodman } from '../src/podman/open.js';
import { Podman } from '../src/podman/podman.js';
import { proveSpec } from '../src/runner/prove-spec.js';
import {
  apiService,
  hostContainersConf,
  identity,
  podmanWrapper,
  realPodman,
  runCli,
  testSession,
} from './helpers.js';

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

// a host directory of the test's own, as a user's data volume (mount flags are read, nothing written)
const data = testSession.tempDir('spec-data');
/** A user's seccomp profile: podman's default answer for all but mkdir, which it refuses (EPERM). */
const noMkdir = join(testSession.tempDir('spec-seccomp'), 'no-mkdir.json');
writeFileSync(
  noMkdir,
  JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  }),
);
/** Paths a default container sees (a mask of the spec hides them). */
const MASKED = '/proc/version:/proc/cmdline';

const hardened = container(image)
  .named('hardened')
  .withNetwork('none')
  .withCapDrop('ALL')
  .withCapAdd('NET_BIND_SERVICE')
  .withReadOnly()
  .withNoNewPrivileges()
  .withUser('1000:1000')
  .withIpc('none')
  .withVolume(data, '/data', 'ro', 'noexec')
  .withMask(...MASKED.split(':'))
  .withUserns('auto')
  .withOption('--security-opt', `seccomp=${noMkdir}`)
  .withOption('--pids-limit=100')
  .toSpec();

afterAll(() => testSession.teardown());

/** Each identity's host containers.conf with pidns="host" (wrapper code that exports it by uid). */
const pidnsHostConf = (['rootful', 'rootless'] as const)
  .map((name) => identity(name).identity)
  .filter((who) => who !== undefined)
  .map(
    (who) =>
      `[ "$(id -u)" = ${who.uid} ] && export CONTAINERS_CONF=${hostContainersConf(who, { containers: { pidns: 'host' } })};`,
  )
  .join(' ');

/**
 * A shell-less image of the test's own (one file, no sh, no cat): imported into each identity's
 * podproof storage with the test session's label, removed when the tests end.
 */
const shellLess = 'localhost/podproof-test/shell-less:1';
const podmans = (['rootful', 'rootless'] as const)
  .map((name) => identity(name).identity)
  .filter((who) => who !== undefined)
  .map((who) => new Podman({ binary: realPodman, identity: who, session: testSession }));
beforeAll(async () => {
  const dir = testSession.tempDir('shell-less');
  writeFileSync(join(dir, 'app'), 'not a program: the image has no shell\n');
  const tar = join(dir, 'rootfs.tar');
  const packed = await exec([
    'tar',
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '-C',
    dir,
    '-cf',
    tar,
    'app',
  ]);
  expect(packed.exitCode).toBe(0);
  for (const podman of podmans) {
    testSession.onTeardown(`remove ${shellLess}`, async () => {
      await podman.cmd(['rmi', '-f', shellLess], { purpose: 'cleanup', timeoutMs: 60_000 });
    });
    const imported = await podman.cmd(
      ['import', '--change', `LABEL ${testSession.label}`, '--change', 'CMD ["/app"]', tar, shellLess],
      { timeoutMs: 60_000 },
    );
    expect(imported.exitCode, imported.stderr).toBe(0);
  }
});

describe('proveSpec: a user container, setting by setting', () => {
  it("proves a shell-less image: the probe runs on podproof's own tools", async () => {
    const spec = container(shellLess).named('shell-less').withNetwork('none').withUser('1000:1000').toSpec();
    const report = await proveSpec(spec, { storage: 'podproof' });
    const rows = report.results.map((r) => `${r.claim} ${r.identity} ${r.verdict}: ${r.reason}`);
    expect(report.results.length).toBe(2 * podmans.length);
    for (const r of report.results) expect(r.verdict, rows.join('\n')).toBe('proven');
  });

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
        'hardened.ipc-none',
        'hardened.volume-data-ro',
        'hardened.volume-data-noexec',
        'hardened.mask',
        'hardened.userns',
        'hardened.seccomp',
      ]),
    );
    expect(report.notProven).toEqual(['hardened: --pids-limit=100: not a setting podproof proves yet']);
    expect(report.leavesOpen).toEqual([]);
  });

  it("a weak spec's rows, and what it leaves open on this host", async () => {
    // --pid=private: its control, --pid=host, cannot mount /proc beside a user namespace of the
    // spec's own (rootful --userns=auto): proven here, in a spec without one
    const report = await proveSpec(fromRunArgs(['--user=1000:1000', '--pid=private', image], 'weak'), {
      storage: 'podproof',
    });
    expect(report.results.map((r) => r.claim)).toContain('weak.pid');
    for (const r of report.results) expect(r.verdict, r.reason).toBe('proven');
    const open = report.leavesOpen ?? [];
    for (const r of report.results) {
      const here = open.filter((l) => l.startsWith(`weak (${r.identity}): `)).map((l) => l.split(': ')[1]);
      expect(here).toEqual([
        'network',
        'capabilities',
        'root filesystem',
        'NoNewPrivs',
        ...(r.identity === 'rootful' ? ['user namespace'] : []),
      ]);
    }
  });

  // the breakages of derived rows: a podman that drops the setting the spec asks for, or runs
  // another in its place; each must leave its row refuted, for every identity
  const breakages: { row: string; options: string[]; how: string; editRun: string }[] = [
    {
      row: 'network-none',
      options: ['--network=none'],
      how: 'drops --network',
      editRun: 'drop_args "^--network="',
    },
    {
      row: 'network-none',
      options: ['--network=none'],
      how: 'runs --network=host instead',
      editRun: 'replace_arg --network=none --network=host',
    },
    {
      row: 'capabilities',
      options: ['--cap-drop=ALL'],
      how: 'drops --cap-drop',
      editRun: 'drop_args "^--cap-drop="',
    },
    {
      row: 'capabilities',
      options: ['--cap-drop=ALL', '--cap-add=NET_BIND_SERVICE'],
      how: 'adds NET_RAW too',
      editRun: 'if has --cap-drop=ALL; then add_after_run --cap-add=NET_RAW; fi',
    },
    {
      row: 'read-only',
      options: ['--read-only'],
      how: 'drops --read-only',
      editRun: 'drop_args "^--read-only$"',
    },
    {
      row: 'read-only',
      options: ['--read-only'],
      how: 'runs --read-only=false instead',
      editRun: 'replace_arg --read-only --read-only=false',
    },
    {
      row: 'no-new-privileges',
      options: ['--security-opt=no-new-privileges'],
      how: 'drops the security option',
      editRun: 'drop_args "^--security-opt=no-new-privileges$"',
    },
    {
      row: 'no-new-privileges',
      options: ['--security-opt=no-new-privileges'],
      how: 'runs another security option instead',
      editRun: 'replace_arg --security-opt=no-new-privileges --security-opt=label=disable',
    },
    { row: 'user', options: ['--user=1000:1000'], how: 'drops --user', editRun: 'drop_args "^--user="' },
    {
      row: 'user',
      options: ['--user=1000:1000'],
      how: 'runs as root instead',
      editRun: 'replace_arg --user=1000:1000 --user=0:0',
    },
    { row: 'ipc-none', options: ['--ipc=none'], how: 'drops --ipc', editRun: 'drop_args "^--ipc="' },
    {
      row: 'ipc-none',
      options: ['--ipc=none'],
      how: 'runs --ipc=private instead',
      editRun: 'replace_arg --ipc=none --ipc=private',
    },
    {
      row: 'pid',
      options: ['--pid=private'],
      how: 'runs --pid=host instead',
      editRun: 'replace_arg --pid=private --pid=host',
    },
    {
      row: 'pid',
      options: ['--pid=private'],
      how: 'drops --pid under a containers.conf with pidns="host"',
      editRun: `drop_args "^--pid="; ${pidnsHostConf}`,
    },
    {
      row: 'volume-data-ro',
      options: [`--volume=${data}:/data:ro`],
      how: 'mounts the volume rw',
      editRun: `replace_arg --volume=${data}:/data:ro --volume=${data}:/data:rw`,
    },
    {
      row: 'volume-data-ro',
      options: [`--volume=${data}:/data:ro`],
      how: 'drops the volume options',
      editRun: `replace_arg --volume=${data}:/data:ro --volume=${data}:/data`,
    },
    {
      row: 'volume-data-noexec',
      options: [`--volume=${data}:/data:noexec`],
      how: 'mounts the volume exec',
      editRun: `replace_arg --volume=${data}:/data:noexec --volume=${data}:/data:exec`,
    },
    {
      row: 'volume-data-noexec',
      options: [`--volume=${data}:/data:noexec`],
      how: 'mounts the volume without noexec',
      editRun: `replace_arg --volume=${data}:/data:noexec --volume=${data}:/data`,
    },
    {
      row: 'mask',
      options: [`--security-opt=mask=${MASKED}`],
      how: 'drops the mask',
      editRun: 'drop_args "^--security-opt=mask="',
    },
    {
      row: 'mask',
      options: [`--security-opt=mask=${MASKED}`],
      how: 'masks another path instead',
      editRun: `replace_arg --security-opt=mask=${MASKED} --security-opt=mask=/proc/cpuinfo`,
    },
    {
      row: 'seccomp',
      options: [`--security-opt=seccomp=${noMkdir}`],
      how: 'drops the seccomp profile',
      editRun: 'drop_args "^--security-opt=seccomp="',
    },
    {
      row: 'seccomp',
      options: [`--security-opt=seccomp=${noMkdir}`],
      how: 'runs seccomp=unconfined instead',
      editRun: `replace_arg --security-opt=seccomp=${noMkdir} --security-opt=seccomp=unconfined`,
    },
    { row: 'userns', options: ['--userns=auto'], how: 'drops --userns', editRun: 'drop_args "^--userns="' },
    {
      row: 'userns',
      options: ['--userns=auto'],
      how: 'runs --userns=host instead',
      editRun: 'replace_arg --userns=auto --userns=host',
    },
  ];
  it.for(breakages)('a podman that $how refutes the $row row', async ({ row, options, how, editRun }) => {
    const name = `spec-${row}-${how.replace(/\W+/g, '-')}`;
    const report = await proveSpec(fromRunArgs([...options, image], 'broken'), {
      storage: 'podproof',
      podman: podmanWrapper(name, editRun),
    });
    const rows = report.results.filter((r) => r.claim === `broken.${row}` && r.verdict !== 'skipped');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.verdict, `${r.identity}: ${r.reason}`).toBe('refuted');
  });

  // a Quadlet unit's [Service] settings: its container started by a transient service with the
  // setting and without it (rootful needs systemd as PID 1: skipped on a host without one)
  const serviceSpec = {
    ...fromRunArgs(['--network=none', image], 'svc'),
    unitSettings: ['RestrictAddressFamilies=AF_UNIX AF_NETLINK', 'NoNewPrivileges=yes'],
  };
  const SERVICE_ROWS = ['svc.service-restrict-address-families', 'svc.service-no-new-privileges'];
  const underSystemd = (r: { verdict: string; reason: string }) =>
    r.verdict !== 'skipped' || !/PID 1 is not systemd|no systemd user manager/.test(r.reason);

  it("proves a unit's [Service] rows where a systemd manager runs its units", async () => {
    const report = await proveSpec(serviceSpec, { storage: 'podproof' });
    const rows = report.results.filter((r) => SERVICE_ROWS.includes(r.claim));
    const lines = rows.map((r) => `${r.claim} ${r.identity} ${r.verdict}: ${r.reason}`).join('\n');
    expect(rows.filter(underSystemd).length, lines).toBeGreaterThan(0);
    for (const r of rows.filter(underSystemd)) expect(r.verdict, lines).toBe('proven');
  });

  // the container made outside the restricted service: it inherits nothing of it
  const serviceBreakages = [
    {
      how: 'runs the container from a transient service of its own',
      editRun: `[ "$(id -u)" = 0 ] || exec systemd-run --user --wait --pipe --quiet --collect ${realPodman} "\${args[@]}"`,
    },
    {
      how: "runs the container through the identity's API service",
      service: true,
    },
  ];
  it.for(serviceBreakages)(
    'a podman that $how refutes the [Service] rows',
    async ({ how, editRun, service }) => {
      const who = podmans.find((p) => p.identity.name === 'rootless')?.identity;
      if (!who) return;
      const edit = service
        ? `strip_globals; exec ${realPodman} --remote --url unix://${await apiService(who)} "\${args[@]}"`
        : (editRun ?? '');
      const report = await proveSpec(serviceSpec, {
        storage: 'podproof',
        identities: ['rootless'],
        podman: podmanWrapper(`spec-service-${how.replace(/\W+/g, '-')}`, edit),
      });
      const rows = report.results.filter((r) => SERVICE_ROWS.includes(r.claim));
      const lines = rows.map((r) => `${r.claim} ${r.identity} ${r.verdict}: ${r.reason}`).join('\n');
      // the same rows the unbroken host proves (the test above): both, where a manager answers
      if (rows.some(underSystemd)) expect(rows.filter(underSystemd).length, lines).toBe(2);
      for (const r of rows.filter(underSystemd)) expect(r.verdict, lines).toBe('refuted');
    },
  );

  it("startSpec: a container of the user's, from the builder, removed when its scope ends", async () => {
    const who = podmans[0]?.identity.name ?? 'rootless';
    await using podman = await openPodman({ identity: who, storage: 'podproof' });
    const spec = container(image).named('web').withNetwork('none').withCommand('sleep', '600').toSpec();
    const running = async (name: string) =>
      (await podman.cmd(['ps', '--format', '{{.Names}}', '--filter', `name=^${name}$`])).stdout.trim();
    let name = '';
    {
      await using web = await podman.startSpec(spec);
      name = web.name;
      expect(web.id).toMatch(/^[0-9a-f]{64}$/);
      expect(await running(name)).toBe(name);
    }
    expect(await running(name)).toBe('');
  });

  it('the CLI takes a run line, and names an image not in the storage in one line', async () => {
    const { run } = await runCli(['prove', '--run', '--', '--network=none', 'localhost/podproof-no-such:1']);
    expect(run.stderr).toMatch(/^podproof: image localhost\/podproof-no-such:1 is not in \w+'s storage/m);
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    const unknown = await runCli(['prove', '--run', '--', '--bogus=1', 'localhost/podproof-no-such:1']);
    expect(unknown.run.exitCode).toBe(2);
    expect(unknown.run.stderr).toMatch(/--run: --bogus: not an option of this podman/);
    const bad = await runCli(['prove', '--run', '--', '--network']);
    expect(bad.run.exitCode).toBe(2);
    expect(bad.run.stderr).toMatch(/--run: --network needs a value/);
  });
});
