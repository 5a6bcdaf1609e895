import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import type { Evidence } from '../src/exec/evidence.js';
import type { Identity, IdentityName } from '../src/exec/identity.js';
import { resolveIdentities } from '../src/exec/resolve.js';
import { exec } from '../src/exec/run.js';
import { Session } from '../src/exec/session.js';
import { Podman, resolvePodmanBinary } from '../src/podman/podman.js';
import type { Report } from '../src/runner/prove.js';
import { identitiesFromEnv } from '../src/runner/prove.js';

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

/**
 * A fake podman that stands for a broken host: a bash script that edits the arguments of
 * `podman run` and then execs the real podman. `editRun` is bash that changes "${args[@]}",
 * with these helpers:
 * - `has ARG`: the run has this exact argument
 * - `add_after_run ARG...`: insert arguments right after `run`
 * - `replace_arg OLD NEW`: replace an exact argument
 * - `drop_args REGEX`: drop every argument matching REGEX
 * `always` is bash run for every command first (it may `exec` something else).
 */
export function podmanWrapper(name: string, editRun: string, always = ''): string {
  const dir = testSession.tempDir(`wrapper-${name}`);
  const file = join(dir, 'podman');
  writeFileSync(
    file,
    `#!/bin/bash
# podproof test wrapper "${name}": simulates a broken host
args=("$@")
has() { local a; for a in "\${args[@]}"; do [[ $a == "$1" ]] && return 0; done; return 1; }
add_after_run() { local i; for i in "\${!args[@]}"; do if [[ \${args[$i]} == run ]]; then args=("\${args[@]:0:$((i + 1))}" "$@" "\${args[@]:$((i + 1))}"); return; fi; done; }
replace_arg() { local i; for i in "\${!args[@]}"; do [[ \${args[$i]} == "$1" ]] && args[$i]=$2; done; }
drop_args() { local a kept=(); for a in "\${args[@]}"; do [[ $a =~ $1 ]] || kept+=("$a"); done; args=("\${kept[@]}"); }
${always}
if has run; then
  :
${editRun}
fi
exec ${realPodman} "\${args[@]}"
`,
  );
  chmodSync(file, 0o755);
  return file;
}

/** Run the built CLI; returns the evidence and, with `--json`, the parsed report. */
export async function runCli(
  args: string[],
  opts: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<{ run: Evidence; report?: Report }> {
  const dir = testSession.tempDir('report');
  const json = join(dir, 'r.json');
  const run = await exec([process.execPath, CLI, ...args, '--json', json], {
    env: { NO_COLOR: '1', ...opts.env },
    timeoutMs: 280_000,
    signal: opts.signal,
  });
  let report: Report | undefined;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  } catch {}
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
