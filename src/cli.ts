#!/usr/bin/env node
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { registryBinary } from './apparatus/registry.js';
import { claims, selectClaims, unknownClaimIds } from './claims/index.js';
import { resolveIdentities } from './exec/resolve.js';
import { exec } from './exec/run.js';
import { Session } from './exec/session.js';
import { which } from './exec/which.js';
import type { ClaimResult } from './experiment/types.js';
import { detectHost } from './host/profile.js';
import {
  type ContainerSpec,
  fromRunArgs,
  runHelpOptions,
  SpecError,
  unknownOptions,
} from './parse/container-spec.js';
import { PodmanNotFoundError, resolvePodmanBinary, type StorageMode } from './podman/podman.js';
import { diffResults, formatDiff, readReport } from './report/diff.js';
import { doctorChecklist, formatChecklist } from './report/doctor.js';
import { formatHtml } from './report/html.js';
import { formatJsonReport } from './report/json.js';
import { formatJunit } from './report/junit.js';
import { formatMarkdown } from './report/markdown.js';
import {
  formatMergedJunit,
  formatMergedMarkdown,
  formatMergedText,
  type MissingReport,
  mergedJson,
  nameHosts,
  perClaim,
} from './report/merge.js';
import { Progress } from './report/progress.js';
import { exitCodeFor, formatTable } from './report/table.js';
import { applyWaivers, describeWaiver, readWaivers } from './report/waivers.js';
import { clean } from './runner/clean.js';
import { catalogWith } from './runner/load-claims.js';
import { checkIdentities, identitiesFromEnv, prove, type Report, UsageError } from './runner/prove.js';
import { loadSpecFiles, proveSpec, specsClaims } from './runner/prove-spec.js';
import { fromQuadlet } from './systemd/quadlet.js';

type Option = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

/** Options every command that talks to podman takes. */
const PODMAN_OPTIONS: Record<string, Option> = {
  podman: { type: 'string' },
  'rootless-user': { type: 'string' },
  'host-storage': { type: 'boolean' },
  identity: { type: 'string', multiple: true },
  claims: { type: 'string', multiple: true },
};

const PODMAN_HELP = `  --podman PATH        podman binary (default: PODPROOF_PODMAN, else podman on PATH)
  --rootless-user U    rootless user when running as root (default: PODPROOF_ROOTLESS_USER or podproof)
  --host-storage       use each identity's default podman storage instead of podproof's own
  --identity I         rootful or rootless (repeatable; default both)
  --claims FILE        also the claims an ES module exports (defineClaim; repeatable)`;

