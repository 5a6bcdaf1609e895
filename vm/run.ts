// npm run test:vm: prove the catalog on a second host kind, a Debian 13 VM (systemd as PID 1,
// cgroup v2, podman 5.4, crun, pasta), beside this machine.
//
//   npm run test:vm -- --kind trixie|sid|bookworm|sid-selinux|all   (vm/kinds.ts; default trixie)
//   npm run test:vm -- --kind all --build-only                      (build the images, boot nothing)
//
//   build   the disk image with mmdebstrap (cached by its recipe's hash; vm/image.ts)
//   boot    qemu, KVM where it works and TCG otherwise (found by trying), no network out;
//           the checkout shared read-only, an output folder shared writable (vm/qemu.ts)
//   inside  vm/guest/boot: prepare-host, `prove --json` as root and as the normal user, the
//           reboot test of systemd.userns-precreated, then power off
//   report  this machine's report and the VM's side by side (`podproof merge`), written to
//           PODPROOF_VM_OUT (default reports/vm), and the acceptance checks below
//
// Needs root (qemu, unpacking the image with its owners). Exit 0 only when every VM row is
// proven or skipped, rootful systemd.* and the egress claim are proven and the reboot test held.
// Everything it makes is journaled by a podproof session: SIGINT tears it down, `podproof clean`
// after a SIGKILL.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeEvidence } from '../src/exec/evidence.js';
import { resolveIdentity } from '../src/exec/identity.js';
import { exec } from '../src/exec/run.js';
import { Session } from '../src/exec/session.js';
import { checkVmReports, crunPlan, planText, readGuestOutput, STEPS } from './check.js';
import { fleetRun } from './fleet.js';
import { type CachedImage, cacheRoot, ensureImage } from './image.js';
import { kindsAsked } from './kinds.js';
import { checkoutDir } from './paths.js';
import { followGuestLogs, guestProgressPrinter } from './progress.js';
import { type Accel, bootVm, detectAccel } from './qemu.js';

const checkout = checkoutDir();
const cli = join(checkout, 'dist', 'cli.js');
const outDir = resolve(process.env.PODPROOF_VM_OUT || join(checkout, 'reports', 'vm'));
/**
 * The whole VM run, boots and reboots included, is bounded by this: PODPROOF_VM_LIMIT_S, else
 * 40 min under KVM and 120 min under TCG (the whole catalog, both users and the reboots took
 * 52 min here under TCG, nothing else running).
 */
const vmLimitMs = (accel: Accel) =>
  Number(process.env.PODPROOF_VM_LIMIT_S || (accel === 'tcg' ? 120 : 40) * 60) * 1000;
/** PODPROOF_TIME_SCALE inside a VM under TCG: measured here, the guest ran podman 5-10 times slower than this host. */
const TCG_TIME_SCALE = 8;
const log = (m: string) => console.log(`test:vm: ${m}`);
const started = performance.now();
const seconds = () => Math.round((performance.now() - started) / 1000);

/** Host tools the harness needs, with their Debian package. */
const TOOLS: Record<string, string> = {
  'ssh-keygen': 'openssh-client',
  mmdebstrap: 'mmdebstrap',
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  mke2fs: 'e2fsprogs',
};

async function prepareTools(fleet: boolean): Promise<void> {
  const missing: string[] = [];
  // the fleet run drives both hosts with Ansible: checked (and installed) before anything boots
  const tools = fleet ? { ...TOOLS, 'ansible-playbook': 'ansible-core' } : TOOLS;
  for (const [bin, pkg] of Object.entries(tools))
    if ((await exec(['sh', '-c', 'command -v "$1"', 'sh', bin])).exitCode !== 0) missing.push(pkg);
  if (!missing.length) return;
  if ((await exec(['sh', '-c', 'command -v apt-get'])).exitCode !== 0)
    throw new Error(`missing ${missing.join(', ')}: install them (Debian package names)`);
  log(`installing ${missing.join(' ')}`);
  await exec(['apt-get', 'update', '-qq'], { timeoutMs: 600_000 });
  const e = await exec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 900_000,
  });
  if (e.exitCode !== 0) throw new Error(`apt-get install failed: ${describeEvidence(e)}`);
}

