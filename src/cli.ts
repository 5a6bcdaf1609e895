#!/usr/bin/env node
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { claims } from './claims/index.js';
import { resolveIdentities } from './exec/resolve.js';
import { Session } from './exec/session.js';
import { detectHost } from './host/profile.js';
import { Podman, PodmanNotFoundError, resolvePodmanBinary, type StorageMode } from './podman/podman.js';
import { writeJsonReport } from './report/json.js';
import { writeJunitReport } from './report/junit.js';
import { writeMarkdownReport } from './report/markdown.js';
import { Progress } from './report/progress.js';
import { exitCodeFor, formatTable } from './report/table.js';
import { checkIdentities, identitiesFromEnv, prove, UsageError } from './runner/prove.js';

const USAGE = `usage: podproof <command> [options]

commands:
  prove    run claims and print a verdict per claim x identity
             --only ID      a claim id or area (repeatable; default all)
             --identity I   rootful or rootless (repeatable; default both)
             --json FILE    write the JSON report
             --junit FILE   write JUnit XML (skips keep their reason)
             --markdown FILE  write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)
             -v, --verbose  show the reason of proven claims too
             --image REF    run this image instead of the built fixtures (needs sh and cat)
  doctor   print what podproof detects about this host
  clean    remove containers, pods, volumes and images left by any podproof session
             --images       also remove the cached fixture images
             --check        only list leftovers; exit 1 when there are any
  list     list the claims

common options:
  --podman PATH        podman binary (default: PODPROOF_PODMAN, else podman on PATH)
  --rootless-user U    rootless user when running as root (default: PODPROOF_ROOTLESS_USER or podproof)
  --host-storage       use each identity's default podman storage instead of podproof's own

environment:
  PODPROOF_PODMAN          podman binary (a wrapper can simulate a broken host)
  PODPROOF_IDENTITIES      default identities, comma-separated (rootful,rootless)
  PODPROOF_ROOTLESS_USER   rootless user when running as root
  PODPROOF_DEBUG=1         print every command podproof runs
  -h, --help

exit codes: 0 ok, 1 a claim refuted or errored, 2 bad usage or host, 130 interrupted`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      only: { type: 'string', multiple: true },
      identity: { type: 'string', multiple: true },
      json: { type: 'string' },
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

  switch (command) {
    case 'list':
      for (const c of claims)
        console.log(`${c.id.padEnd(28)} ${c.identities.join(',').padEnd(17)} ${c.title}`);
      return 0;
    case 'prove': {
      for (const file of [values.json, values.junit, values.markdown]) if (file) checkWritable(file);
      const session = new Session();
      const tty = process.stdout.isTTY === true;
      const progress = new Progress();
      session.installSignalHandlers((sig) =>
        console.error(`\npodproof: ${sig}: stopping and cleaning up session ${session.id}`),
      );
      try {
        const report = await prove({
          only: (values.only ?? []).flatMap((o) => o.split(',')),
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
        console.log(formatTable(report, { colour: tty && !process.env.NO_COLOR, verbose: values.verbose }));
        if (values.json) writeJsonReport(values.json, report);
        if (values.junit) writeJunitReport(values.junit, report);
        if (values.markdown) writeMarkdownReport(values.markdown, report);
        return exitCodeFor(report.results);
      } finally {
        for (const f of await session.teardown()) console.error(`podproof: cleanup failed: ${f}`);
      }
    }
    case 'doctor': {
      const session = new Session();
      try {
        const binary = resolvePodmanBinary(values.podman);
        const resolutions = await resolveIdentities(values['rootless-user']);
        const host = await detectHost({ podmanBinary: binary, session, identities: resolutions });
        console.log(JSON.stringify(host, null, 2));
        return 0;
      } finally {
        await session.teardown();
      }
    }
    case 'clean': {
      const session = new Session();
      const binary = resolvePodmanBinary(values.podman);
      const resolutions = await resolveIdentities(values['rootless-user']);
      let failed = 0;
      for (const name of identities) {
        const r = resolutions[name];
        if (!r.ok) {
          console.log(`${name}: skipped (${r.reason})`);
          continue;
        }
        const podman = new Podman({ binary, identity: r.identity, session, storage });
        const before = await podman.listLabelled();
        if (values.check) {
          console.log(`${name}: ${before.length} leftover object(s)`);
          for (const l of before) console.log(`  ${l}`);
          failed += before.length;
          continue;
        }
        const runs = await podman.removeLabelled(undefined, values.images === true);
        const errors = runs.filter((e) => e.exitCode !== 0);
        failed += errors.length;
        console.log(
          `${name}: removed ${before.length} object(s)${values.images ? ' and the fixture images' : ''}`,
        );
        for (const e of errors) console.error(`  ${e.argv.join(' ')}: ${e.stderr.trim()}`);
      }
      await session.teardown();
      return failed ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command: ${command} (prove, doctor, clean, list)`);
  }
}

function checkWritable(file: string): void {
  const dir = dirname(resolve(file));
  try {
    accessSync(existsSync(file) ? file : dir, constants.W_OK);
  } catch {
    throw new UsageError(
      `cannot write report ${file}: ${existsSync(dir) ? 'not writable' : `no directory ${dir}`}`,
    );
  }
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
