import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../src/claims/prove.js';
import { identitiesFromEnv } from '../src/claims/prove.js';
import type { Evidence } from '../src/exec/evidence.js';
import type { Identity, IdentityName } from '../src/exec/identity.js';
import { exec } from '../src/exec/run.js';
import { Session } from '../src/exec/session.js';
import { resolveIdentities } from '../src/host/profile.js';
import { Podman, resolvePodmanBinary } from '../src/podman/podman.js';

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
