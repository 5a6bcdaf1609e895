import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { expect } from 'vitest';
import type { Evidence } from '../src/exec/evidence.js';
import type { Identity, IdentityName } from '../src/exec/identity.js';
import { resolveIdentities } from '../src/exec/resolve.js';
import { exec } from '../src/exec/run.js';
import { Session } from '../src/exec/session.js';
import { waitUntil } from '../src/exec/wait.js';
import type { ClaimResult, Verdict } from '../src/experiment/types.js';
import { Podman, resolvePodmanBinary } from '../src/podman/podman.js';
import type { Report } from '../src/runner/prove.js';
import { identitiesFromEnv } from '../src/runner/prove.js';
import { reportSchemaErrors } from '../test/support/report-schema.js';
import { wrapperScript } from './wrapper.js';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const realPodman = resolvePodmanBinary();

/** A session for the test's own files (wrapper scripts, reports). */
export const testSession = new Session();

const resolutions = await resolveIdentities();
const selected = identitiesFromEnv();

/** An identity usable here, or the reason it is not (unavailable, or left out by PODPROOF_IDENTITIES). */
export function identity(name: IdentityName): { identity?: Identity; skip?: string } {
  if (!selected.includes(name))
    return { skip: `${name} left out by PODPROOF_IDENTITIES=${process.env.PODPROOF_IDENTITIES}` };
  const r = resolutions[name];
  return r.ok ? { identity: r.identity } : { skip: r.reason };
}

/** A podman wrapper script in a session temp dir that stands for a broken host (see suites/wrapper.ts). */
export function podmanWrapper(name: string, editRun: string, always = ''): string {
  const file = join(testSession.tempDir(`wrapper-${name}`), 'podman');
  writeFileSync(file, wrapperScript(name, realPodman, editRun, always));
  chmodSync(file, 0o755);
  return file;
}

/** Run the built CLI; returns the evidence and, for prove and merge (given `--json`), the parsed report. */
export async function runCli(
  args: string[],
  opts: { env?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ run: Evidence; report?: Report }> {
  const dir = testSession.tempDir('report');
  const json = join(dir, 'r.json');
  // only the commands that write a JSON report take --json (each command refuses others' flags)
  const reports = args[0] === 'prove' || args[0] === 'merge';
  // before a `--` (what follows it is `--run`'s podman arguments)
  const dashes = args.indexOf('--');
  const withJson = reports
    ? dashes < 0
      ? [...args, '--json', json]
      : [...args.slice(0, dashes), '--json', json, ...args.slice(dashes)]
    : args;
  const run = await exec([process.execPath, CLI, ...withJson], {
    env: { NO_COLOR: '1', ...opts.env },
    timeoutMs: opts.timeoutMs ?? 280_000,
    signal: opts.signal,
  });
  let text: string | undefined;
  try {
    text = readFileSync(json, 'utf8');
  } catch {}
  if (text === undefined) return { run };
  // every report podproof writes must validate against the schema it ships
  const report = JSON.parse(text) as Report;
  const invalid = reportSchemaErrors(report);
  if (invalid.length)
    throw new Error(`the report does not validate against schema/report.schema.json: ${invalid.join('; ')}`);
  return { run, report };
}

/** Objects labelled by any podproof session (or one) in an identity's podproof storage. */
export async function leftovers(identity: Identity, sessionId?: string): Promise<string[]> {
  const podman = new Podman({ binary: realPodman, identity, session: testSession });
  return podman.listLabelled(sessionId);
}

/** A TOML table, as smol-toml reads it. */
type Toml = { [key: string]: unknown };

function mergeToml(base: Toml, over: Toml): Toml {
  const out: Toml = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? mergeToml(b as Toml, v as Toml)
        : v;
  }
  return out;
}

function readToml(file: string): Toml {
  try {
    return parseToml(readFileSync(file, 'utf8')) as Toml;
  } catch {
    return {};
  }
}

const confDir = (dir: string) => {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.conf'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
};

/**
 * The containers.conf an identity's podman reads on this host, merged in podman's order, with
 * `override` on top, written to a temp file. `CONTAINERS_CONF` replaces every other file, so the
 * host's own settings (runtime, ulimits) must be carried over for the run to test only `override`.
 */
export function hostContainersConf(who: Identity, override: Toml): string {
  const files = [
    '/usr/share/containers/containers.conf',
    '/etc/containers/containers.conf',
    ...confDir('/etc/containers/containers.conf.d'),
    ...(who.name === 'rootless'
      ? [
          join(who.home, '.config/containers/containers.conf'),
          ...confDir(join(who.home, '.config/containers/containers.conf.d')),
        ]
      : []),
  ];
  const merged = [...files.map(readToml), override].reduce(mergeToml, {});
  const file = join(testSession.tempDir('containers-conf'), 'containers.conf');
  writeFileSync(file, stringifyToml(merged), { mode: 0o644 });
  return file;
}

