import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { exec } from '../src/exec/run.js';

// These run the built CLI on bad input; none of them reaches podman.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const cli = (args: string[], env: Record<string, string> = {}) =>
  exec([process.execPath, CLI, ...args], { env: { NO_COLOR: '1', ...env }, timeoutMs: 60_000 });

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
});

describe('podproof CLI on bad input: a clear message, exit 2, no stack trace', () => {
  it.each([
    [['prove', '--only', 'no.such-claim'], /unknown claim id or area: no\.such-claim/],
    [['prove', 'network.loopback-only', 'caps.nope'], /unknown claim id or area: caps\.nope/],
    [['prove', '--require', 'nope'], /unknown claim id or area: nope/],
    [['prove', '--podman', '/tmp'], /podman binary \/tmp does not exist or is not executable/],
    [['prove', '--junit', '/tmp'], /cannot write report \/tmp: it is a directory/],
    [['prove', '--timeout', 'abc'], /--timeout wants a positive number of seconds, not "abc"/],
    [['prove', '--claim-timeout=-5'], /--claim-timeout wants a positive number of seconds, not "-5"/],
    [
      ['prove', '--podman', '/bin/true'],
      /\/bin\/true is not podman: `\/bin\/true --version` printed no podman version/,
    ],
    [['prove', '--identity'], /argument missing/],
    [['prove', '--identity', 'superuser'], /unknown identity: superuser/],
    [['prove', '--podman', '/nonexistent/podman'], /podman binary \/nonexistent\/podman does not exist/],
    [['prove', '--json', '/nonexistent-dir/r.json'], /cannot write report \/nonexistent-dir\/r\.json/],
    [['prove', '--bogus-flag'], /Unknown option '--bogus-flag'/],
    [
      ['frobnicate'],
      /unknown command: frobnicate \(prove, prepare, list, doctor, clean, merge, diff, help\)/,
    ],
    [['list', '--junit', '/x'], /Unknown option '--junit'/],
    [['diff', '--only', 'x', 'a', 'b'], /Unknown option '--only'/],
    [['--identity', 'rootful', 'prove'], /--identity before a command/],
    [['help', 'nope'], /no such command: nope/],
    [['prepare', '--only', 'x'], /Unknown option '--only'/],
    [['prove', '--junit', '/proc/version'], /cannot write report \/proc\/version: it is a kernel file/],
    [['prove', '--markdown', '/dev/null'], /cannot write report \/dev\/null: it is not a regular file/],
    [['prove', '--skip', 'no.such'], /unknown claim id or area: no\.such/],
    [['prove', '--only', 'pid', '--skip', 'pid'], /--skip pid leaves no claim to prove/],
    [['prove', '--claims', '/nonexistent.mjs'], /--claims \/nonexistent\.mjs: no such file/],
    [['diff', 'one.json'], /diff takes two reports: podproof diff OLD\.json NEW\.json/],
    [['diff', '/etc/hostname', '/etc/hostname'], /cannot read the report \/etc\/hostname/],
    [['diff', 'package.json', 'package.json'], /package\.json is not a podproof report/],
    [['prove', '--baseline', '/nonexistent.json'], /cannot read the report \/nonexistent\.json/],
    [['prove', '--waivers', '/nonexistent.json'], /cannot read the waivers \/nonexistent\.json/],
    [['prove', '--waivers', 'package.json'], /package\.json: expected \{"waivers": \[\.\.\.\]\}/],
  ])('%j', async (args, message) => {
    const r = await cli(args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('podman missing from PATH', async () => {
    const r = await cli(['prove'], { PATH: '/nonexistent', PODPROOF_PODMAN: '' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/podman not found on PATH/);
  });

  it('PODPROOF_PODMAN naming nothing', async () => {
    const r = await cli(['prove'], { PODPROOF_PODMAN: '/nonexistent/podman' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/podman binary \/nonexistent\/podman does not exist/);
  });

  it('doctor with a binary that is not podman exits 2 and says so', async () => {
    const r = await cli(['doctor', '--podman', '/bin/true']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(
      /^broken\s+podman\s+\/bin\/true: prints no podman version\n\s+fix: install podman/m,
    );
  });

  it('an unknown identity in PODPROOF_IDENTITIES', async () => {
    const r = await cli(['prove'], { PODPROOF_IDENTITIES: 'rootful,admin' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown identity: admin/);
  });
});

describe('podproof list and help', () => {
  it('lists the catalog', async () => {
    const r = await cli(['list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^network\.loopback-only\s+rootful,rootless\s+/m);
  });
  it('lists the catalog as JSON', async () => {
    const r = await cli(['list', '--json']);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; source: string; identities: string[] }[];
    expect(rows.find((x) => x.id === 'network.loopback-only')?.identities).toEqual(['rootful', 'rootless']);
    expect(rows.every((x) => x.source.length > 0)).toBe(true);
  });
  it('says its version, the package.json one', async () => {
    const r = await cli(['--version']);
    expect(r.exitCode).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(r.stdout.trim()).toBe(pkg.version);
  });
  it('each command has its own usage: COMMAND --help and help COMMAND', async () => {
    const prove = await cli(['prove', '--help']);
    expect(prove.exitCode).toBe(0);
    expect(prove.stdout).toMatch(/^usage: podproof prove /);
    expect(prove.stdout).toMatch(/--skip ID/);
    expect((await cli(['help', 'merge'])).stdout).toMatch(/^usage: podproof merge REPORT\.\.\./);
    const overview = await cli(['help']);
    for (const c of ['prove', 'list', 'doctor', 'clean', 'merge', 'diff'])
      expect(overview.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });
  it('prints usage with no command, exit 2; with --help, exit 0', async () => {
    expect((await cli([])).exitCode).toBe(2);
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/usage: podproof/);
  });
});

describe('podproof diff', () => {
  const captured = fileURLToPath(new URL('./captured/report.json', import.meta.url));
  it('says when no verdict changed (exit 0)', async () => {
    const r = await cli(['diff', captured, captured]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('no verdict changed');
  });
  it('writes both reports side by side as one HTML page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podproof-diff-html-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const page = join(dir, 'diff.html');
    expect((await cli(['diff', captured, captured, '--html', page])).exitCode).toBe(0);
    expect(readFileSync(page, 'utf8')).toMatch(/^<!doctype html>/);
  });
  it('lists a regression and exits 1', async () => {
    const report = JSON.parse(readFileSync(captured, 'utf8'));
    const row = report.results.find((r: { verdict: string }) => r.verdict === 'proven');
    row.verdict = 'refuted';
    row.reason = 'treatment: a broken host';
    const dir = mkdtempSync(join(tmpdir(), 'podproof-diff-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const newer = join(dir, 'new.json');
    writeFileSync(newer, JSON.stringify(report));
    const r = await cli(['diff', captured, newer]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(
      `regression  ${row.claim} (${row.identity}): proven -> refuted: treatment: a broken host`,
    );
    const back = await cli(['diff', newer, captured]);
    expect(back.exitCode).toBe(0);
    expect(back.stdout).toMatch(/^improvement /);
  });
});

describe('podproof doctor --json', () => {
  it('prints the checklist, each check with its state and fix', async () => {
    const r = await cli(['doctor', '--json', '--podman', '/bin/true']);
    expect(r.exitCode).toBe(2);
    const out = JSON.parse(r.stdout) as { checks: { what: string; state: string }[] };
    expect(out.checks.find((c) => c.what === 'podman')?.state).toBe('broken');
  });
});

describe('podproof merge with a host missing', () => {
  it('writes the matrix with that host marked, and exits 1', async () => {
    const captured = fileURLToPath(new URL('./captured/report.json', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'podproof-merge-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const md = join(dir, 'matrix.md');
    const r = await cli(['merge', captured, join(dir, 'lost-host.json'), captured, '--markdown', md]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/lost-host: no report \(cannot read the report .*lost-host\.json/);
    expect(readFileSync(md, 'utf8')).toMatch(/\| lost-host \| no report: cannot read the report/);
    expect((await cli(['merge', join(dir, 'a.json'), join(dir, 'b.json')])).exitCode).toBe(2);
  });
});