async function main(session: Session): Promise<number> {
  if (process.getuid?.() !== 0)
    throw new Error('test:vm needs root (qemu, and unpacking the image with its owners)');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  await prepareTools(process.argv.includes('--fleet'));
  const builder = resolveIdentity('rootless');
  if (!builder.ok)
    throw new Error(`the image is built as the rootless user: ${builder.reason} (run scripts/prepare-host)`);
  mkdirSync(outDir, { recursive: true });
  const kinds = kindsAsked(process.argv);

  if (process.argv.includes('--fleet')) {
    const image = await ensureImage({ session, builder: builder.identity, log, kind: kinds[0] });
    return fleet({ session, image, ...(await acceleratorFor(session, image)) });
  }

  if (process.argv.includes('--build-only')) {
    // the images ahead of a run (a cache warmed on a quiet machine): nothing boots
    for (const kind of kinds) {
      const image = await ensureImage({ session, builder: builder.identity, log, kind });
      log(
        `${kind.name}: image ${image.hash} ${image.built ? `built in ${image.buildSeconds} s` : 'cached'} (${image.dir})`,
      );
    }
    return 0;
  }

  // this machine's side of the table: a report given by the caller (.ci/run proved already), or a run now
  let hostReport = process.env.PODPROOF_VM_HOST_REPORT;
  if (!hostReport) {
    hostReport = join(outDir, 'host.json');
    log('proving on this machine first');
    await exec([process.execPath, cli, 'prove', '--json', hostReport], {
      timeoutMs: 15 * 60_000,
      signal: session.signal,
      env: { NO_COLOR: '1' },
    });
  }
  let code = 0;
  const reports: string[] = [];
  for (const kind of kinds) {
    // one kind: its folder is PODPROOF_VM_OUT (reports/vm for trixie); several, or another kind
    // with the default: a folder per kind below it
    const out =
      kinds.length === 1 && (kind.name === 'trixie' || process.env.PODPROOF_VM_OUT)
        ? outDir
        : join(outDir, kind.name);
    mkdirSync(out, { recursive: true });
    if (kinds.length > 1) log(`== host kind ${kind.name}: ${kind.about}`);
    const image = await ensureImage({ session, builder: builder.identity, log, kind });
    code = Math.max(code, await proveKind({ session, image, hostReport, out }));
    reports.push(...['vm-root.json', 'vm-user.json'].map((f) => join(out, f)).filter((f) => existsSync(f)));
  }
  if (kinds.length > 1) {
    // every kind beside this machine: one matrix (issue 25)
    await mergeReports(hostReport, reports, outDir);
    log(
      `${code ? 'FAILED' : 'passed'}: ${kinds.map((k) => k.name).join(', ')} in ${seconds()} s; matrix in ${join(outDir, 'matrix.md')}`,
    );
  }
  return code;
}

/**
 * How this image's kernel runs here (KVM where it works, else TCG; said), and what follows from
 * it: under TCG the guest runs many times slower, so podproof's bounds there are scaled to match.
 */
async function acceleratorFor(session: Session, image: CachedImage) {
  const accel = await detectAccel({ session, kernel: image.kernel });
  log(`accelerator: ${accel.accel} (${accel.why})`);
  return { accel, timeScale: accel.accel === 'tcg' ? TCG_TIME_SCALE : 1, limitMs: vmLimitMs(accel.accel) };
}

/** This machine's report and the VM reports side by side (`podproof merge`): matrix.md and merged.json in `dir`, the matrix printed. */
async function mergeReports(hostReport: string, reports: string[], dir: string): Promise<void> {
  const merged = await exec(
    [
      process.execPath,
      cli,
      'merge',
      hostReport,
      ...reports,
      '--markdown',
      join(dir, 'matrix.md'),
      '--json',
      join(dir, 'merged.json'),
    ],
    { env: { NO_COLOR: '1' } },
  );
  console.log(merged.stdout);
}