/** The storage.conf an identity's podman reads, with `override` on top, written to a temp file (`CONTAINERS_STORAGE_CONF`). */
export function hostStorageConf(who: Identity, override: Toml): string {
  const user = join(who.home, '.config/containers/storage.conf');
  const system = existsSync('/etc/containers/storage.conf')
    ? '/etc/containers/storage.conf'
    : '/usr/share/containers/storage.conf';
  // with no file at all, podman's compiled-in defaults apply; a file given by CONTAINERS_STORAGE_CONF must name them
  const defaults =
    who.name === 'rootful'
      ? {
          storage: {
            driver: 'overlay',
            runroot: '/run/containers/storage',
            graphroot: '/var/lib/containers/storage',
          },
        }
      : {};
  const base = mergeToml(
    defaults,
    who.name === 'rootless' && existsSync(user) ? readToml(user) : readToml(system),
  );
  const file = join(testSession.tempDir('storage-conf'), 'storage.conf');
  writeFileSync(file, stringifyToml(mergeToml(base, override)), { mode: 0o644 });
  return file;
}

/** Local addresses in LISTEN (tcp) or bound (udp) state, from /proc/net (pure parse of the files). */
/** What `traces` compares with: the host as the suite found it. */
export interface TraceBaseline {
  sockets: Set<string>;
  failed: string[];
  host: Record<string, Set<string>>;
}

/** The host as it is now, for {@link traces}' baseline. */
export async function traceBaseline(): Promise<TraceBaseline> {
  const rootless = resolutions.rootless;
  return {
    sockets: listeningSockets(),
    failed: rootless.ok ? await failedUserUnits(rootless.identity) : [],
    host: await hostState(),
  };
}

const entries = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/**
 * What a podman signalled midway leaves on the host, podproof's label nowhere on it: network
 * namespaces (rootful in /run/netns, rootless in the runtime dir's netns), the veths and bridges
 * that go with them, netavark's firewall rules for their subnets, and image temp files in
 * /var/tmp; also any file named podproof-* in a runtime dir (a socket unit's unix socket).
 */
async function hostState(): Promise<Record<string, Set<string>>> {
  const rootless = resolutions.rootless;
  const runtimeDirs = ['/run', ...(rootless.ok ? [rootless.identity.runtimeDir] : [])];
  const rules = async (table: string) => {
    const e = await exec(['iptables', '-t', table, '-S'], { timeoutMs: 15_000 });
    return e.stdout
      .split('\n')
      .filter((l) => /NETAVARK|CNI-/.test(l) && /\d+\.\d+\.\d+\.\d+\/\d+|podman\d|cni/.test(l));
  };
  const links = await exec(['ip', '-o', 'link', 'show'], { timeoutMs: 15_000 });
  return {
    'rootful network namespace': new Set(entries('/run/netns')),
    'rootless network namespace': new Set(
      rootless.ok ? entries(join(rootless.identity.runtimeDir, 'netns')) : [],
    ),
    'network interface': new Set(
      links.stdout
        .split('\n')
        .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
        .filter((n): n is string => !!n),
    ),
    'firewall rule': new Set([...(await rules('filter')), ...(await rules('nat'))]),
    'file in /var/tmp': new Set(entries('/var/tmp')),
    'runtime dir file': new Set(
      runtimeDirs.flatMap((d) =>
        entries(d)
          .filter((f) => f.startsWith('podproof-'))
          .map((f) => join(d, f)),
      ),
    ),
  };
}

export function listeningSockets(): Set<string> {
  const out = new Set<string>();
  for (const [file, state] of [
    ['/proc/net/tcp', '0A'],
    ['/proc/net/tcp6', '0A'],
    ['/proc/net/udp', '07'],
    ['/proc/net/udp6', '07'],
  ] as const) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === state && f[1]) out.add(`${file.slice(10)} ${f[1]}`);
    }
  }
  return out;
}

/** The failed units of the rootless identity's user manager (empty where none answers). */
export async function failedUserUnits(who: Identity): Promise<string[]> {
  const e = await exec(['systemctl', '--user', 'list-units', '--failed', '--all', '--plain', '--no-legend'], {
    identity: who,
    timeoutMs: 15_000,
  });
  return e.exitCode === 0
    ? e.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0] ?? '')
        .filter(Boolean)
    : [];
}

/**
 * Everything a podproof session could leave behind, except the test's own: podman objects with a
 * session label (containers, pods, volumes, networks, session images), units (loaded or as files,
 * failed ones beyond `baselineFailed`), processes (by session name in their argv, or the `sleep 600`
 * marker), temp dirs, journals, and listening sockets beyond `baselineSockets`.
 */