/** Each command: a line for the overview, its own usage, and the options it takes (others are refused). */
const COMMANDS: Record<string, { summary: string; usage: string; options: Record<string, Option> }> = {
  prove: {
    summary: 'run claims (default all) and print a verdict per claim x identity',
    usage: `usage: podproof prove [ID|AREA...] [options]

Run the claims (default all) on this host, rootful and rootless, and print a verdict per claim x
identity with the reason; the reports say which commands gave it.

  --only ID            a claim id or area, like a positional (repeatable)
  --skip ID            leave out a claim id or area (repeatable)
  --require ID         a skip of this claim or area fails the run (exit 3; repeatable)
  --timeout S          deadline for the whole run, in seconds (unfinished claims are errors)
  --claim-timeout S    deadline per claim x identity (default 120)
  --json FILE          write the JSON report (- for stdout; the table then goes to stderr)
  --junit FILE         write JUnit XML (skips keep their reason)
  --markdown FILE      write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)
  --html FILE          write one self-contained HTML page: the grid, filters, each row's evidence
  -v, --verbose        show the reason of proven claims too
  --image REF          run this image instead of the built fixtures (needs sh and cat)
  --run -- ARGS        prove your own container instead of the catalog: ARGS are its podman run
                       arguments (options, IMAGE); each isolation setting (--network=none,
                       --cap-drop/--cap-add, --read-only, no-new-privileges, --user UID) is a
                       row, its control the same container without it; the image must be in the
                       identity's own storage (nothing is pulled); other options are listed
  --quadlet FILE       prove a Quadlet .container file (repeatable): the podman run its
                       generator makes (podman 4.4+), setting by setting, as --run does
  --waivers FILE       accepted verdicts: {"waivers": [{claim, identity?, host?, verdict, reason,
                       expires: YYYY-MM-DD}]}; shown in every report, exit 1 once expired
  --baseline FILE      compare with an earlier --json report: list every verdict that changed;
                       a proven row now refuted, inconclusive or in error fails (exit 1)
${PODMAN_HELP}`,
    options: {
      ...PODMAN_OPTIONS,
      only: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      require: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      'claim-timeout': { type: 'string' },
      json: { type: 'string' },
      junit: { type: 'string' },
      markdown: { type: 'string' },
      html: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      image: { type: 'string' },
      run: { type: 'boolean' },
      quadlet: { type: 'string', multiple: true },
      waivers: { type: 'string' },
      baseline: { type: 'string' },
    },
  },
  prepare: {
    summary:
      'prepare this host for podproof (packages, a rootless user, a user manager); --check: only say what',
    usage: `usage: podproof prepare [--check]

Prepare this host for podproof: install the packages the catalog needs (Debian/Ubuntu: apt-get;
Fedora: dnf), create the rootless test user with its subuid/subgid ranges, apply the workarounds
a host needs (only where it needs them: /dev/net/tun's mode, a containers.conf drop-in for
runc and ulimits on cgroup v1 hybrid hosts) and start a systemd user manager for that user where
none answers. Idempotent: on a ready host it changes nothing and says so. As a normal user it
re-runs itself through sudo -n when allowed, else only checks. \`npm run prove\` and \`npm test\`
run it first; \`npx podproof prove\` and the library never change the host.

  --check              list each change it would make and why; change nothing`,
    options: { check: { type: 'boolean' } },
  },
  list: {
    summary: 'list the claims',
    usage: `usage: podproof list [options]

List the claims: id, identities, the sentence.

  --json               as JSON: [{id, title, source, identities}]
  --claims FILE        also the claims an ES module exports (repeatable)`,
    options: { json: { type: 'boolean' }, claims: { type: 'string', multiple: true } },
  },
  doctor: {
    summary: 'a checklist of what podproof needs on this host, each with its fix',
    usage: `usage: podproof doctor [options]

A checklist of what podproof needs on this host (podman, identities, helpers), each with its fix.

  --json               the checklist as JSON: {host, checks: [{state, what, detail, fix}]}
${PODMAN_HELP}`,
    options: { ...PODMAN_OPTIONS, json: { type: 'boolean' } },
  },
  clean: {
    summary: 'remove what earlier podproof sessions left',
    usage: `usage: podproof clean [options]

Remove what earlier podproof sessions left (containers, pods, volumes, networks, images; units,
processes and temp dirs from their journals); a session whose process still runs is left alone.

  --images             also remove the cached fixture images
  --check              only list leftovers; exit 1 when there are any
  --force              also clean sessions whose process is still running
${PODMAN_HELP}`,
    options: {
      ...PODMAN_OPTIONS,
      images: { type: 'boolean' },
      check: { type: 'boolean' },
      force: { type: 'boolean' },
    },
  },
  merge: {
    summary: 'one host x claim x identity matrix from the --json reports of several hosts',
    usage: `usage: podproof merge REPORT... [options]

One host x claim x identity matrix from the --json reports of several hosts, and per claim
"proven on N of M hosts" (hosts that break it first); exit 1 when a claim is refuted,
inconclusive or in error on some host, or a host has no report (missing or invalid: its column
is marked "no report" and the matrix is written all the same).

  --markdown FILE  --junit FILE (a testsuite per host)  --json FILE  --html FILE`,
    options: {
      markdown: { type: 'string' },
      junit: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
    },
  },
  diff: {
    summary: 'the verdicts that changed between two --json reports (exit 1 on a regression)',
    usage: `usage: podproof diff OLD.json NEW.json [--html FILE]

The verdicts that changed between two --json reports; exit 1 when a proven row regressed.

  --html FILE          both reports side by side as one HTML page`,
    options: { html: { type: 'string' } },
  },
  help: {
    summary: "this overview, or a command's usage: podproof help COMMAND",
    usage: 'usage: podproof help [COMMAND]',
    options: {},
  },
};

