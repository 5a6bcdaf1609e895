import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describeEvidence, type EvidenceLog } from '../exec/evidence.js';
import { exec, succeeded } from '../exec/run.js';
import type { Session } from '../exec/session.js';
import { which } from '../exec/which.js';
import { type ContainerSpec, fromRunArgs, SpecError } from '../parse/container-spec.js';
import {
  execStartRunArgs,
  generatedUnits,
  lineOfKey,
  malformedUnitLine,
  serviceSettings,
} from '../parse/quadlet.js';

/** Where distributions install podman's Quadlet generator (podman 4.4 and later). */
const QUADLET_PATHS = ['/usr/libexec/podman/quadlet', '/usr/lib/podman/quadlet'];

/** The Quadlet binary of this host's podman, or undefined before podman 4.4. */
export function quadletBinary(): string | undefined {
  return QUADLET_PATHS.find((p) => existsSync(p)) ?? which('quadlet');
}

/**
 * A `.container` file as a {@link ContainerSpec}: a copy in a session temp dir is given to
 * Quadlet's own generator (`quadlet -dryrun`, with `QUADLET_UNIT_DIRS` naming only that dir), and
 * the spec is the `podman run` of the service it generates: what systemd would run. The user's
 * file and unit directories are only read. On a podman without Quadlet it says so.
 */
export async function fromQuadlet(
  file: string,
  opts: { session: Session; log?: EvidenceLog; user?: boolean; podman?: string },
): Promise<ContainerSpec> {
  if (!existsSync(file)) throw new SpecError(`${file}: no such file`);
  if (!file.endsWith('.container')) throw new SpecError(`${file}: not a Quadlet .container file`);
  const text = readFileSync(file, 'utf8');
  const bad = malformedUnitLine(text);
  if (bad)
    throw new SpecError(`${file}:${bad.line}: "${bad.text}" is not a [Section], a Key=value or a comment`);
  const quadlet = quadletBinary();
  if (!quadlet) {
    const version = opts.podman
      ? (await exec([opts.podman, '--version'], { timeoutMs: 30_000, log: opts.log })).stdout.trim()
      : '';
    throw new SpecError(
      `${file}: Quadlet files need podman 4.4 or later (its quadlet generator); this host has ${version || 'none'}: use --run with the podman run arguments instead`,
    );
  }
  const name = basename(file);
  const dir = opts.session.tempDir('quadlet');
  copyFileSync(file, join(dir, name));
  const run = await exec([quadlet, '-dryrun', ...(opts.user ? ['-user'] : [])], {
    env: { QUADLET_UNIT_DIRS: dir },
    purpose: `quadlet -dryrun ${name}`,
    timeoutMs: 30_000,
    log: opts.log,
  });
  const service = `${name.replace(/\.container$/, '')}.service`;
  const unit = generatedUnits(run.stdout).get(service);
  if (!succeeded(run) || unit === undefined) {
    // the generator names the file and line it could not read
    const why = (run.stderr.trim().split('\n').filter(Boolean).pop() ?? describeEvidence(run)).replaceAll(
      join(dir, name),
      file,
    );
    // it names an unsupported key, not its line: find the line
    const key = /key '([^']+)'/.exec(why)?.[1];
    const line = key ? lineOfKey(text, key) : undefined;
    throw new SpecError(`${file}${line ? `:${line}` : ''}: Quadlet generated no ${service}: ${why}`);
  }
  const args = execStartRunArgs(unit);
  if (!args) throw new SpecError(`${file}: the generated ${service} has no ExecStart that runs podman`);
  // the file's own [Service] settings: listed with the spec (proven under systemd, not by a run)
  return { ...fromRunArgs(args, name), unitSettings: serviceSettings(text), unit };
}