export async function traces(baseline: TraceBaseline): Promise<string[]> {
  const found: string[] = [];
  const now = await hostState();
  for (const [kind, items] of Object.entries(now))
    for (const item of items) if (!baseline.host[kind]?.has(item)) found.push(`${kind}: ${item}`);
  const own = testSession.id;
  for (const name of ['rootful', 'rootless'] as const) {
    const r = resolutions[name];
    if (!r.ok) continue;
    found.push(...(await leftovers(r.identity)).map((l) => `${name} podman: ${l}`));
    const secrets = await new Podman({ binary: realPodman, identity: r.identity, session: testSession }).cmd(
      ['secret', 'ls', '--format', '{{.Name}}'],
      { timeoutMs: 30_000 },
    );
    for (const s of secrets.stdout.split('\n'))
      if (s.startsWith('podproof-')) found.push(`${name} secret: ${s}`);
    // names of images pulled from another session's local registry (fixture-labelled, not session-labelled)
    const podman = new Podman({ binary: realPodman, identity: r.identity, session: testSession });
    for (const [id, names] of await podman.sessionImageNames())
      if (id !== own) found.push(...names.map((n) => `${name} image name: ${n}`));
    // sockets and files another program made for a session (an API service's socket)
    const runtime = r.identity.runtimeDir;
    if (existsSync(runtime))
      for (const f of readdirSync(runtime)) {
        const session = /^podproof-([a-z0-9]{10,})-/.exec(f)?.[1];
        if (session && session !== own) found.push(`${name} runtime file: ${join(runtime, f)}`);
      }
  }
  const rootless = resolutions.rootless;
  if (rootless.ok) {
    const units = await exec(
      ['systemctl', '--user', 'list-units', '--all', '--plain', '--no-legend', 'podproof-*'],
      {
        identity: rootless.identity,
        timeoutMs: 15_000,
      },
    );
    for (const l of units.stdout.split('\n')) if (l.trim()) found.push(`rootless unit: ${l.trim()}`);
    const dir = join(rootless.identity.runtimeDir, 'systemd', 'user');
    if (existsSync(dir))
      for (const f of readdirSync(dir)) if (f.startsWith('podproof-')) found.push(`rootless unit file: ${f}`);
    for (const u of await failedUserUnits(rootless.identity))
      if (!baseline.failed.includes(u)) found.push(`rootless failed unit: ${u}`);
  }
  if (existsSync('/run/systemd/system'))
    for (const f of readdirSync('/run/systemd/system'))
      if (f.startsWith('podproof-')) found.push(`rootful unit file: ${f}`);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    const line = args.join(' ');
    const session = /podproof-([a-z0-9]{10,})-/.exec(line)?.[1];
    if ((session && session !== own && !line.includes('vitest')) || line === 'sleep 600')
      found.push(`process ${pid}: ${line.slice(0, 120)}`);
  }
  for (const f of readdirSync(tmpdir())) {
    const session = /^podproof-([a-z0-9]{10,})-/.exec(f)?.[1];
    if (session && session !== own) found.push(`temp dir: ${join(tmpdir(), f)}`);
  }
  const journals = process.getuid?.() === 0 ? '/run/podproof/sessions' : undefined;
  if (journals && existsSync(journals))
    for (const f of readdirSync(journals)) if (f !== `${own}.jsonl`) found.push(`journal: ${f}`);
  for (const s of listeningSockets()) if (!baseline.sockets.has(s)) found.push(`listening: ${s}`);
  return found;
}

/**
 * podman's `run_podman` for podproof: prove one claim as one identity (optionally through a
 * wrapper), and check verdict, reason and exit code in one call. Returns the result.
 */
export async function expectClaim(
  claim: string,
  who: IdentityName,
  expected: { verdict: Verdict; reason?: RegExp },
  opts: { wrapper?: string } = {},
): Promise<ClaimResult | undefined> {
  const { run, report } = await runCli(['prove', claim, '--identity', who], {
    env: opts.wrapper ? { PODPROOF_PODMAN: opts.wrapper } : {},
  });
  const result = report?.results.find((r) => r.claim === claim && r.identity === who);
  expect(result, run.stdout + run.stderr).toMatchObject({ verdict: expected.verdict });
  if (expected.reason) expect(result?.reason).toMatch(expected.reason);
  expect(run.exitCode, run.stderr).toBe(
    expected.verdict === 'proven' ? 0 : expected.verdict === 'skipped' ? 3 : 1,
  );
  return result;
}

const services = new Map<string, Promise<string>>();
/**
 * A podman API service of `who` (podproof's storage) on a unix socket in its runtime dir, started
 * once per identity and test run; journaled, stopped with the test session. Returns the socket.
 */
export function apiService(who: Identity): Promise<string> {
  let p = services.get(who.name);
  if (!p) {
    p = (async () => {
      const podman = new Podman({ binary: realPodman, identity: who, session: testSession });
      // journaled (the socket and the service), so a killed test run leaves nothing `clean` misses
      const socket = testSession.expectFile(`${who.runtimeDir}/${testSession.name('mutant-api')}.sock`);
      testSession.background(podman.argv(['system', 'service', '--time=0', `unix://${socket}`]), {
        identity: who,
      });
      if (!(await waitUntil(() => existsSync(socket), 15_000))) throw new Error(`no API socket ${socket}`);
      return socket;
    })();
    services.set(who.name, p);
  }
  return p;
}