const USAGE = `usage: podproof <command> [options]     (podproof <command> --help: its options)

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

  --version            podproof's version
  -h, --help           this overview

environment:
  PODPROOF_PODMAN          podman binary (a wrapper can simulate a broken host)
  PODPROOF_IDENTITIES      default identities, comma-separated (rootful,rootless)
  PODPROOF_ROOTLESS_USER   rootless user when running as root
  PODPROOF_DEBUG=1         print every command podproof runs
  PODPROOF_TIME_SCALE=N    a host N times slower (a VM under emulation): every timeout and wait x N

exit codes: 0 ok; 1 a claim refuted, inconclusive or in error (doctor: an identity asked for
cannot run podman); 2 bad usage, or podman missing or not podman; 3 nothing proven (every row
skipped) or a --require'd claim skipped; 130 interrupted (143 on SIGTERM)`;

/** podproof's version, from the package.json it ships with. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    console.log(version());
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h') {
    console.log(USAGE);
    return first === undefined ? 2 : 0;
  }
  if (first.startsWith('-'))
    throw new UsageError(`${first} before a command: podproof <command> [options] (see podproof --help)`);
  const spec = COMMANDS[first];
  if (!spec) throw new UsageError(`unknown command: ${first} (${Object.keys(COMMANDS).join(', ')})`);
  if (first === 'help') {
    const about = rest[0];
    if (about === undefined) console.log(USAGE);
    else if (COMMANDS[about]) console.log(COMMANDS[about].usage);
    else throw new UsageError(`no such command: ${about} (${Object.keys(COMMANDS).join(', ')})`);
    return 0;
  }
  // `prove --run -- ARGS`: everything after `--` is the user's `podman run` arguments
  const dashes = first === 'prove' ? rest.indexOf('--') : -1;
  const runArgs = dashes >= 0 ? rest.slice(dashes + 1) : [];
  // strict: a flag another command takes is refused here too, with one line
  const { values, positionals: args } = parseArgs({
    args: dashes >= 0 ? rest.slice(0, dashes) : rest,
    allowPositionals: true,
    strict: true,
    options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
  });
  const positionals = [first, ...args];
  if (values.help) {
    console.log(spec.usage);
    return 0;
  }
  const opt = values as Record<string, string | boolean | string[] | undefined>;
  const str = (k: string) => opt[k] as string | undefined;
  const list = (k: string) => (opt[k] as string[] | undefined) ?? [];
  const command = first;
  const storage: StorageMode = opt['host-storage'] ? 'host' : 'podproof';
  const given = list('identity').flatMap((i) => i.split(','));
  const identities = given.length ? checkIdentities(given) : identitiesFromEnv();
  let catalog = list('claims').length ? await catalogWith(claims, list('claims')) : claims;
  // `--json -` writes to stdout: the human-readable output goes to stderr then
  const human = str('json') === '-' ? console.error : console.log;

  switch (command) {
    case 'prepare': {
      // the shipped script (package root/scripts/prepare-host), its output shown as it is
      const script = fileURLToPath(new URL('../scripts/prepare-host', import.meta.url));
      const run = await exec([script, ...(opt.check === true ? ['--check'] : [])], {
        purpose: 'prepare the host',
        timeoutMs: 60 * 60_000,
      });
      process.stdout.write(run.stdout);
      process.stderr.write(run.stderr);
      if (run.failure) throw new UsageError(`${script} did not run: ${run.failure}`);
      return run.exitCode === 0 ? 0 : 1;
    }
    case 'list':
      if (opt.json === true) {
        const rows = catalog.map(({ id, title, source, identities }) => ({ id, title, source, identities }));
        console.log(JSON.stringify(rows, null, 2));
      } else
        for (const c of catalog)
          console.log(`${c.id.padEnd(28)} ${c.identities.join(',').padEnd(17)} ${c.title}`);
      return 0;
    case 'prove': {
      for (const file of [str('json'), str('junit'), str('markdown'), str('html')])
        if (file && file !== '-') checkWritable(file);
      const baselineFile = str('baseline');
      const baseline = baselineFile ? readReport(baselineFile) : undefined;
      const waiversFile = str('waivers');
      const waivers = waiversFile ? readWaivers(waiversFile, catalog) : [];
      const day = today();
      const ids = (k: string) => list(k).flatMap((o) => o.split(','));
      // a user's container: its settings are the claims, run in the identities' own storage
      let derived: ReturnType<typeof specsClaims> | undefined;
      const quadlets = list('quadlet');
      if (opt.run === true || quadlets.length) {
        if (opt.run === true && !runArgs.length)
          throw new UsageError(
            '--run takes podman run arguments after --: podproof prove --run -- --network=none IMAGE',
          );
        if (str('image')) throw new UsageError('--run and --quadlet name their own images: no --image');
        const specs: ContainerSpec[] = [];
        const specSession = new Session();
        try {
          const podman = resolvePodmanBinary(str('podman'));
          for (const file of quadlets) specs.push(await fromQuadlet(file, { session: specSession, podman }));
          if (opt.run === true) specs.push(fromRunArgs(runArgs, 'run'));
          specs.splice(0, specs.length, ...specs.map(loadSpecFiles));
          // an option this podman does not know: one line now, not an error row per claim later
          const help = await exec([podman, 'run', '--help'], {
            timeoutMs: 30_000,
            purpose: 'podman run options',
          });
          const known = runHelpOptions(help.stdout);
          for (const spec of specs) {
            const unknown = known.size ? unknownOptions(spec, known) : [];
            if (unknown.length)
              throw new SpecError(
                `${spec.origin === 'run' ? '' : `${spec.origin}: `}${unknown.join(', ')}: not an option of this podman (\`podman run --help\` does not list it)`,
              );
          }
          derived = specsClaims(specs);
        } catch (err) {
          if (err instanceof SpecError)
            throw new UsageError(opt.run === true ? `--run: ${err.message}` : err.message);
          throw err;
        } finally {
          await specSession.teardown();
        }
        if (!derived.claims.length)
          throw new UsageError(
            `no setting podproof proves in ${specs.map((s) => s.origin).join(', ')}:\n  ${derived.notProven.join('\n  ')}`,
          );
        if (positionals.length > 1 || list('only').length || list('skip').length)
          throw new UsageError('--run and --quadlet prove every setting of the container: no claim ids');
        catalog = derived.claims;
      } else if (runArgs.length)
        throw new UsageError('arguments after -- are for --run: podproof prove --run -- ARGS');
      const skipped = ids('skip');
      const named = [...positionals.slice(1).flatMap((o) => o.split(',')), ...ids('only')];
      const required = ids('require');
      const unknown = unknownClaimIds([...named, ...skipped, ...required], catalog);
      if (unknown.length)
        throw new UsageError(`unknown claim id or area: ${unknown.join(', ')} (see \`podproof list\`)`);
      const left = new Set(skipped.length ? selectClaims(skipped, catalog) : []);
      const chosen = selectClaims(named, catalog).filter((c) => !left.has(c));
      if (!chosen.length) throw new UsageError(`--skip ${skipped.join(' ')} leaves no claim to prove`);
      const timeoutMs = seconds('--timeout', str('timeout'));
      const claimTimeoutMs = seconds('--claim-timeout', str('claim-timeout'));
      const session = new Session();
      const tty = process.stdout.isTTY === true && str('json') !== '-';
      const progress = new Progress();
      session.installSignalHandlers((sig) =>
        console.error(`\npodproof: ${sig}: stopping and cleaning up session ${session.id}`),
      );
      try {
        const common = {
          timeoutMs,
          claimTimeoutMs,
          identities,
          podman: str('podman'),
          rootlessUser: str('rootless-user'),
          session,
          onProgress: (line: string) => progress.line(line),
          onResult: (r: ClaimResult) => progress.result(r),
          onPlan: (rows: number) => progress.plan(rows),
        };
        // a user's containers: every setting of each (their rows), in the identities' own storage
        const report = derived
          ? await proveSpec(derived.specs, { ...common, storage: 'host' })
          : await prove({ ...common, claims: chosen, image: str('image'), storage });
        progress.finish();
        // a user's image in no identity's storage: a mistake in the arguments, said in one line
        const noImage = /^image \S+ is not in \w+'s storage/;
        if (derived && report.results.length && report.results.every((r) => noImage.test(r.reason))) {
          console.error(`podproof: ${[...new Set(report.results.map((r) => r.reason))].join('; ')}`);
          return 2;
        }
        // waivers are applied before any report is written, so every report shows them
        const { expired } = applyWaivers(report.results, waivers, report.host.hostname, day);
        human(formatTable(report, { colour: tty && !process.env.NO_COLOR, verbose: opt.verbose === true }));
        if (report.leavesOpen?.length) human(`\nleft open:\n  ${report.leavesOpen.join('\n  ')}`);
        if (report.notProven?.length) human(`\nnot proven:\n  ${report.notProven.join('\n  ')}`);
        writeReports(report, { json: str('json'), junit: str('junit'), markdown: str('markdown') });
        writeOut(str('html'), () => formatHtml(nameHosts([report]), `podproof on ${report.host.hostname}`));
        let code = exitCodeFor(report.results, required);
        if (expired.length) {
          for (const w of expired) console.error(`podproof: waiver expired: ${describeWaiver(w)}`);
          code = 1;
        }
        if (baseline) {
          const changes = diffResults(baseline.results, report.results);
          human(`\nagainst the baseline ${baselineFile}:\n${formatDiff(changes)}`);
          if (changes.some((c) => c.kind === 'regression')) code = 1;
        }
        if (code === 3)
          console.error(
            report.results.some((r) => r.verdict === 'proven')
              ? `podproof: a required claim was skipped (--require ${required.join(' ')})`
              : 'podproof: nothing was proven: every row was skipped (see the reasons above)',
          );
        return code;
      } finally {
        for (const f of await session.teardown()) console.error(`podproof: cleanup failed: ${f}`);
      }
    }
    case 'merge': {
      const files = positionals.slice(1);
      if (!files.length)
        throw new UsageError('merge takes one or more reports: podproof merge A.json B.json ...');
      for (const file of [str('json'), str('junit'), str('markdown'), str('html')])
        if (file && file !== '-') checkWritable(file);
      // a host whose report is missing or invalid keeps its column, marked: one unreachable host
      // does not cost the whole fleet's matrix
      const read = files.map((file): Report | MissingReport => {
        try {
          return readReport(file);
        } catch (err) {
          if (err instanceof UsageError) return { file, why: err.message };
          throw err;
        }
      });
      if (read.every((r) => 'why' in r && !('results' in r)))
        throw new UsageError(
          `no report could be read: ${read.map((r) => ('why' in r ? r.why : '')).join('; ')}`,
        );
      const hosts = nameHosts(read);
      for (const h of hosts) if (h.missing) console.error(`podproof: ${h.host}: no report (${h.missing})`);
      human(formatMergedText(hosts));
      writeOut(str('markdown'), () => formatMergedMarkdown(hosts));
      writeOut(str('junit'), () => formatMergedJunit(hosts));
      writeOut(str('json'), () => `${JSON.stringify(mergedJson(hosts), null, 2)}\n`);
      writeOut(str('html'), () => formatHtml(hosts, `podproof: ${hosts.length} host(s)`));
      return perClaim(hosts).some((c) => c.broken) || hosts.some((h) => h.missing) ? 1 : 0;
    }
    case 'diff': {
      const [oldFile, newFile, ...extra] = positionals.slice(1);
      if (!oldFile || !newFile || extra.length)
        throw new UsageError('diff takes two reports: podproof diff OLD.json NEW.json');
      if (str('html')) checkWritable(str('html') as string);
      const [older, newer] = [readReport(oldFile), readReport(newFile)];
      const changes = diffResults(older.results, newer.results);
      console.log(formatDiff(changes));
      writeOut(str('html'), () =>
        formatHtml(nameHosts([older, newer]), `podproof diff: ${oldFile} -> ${newFile}`),
      );
      return changes.some((c) => c.kind === 'regression') ? 1 : 0;
    }
    case 'doctor': {
      const session = new Session();
      try {
        const binary = resolvePodmanBinary(str('podman'));
        const resolutions = await resolveIdentities(str('rootless-user'));
        const host = await detectHost({ podmanBinary: binary, session, identities: resolutions });
        const items = doctorChecklist(host, identities, {
          busybox: existsSync('/bin/busybox') ? '/bin/busybox' : undefined,
          curl: which('curl'),
          socat: which('socat'),
          registry: registryBinary(),
        });
        if (opt.json === true) {
          const { hostname, podman } = host;
          console.log(JSON.stringify({ host: { hostname, podman }, checks: items }, null, 2));
        } else console.log(formatChecklist(items));
        if (!host.podman.version) return 2;
        return items.some((i) => i.state === 'broken') ? 1 : 0;
      } finally {
        await session.teardown();
      }
    }
    case 'clean': {
      const session = new Session();
      const binary = resolvePodmanBinary(str('podman'));
      const resolutions = await resolveIdentities(str('rootless-user'));
      for (const name of identities) {
        const r = resolutions[name];
        if (!r.ok) console.log(`${name}: skipped (${r.reason})`);
      }
      const cleaned = await clean({
        binary,
        resolutions,
        identities,
        storage,
        session,
        check: opt.check === true,
        force: opt.force === true,
        images: opt.images === true,
      });
      await session.teardown();
      let left = 0;
      for (const s of cleaned) {
        if (s.live && opt.force !== true) {
          console.log(`session ${s.id}: still running, left alone (--force to clean it anyway)`);
          continue;
        }
        left += s.removed.length + s.failed.length;
        console.log(
          `session ${s.id}: ${opt.check === true ? 'left' : 'removed'} ${s.removed.length} thing(s)`,
        );
        for (const r of s.removed) console.log(`  ${r}`);
        for (const f of s.failed) console.error(`  failed: ${f}`);
      }
      if (!cleaned.length)
        console.log(opt.check === true ? 'nothing left by podproof sessions' : 'nothing to clean');
      if (opt.check === true) return left ? 1 : 0;
      return cleaned.some((s) => s.failed.length) ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command: ${command} (${Object.keys(COMMANDS).join(', ')})`);
  }
}

/** A number of seconds from a flag, in milliseconds; a UsageError when it is not a positive number. */
function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} wants a positive number of seconds, not ${JSON.stringify(value)}`);
  return Math.round(n * 1000);
}

/** Write a report: `-` is stdout; a failure is one line naming the file (the run's table was printed already). */
function writeOut(file: string | undefined, text: () => string): void {
  if (!file) return;
  if (file === '-') {
    process.stdout.write(text());
    return;
  }
  try {
    writeFileSync(file, text());
  } catch (err) {
    throw new UsageError(
      `cannot write report ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The run's reports, each where it was asked for. */