/** Boot one kind's image, run the guest's steps, and check what it wrote (into `out`). */
async function proveKind({
  session,
  image,
  hostReport,
  out: outDir,
}: {
  session: Session;
  image: CachedImage;
  hostReport: string;
  out: string;
}): Promise<number> {
  const kind = image.kind;
  const { accel, timeScale, limitMs } = await acceleratorFor(session, image);
  const asked = process.env.PODPROOF_VM_STEPS?.split(/\s+/).filter(Boolean) ?? STEPS;
  const steps = asked.filter((step) => !kind.without?.steps.includes(step));
  if (steps.length < asked.length)
    log(`${kind.name} does not run ${kind.without?.steps.join(', ')}: ${kind.without?.why}`);

  const share = session.tempDir('vm-out');
  writeFileSync(
    join(share, 'plan'),
    planText({
      steps,
      proveArgs: process.env.PODPROOF_VM_PROVE_ARGS,
      userArgs: process.env.PODPROOF_VM_USER_ARGS ?? process.env.PODPROOF_VM_PROVE_ARGS,
      timeScale,
      hostLock: process.env.PODPROOF_HOST_LOCK,
      ...crunPlan(image.crun),
    }),
  );
  const bootStarted = performance.now();
  // the guest's steps and each row's verdict as they come, not only once the VM is off
  const printer = guestProgressPrinter();
  const follow = followGuestLogs(share, (file, line) =>
    printer.print(`test:vm: guest ${file.replace(/\.log$/, '')}: `, line),
  );
  const progress = {
    stop() {
      follow.stop();
      printer.done();
    },
  };
  const run = await bootVm({
    session,
    image,
    accel: accel.accel,
    shares: { podproof: { path: checkout, readonly: true }, out: { path: share, readonly: false } },
    limitMs,
    // the host's own lines clear the guest's status line first
    log: (m) => printer.print('test:vm: ', m),
  }).finally(() => progress.stop());
  const vmSeconds = Math.round((performance.now() - bootStarted) / 1000);
  // files and folders (a capture step's observations/)
  cpSync(share, outDir, { recursive: true });
  writeFileSync(join(outDir, 'console.log'), run.console);
  if (run.timedOut)
    throw new Error(
      `the VM did not power off within ${limitMs / 1000} s (console: ${join(outDir, 'console.log')})`,
    );
  log(`the VM powered off after ${vmSeconds} s (${describeEvidence(run.evidence).slice(0, 120)})`);

  // a guest kernel that panicked reboots (panic=-1) and the boot script resumes the unfinished
  // step: said here, since it costs time and is the emulator's doing, not podproof's
  const panics = (run.console.match(/Kernel panic - not syncing[^\n]*/g) ?? []).length;
  if (panics)
    log(`the guest kernel panicked ${panics} time(s) and rebooted into the unfinished step (console.log)`);
  const guest = readGuestOutput(outDir);
  const reports = ['vm-root.json', 'vm-user.json'].filter((f) => existsSync(join(outDir, f)));
  await mergeReports(
    hostReport,
    reports.map((f) => join(outDir, f)),
    outDir,
  );
  // a plan whose --only selects no systemd or network claim cannot prove the rows a kind is for
  const only = [
    ...`${process.env.PODPROOF_VM_PROVE_ARGS ?? ''} ${process.env.PODPROOF_VM_USER_ARGS ?? ''}`.matchAll(
      /--only[= ](\S+)/g,
    ),
  ].map((m) => m[1] ?? '');
  const targeted = only.length > 0 && !only.some((o) => /^(systemd|network)/.test(o));
  const verdict = checkVmReports(guest, kind.securityModule, { steps, targeted });
  const summary = {
    kind: kind.name,
    image: { hash: image.hash, built: image.built, buildSeconds: image.buildSeconds, cache: cacheRoot() },
    accel,
    vmSeconds,
    guestKernelPanics: panics,
    totalSeconds: seconds(),
    problems: verdict.problems,
    skipped: verdict.skipped,
    waived: verdict.waived,
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  for (const s of verdict.skipped) log(`skipped in the VM: ${s}`);
  for (const [who, step] of [
    ['root', guest.quadlet],
    ['the normal user', guest.quadletUser],
  ] as const) {
    const rows = step?.report?.results ?? [];
    if (rows.length)
      log(
        `Quadlet examples (--quadlet, ${who}): ${rows.filter((r) => r.verdict === 'proven').length} of ${rows.length} rows proven`,
      );
  }
  for (const w of verdict.waived) log(`waived in the VM: ${w}`);
  for (const p of verdict.problems) console.error(`test:vm: FAIL: ${p}`);
  log(
    `${verdict.problems.length ? 'FAILED' : 'passed'}: image ${image.built ? `built in ${image.buildSeconds} s` : 'cached'}, ` +
      `${kind.name}, VM ${vmSeconds} s under ${accel.accel}, ${seconds()} s in all; reports in ${outDir}`,
  );
  return verdict.problems.length ? 1 : 0;
}

/** npm run fleet:vm: the fleet playbook over this machine and the VM; the merged matrix must name both. */
async function fleet({
  session,
  image,
  accel,
  timeScale,
  limitMs,
}: {
  session: Session;
  image: CachedImage;
  accel: { accel: Accel; why: string };
  timeScale: number;
  limitMs: number;
}): Promise<number> {
  const out = join(outDir, 'fleet');
  mkdirSync(out, { recursive: true });
  const play = await fleetRun({
    session,
    image,
    accel: accel.accel,
    timeScale,
    checkout,
    outDir: out,
    log,
    limitMs,
    vmArgs: process.env.PODPROOF_VM_FLEET_ARGS?.split(/\s+/).filter(Boolean) ?? [],
  });
  const matrix = existsSync(join(out, 'matrix.md')) ? readFileSync(join(out, 'matrix.md'), 'utf8') : '';
  console.log(matrix);
  const problems: string[] = [];
  if (play.exitCode !== 0)
    problems.push(`ansible-playbook exited ${play.exitCode} (${join(out, 'fleet.log')})`);
  for (const host of ['this-host', 'debian13-vm'])
    if (!existsSync(join(out, `${host}.json`))) problems.push(`no report fetched from ${host}`);
  if (!/proven on \d+ of 2 hosts/.test(matrix)) problems.push('the merged matrix does not span both hosts');
  for (const p of problems) console.error(`fleet:vm: FAIL: ${p}`);
  log(
    `fleet ${problems.length ? 'FAILED' : 'passed'} in ${seconds()} s; matrix in ${join(out, 'matrix.md')}`,
  );
  return problems.length ? 1 : 0;
}

const session = new Session();
let interrupted = false;
// `on`, not `once`: Ctrl-C signals the whole process group and npm forwards it too, and a second
// SIGINT without a handler would kill this process in the middle of its teardown
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping the VM and removing what this run made`);
    session.abort.abort();
    await session.teardown();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
let code = 1;
try {
  code = await main(session);
} catch (err) {
  if (!interrupted) console.error(`test:vm: ${err instanceof Error ? err.message : err}`);
} finally {
  if (!interrupted) {
    const failures = await session.teardown();
    for (const f of failures) console.error(`test:vm: teardown: ${f}`);
    process.exit(failures.length ? 1 : code);
  }
}
