#!/usr/bin/env node
import { accessSync, closeSync, constants, existsSync, openSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { registryBinary } from './apparatus/registry.js';
import { claims, unknownClaimIds } from './claims/index.js';
import { resolveIdentities } from './exec/resolve.js';
import { Session } from './exec/session.js';
import { which } from './exec/which.js';
import { detectHost } from './host/profile.js';
import { PodmanNotFoundError, resolvePodmanBinary, type StorageMode } from './podman/podman.js';
import { diffResults, formatDiff, readReport } from './report/diff.js';
import { doctorChecklist, formatChecklist } from './report/doctor.js';
import { writeJsonReport } from './report/json.js';
import { writeJunitReport } from './report/junit.js';
import { writeMarkdownReport } from './report/markdown.js';
import {
  formatMergedJunit,
  formatMergedMarkdown,
  formatMergedText,
  mergedJson,
  nameHosts,
  perClaim,
} from './report/merge.js';
import { Progress } from './report/progress.js';
import { exitCodeFor, formatTable } from './report/table.js';
import { applyWaivers, describeWaiver, readWaivers } from './report/waivers.js';
import { clean } from './runner/clean.js';
import { catalogWith } from './runner/load-claims.js';
import { checkIdentities, identitiesFromEnv, prove, UsageError } from './runner/prove.js';

const USAGE = `usage: podproof <command> [options]

commands:
  prove [ID|AREA...]  run claims (default all) and print a verdict per claim x identity
             --only ID      a claim id or area, like a positional (repeatable)
             --claims FILE  also the claims an ES module exports (defineClaim; repeatable)
             --require ID   a skip of this claim or area fails the run (exit 3; repeatable)
             --timeout S    deadline for the whole run, in seconds (unfinished claims are errors)
             --claim-timeout S  deadline per claim x identity (default 120)
             --identity I   rootful or rootless (repeatable; default both)
             --json FILE    write the JSON report
             --junit FILE   write JUnit XML (skips keep their reason)
             --markdown FILE  write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)
             -v, --verbose  show the reason of proven claims too
             --image REF    run this image instead of the built fixtures (needs sh and cat)
             --waivers FILE accepted verdicts: {"waivers": [{claim, identity?, host?, verdict,
                            reason, expires: YYYY-MM-DD}]}; shown in every report, exit 1 once expired
             --baseline FILE  compare with an earlier --json report: list every verdict that
                            changed; a proven row now refuted, inconclusive or in error fails (exit 1)
  merge REPORT...  one host x claim x identity matrix from --json reports of several hosts,
           and per claim "proven on N of M hosts" (hosts that break it first); exit 1 when a
           claim is refuted, inconclusive or in error on some host
             --markdown FILE  --junit FILE (a testsuite per host)  --json FILE
  diff OLD NEW  the verdicts that changed between two --json reports (exit 1 on a regression)
  doctor   a checklist of what podproof needs on this host, each with its fix
             --json         the detected HostProfile as JSON instead
  clean    remove what earlier podproof sessions left (containers, pods, volumes, networks,
           images; units, processes and temp dirs from their journals); a session whose
           process is still running is left alone
             --images       also remove the cached fixture images
             --check        only list leftovers; exit 1 when there are any
             --force        also clean sessions whose process is still running
  list     list the claims (--claims FILE: with those of the module)

common options:
  --podman PATH        podman binary (default: PODPROOF_PODMAN, else podman on PATH)
  --rootless-user U    rootless user when running as root (default: PODPROOF_ROOTLESS_USER or podproof)
  --host-storage       use each identity's default podman storage instead of podproof's own

environment:
  PODPROOF_PODMAN          podman binary (a wrapper can simulate a broken host)
  PODPROOF_IDENTITIES      default identities, comma-separated (rootful,rootless)
  PODPROOF_ROOTLESS_USER   rootless user when running as root
  PODPROOF_DEBUG=1         print every command podproof runs
  PODPROOF_TIME_SCALE=N    a host N times slower (a VM under emulation): every timeout and wait x N
  -h, --help

exit codes: 0 ok; 1 a claim refuted, inconclusive or in error (doctor: an identity asked for
cannot run podman); 2 bad usage, or podman missing or not podman; 3 nothing proven (every row
skipped) or a --require'd claim skipped; 130 interrupted (143 on SIGTERM)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      only: { type: 'string', multiple: true },
      claims: { type: 'string', multiple: true },
      require: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      'claim-timeout': { type: 'string' },
      force: { type: 'boolean' },
      identity: { type: 'string', multiple: true },
      json: { type: 'string' },
      baseline: { type: 'string' },
      waivers: { type: 'string' },
      junit: { type: 'string' },
      markdown: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      image: { type: 'string' },
      podman: { type: 'string' },
      'rootless-user': { type: 'string' },
      'host-storage': { type: 'boolean' },
      images: { type: 'boolean' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const storage: StorageMode = values['host-storage'] ? 'host' : 'podproof';
  const given = (values.identity ?? []).flatMap((i) => i.split(','));
  const identities = given.length ? checkIdentities(given) : identitiesFromEnv();

  const catalog = values.claims?.length ? await catalogWith(claims, values.claims) : claims;

  switch (command) {
    case 'list':
      for (const c of catalog)
        console.log(`${c.id.padEnd(28)} ${c.identities.join(',').padEnd(17)} ${c.title}`);
      return 0;
    case 'prove': {
      for (const file of [values.json, values.junit, values.markdown]) if (file) checkWritable(file);
      const baseline = values.baseline ? readReport(values.baseline) : undefined;
      const waivers = values.waivers ? readWaivers(values.waivers) : [];
      const day = today();
      const only = [...positionals.slice(1), ...(values.only ?? [])].flatMap((o) => o.split(','));
      const required = (values.require ?? []).flatMap((o) => o.split(','));
      const unknown = unknownClaimIds([...only, ...required], catalog);
      if (unknown.length)
        throw new UsageError(`unknown claim id or area: ${unknown.join(', ')} (see \`podproof list\`)`);
      const timeoutMs = seconds('--timeout', values.timeout);
      const claimTimeoutMs = seconds('--claim-timeout', values['claim-timeout']);
      const session = new Session();
      const tty = process.stdout.isTTY === true;
      const progress = new Progress();
      session.installSignalHandlers((sig) =>
        console.error(`\npodproof: ${sig}: stopping and cleaning up session ${session.id}`),
      );
      try {
        const report = await prove({
          claims: catalog,
          only,
          timeoutMs,
          claimTimeoutMs,
          identities,
          podman: values.podman,
          image: values.image,
          rootlessUser: values['rootless-user'],
          storage,
          session,
          onProgress: (line) => progress.line(line),
          onResult: (r) => progress.result(r),
        });
        progress.finish();
        // waivers are applied before any report is written, so every report shows them
        const { expired } = applyWaivers(report.results, waivers, report.host.hostname, day);
        console.log(formatTable(report, { colour: tty && !process.env.NO_COLOR, verbose: values.verbose }));
        if (values.json) writeJsonReport(values.json, report);
        if (values.junit) writeJunitReport(values.junit, report);
        if (values.markdown) writeMarkdownReport(values.markdown, report);
        let code = exitCodeFor(report.results, required);
        if (expired.length) {
          for (const w of expired) console.error(`podproof: waiver expired: ${describeWaiver(w)}`);
          code = 1;
        }
        if (baseline) {
          const changes = diffResults(baseline.results, report.results);
          console.log(`\nagainst the baseline ${values.baseline}:\n${formatDiff(changes)}`);
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
      for (const file of [values.json, values.junit, values.markdown]) if (file) checkWritable(file);
      const hosts = nameHosts(files.map(readReport));
      console.log(formatMergedText(hosts));
      if (values.markdown) writeFileSync(values.markdown, formatMergedMarkdown(hosts));
      if (values.junit) writeFileSync(values.junit, formatMergedJunit(hosts));
      if (values.json) writeFileSync(values.json, `${JSON.stringify(mergedJson(hosts), null, 2)}\n`);
      return perClaim(hosts).some((c) => c.broken) ? 1 : 0;
    }
    case 'diff': {
      const [oldFile, newFile, ...extra] = positionals.slice(1);
      if (!oldFile || !newFile || extra.length)
        throw new UsageError('diff takes two reports: podproof diff OLD.json NEW.json');
      const changes = diffResults(readReport(oldFile).results, readReport(newFile).results);
      console.log(formatDiff(changes));
      return changes.some((c) => c.kind === 'regression') ? 1 : 0;
    }
    case 'doctor': {
      const session = new Session();
      try {
        const binary = resolvePodmanBinary(values.podman);
        const resolutions = await resolveIdentities(values['rootless-user']);
        const host = await detectHost({ podmanBinary: binary, session, identities: resolutions });
        if (values.json) console.log(JSON.stringify(host, null, 2));
        const items = doctorChecklist(host, identities, {
          busybox: existsSync('/bin/busybox') ? '/bin/busybox' : undefined,
          curl: which('curl'),
          socat: which('socat'),
          registry: registryBinary(),
        });
        if (!values.json) console.log(formatChecklist(items));
        if (!host.podman.version) return 2;
        return items.some((i) => i.state === 'broken') ? 1 : 0;
      } finally {
        await session.teardown();
      }
    }
    case 'clean': {
      const session = new Session();
      const binary = resolvePodmanBinary(values.podman);
      const resolutions = await resolveIdentities(values['rootless-user']);
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
        check: values.check,
        force: values.force,
        images: values.images,
      });
      await session.teardown();
      let left = 0;
      for (const s of cleaned) {
        if (s.live && !values.force) {
          console.log(`session ${s.id}: still running, left alone (--force to clean it anyway)`);
          continue;
        }
        left += s.removed.length + s.failed.length;
        console.log(`session ${s.id}: ${values.check ? 'left' : 'removed'} ${s.removed.length} thing(s)`);
        for (const r of s.removed) console.log(`  ${r}`);
        for (const f of s.failed) console.error(`  failed: ${f}`);
      }
      if (!cleaned.length)
        console.log(values.check ? 'nothing left by podproof sessions' : 'nothing to clean');
      if (values.check) return left ? 1 : 0;
      return cleaned.some((s) => s.failed.length) ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command: ${command} (prove, doctor, clean, list)`);
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

/** A report path podproof can write, checked before any claim runs: a UsageError naming why not. */
function checkWritable(file: string): void {
  const dir = dirname(resolve(file));
  let why: string | undefined;
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) why = 'it is a directory';
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