function writeReports(report: Report, files: { json?: string; junit?: string; markdown?: string }): void {
  writeOut(files.json, () => formatJsonReport(report));
  writeOut(files.junit, () => formatJunit(report));
  writeOut(files.markdown, () => formatMarkdown(report));
}

/** A report path podproof can write, checked before any claim runs: a UsageError naming why not. */
function checkWritable(file: string): void {
  const dir = dirname(resolve(file));
  let why: string | undefined;
  if (existsSync(file)) {
    const real = realpathSync(file);
    if (statSync(file).isDirectory()) why = 'it is a directory';
    else if (!statSync(file).isFile()) why = 'it is not a regular file';
    else if (/^\/(proc|sys)\//.test(real)) why = `it is a kernel file (${real}), not a report`;
    else {
      try {
        closeSync(openSync(file, 'r+')); // opens for writing without truncating: EACCES, EROFS, ...
      } catch (err) {
        why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      }
    }
  } else if (!existsSync(dir)) why = `no directory ${dir}`;
  else {
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      why = `${dir} is not writable`;
    }
  }
  if (why) throw new UsageError(`cannot write report ${file}: ${why}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      err instanceof PodmanNotFoundError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`podproof: ${(err as Error).message}`);
      process.exit(2);
    }
    console.error(`podproof: internal error: ${(err as Error).stack ?? String(err)}`);
    process.exit(2);
  },
);

/** Today's date (UTC), YYYY-MM-DD: `PODPROOF_TODAY` overrides it (tests of expiry). */
function today(): string {
  const given = process.env.PODPROOF_TODAY;
  if (given && !/^\d{4}-\d{2}-\d{2}$/.test(given))
    throw new UsageError(`PODPROOF_TODAY must be YYYY-MM-DD, not ${given}`);
  return given || new Date().toISOString().slice(0, 10);
}
