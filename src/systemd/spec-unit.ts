import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { NotObserved } from '../exec/errors.js';
import { describeEvidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import type { ContainerSpec } from '../parse/container-spec.js';
import type { Podman } from '../podman/podman.js';
import type { EchoEnv } from './echo.js';
import { installUnits, unitJournalArgv, writesUnitsDirectly } from './units.js';

/**
 * `[Unit]` keys that would start, stop or pull in other units: a podproof copy of the user's unit
 * must not start their database (`Requires=db.service`) or be tied to their targets. Ordering
 * (`After=`) alone starts nothing and stays.
 */
const PULLS_IN =
  /^(Requires|Requisite|Wants|BindsTo|PartOf|Upholds|OnFailure|OnSuccess|PropagatesStopTo|StopPropagatedFrom|Conflicts)\s*=/;

/** One word of an ExecStart= line (pure): quoted where needed; `%` specifiers kept as written. */
export function unitWord(word: string): string {
  return /^[\w@%+=:,./[\]-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * A Quadlet-generated service with its `ExecStart=` replaced by `argv` (pure): the rest (Type=notify,
 * KillMode, ExecStop, the file's own [Service] settings) is systemd's as generated. Continuation
 * lines are joined first; [Install] and the [Unit] keys that pull in other units are left out
 * (see {@link PULLS_IN}).
 */
export function unitRunning(generated: string, argv: readonly string[]): string {
  let section = '';
  const out: string[] = [];
  for (const line of generated.replace(/\\\n/g, ' ').split('\n')) {
    const header = /^\s*\[(.+)\]\s*$/.exec(line);
    if (header) section = header[1] as string;
    if (section === 'Install') continue;
    if (section === 'Unit' && PULLS_IN.test(line.trim())) continue;
    if (section === 'Service' && /^\s*ExecStart\s*=/.test(line)) {
      out.push(`ExecStart=${argv.map(unitWord).join(' ')}`);
      continue;
    }
    out.push(line);
  }
  if (!out.some((l) => l.startsWith('ExecStart=')))
    throw new Error('the generated unit has no ExecStart= in [Service]');
  return out.join('\n');
}

/**
 * The `podman run` words of `spec` for a podproof copy of its unit (pure): its name, the session
 * label, and `--stop-timeout=0` (the same in both arms: a command that ignores SIGTERM, `sleep`
 * as PID 1, would hold each stop for podman's 10 s), then the spec's own options.
 */
export function unitRunArgs(spec: ContainerSpec, name: string, label: string): string[] {
  const options = spec.options.filter((o) => !/^--(name|stop-timeout)(=|$)/.test(o));
  return [
    'run',
    `--name=${name}`,
    `--label=${label}`,
    '--stop-timeout=0',
    ...options,
    spec.image,
    ...spec.command,
  ];
}

/** A podproof copy of a Quadlet unit, started: its container's main process, and its removal. */
export interface StartedUnit {
  unit: string;
  container: string;
  pid: number;
  remove(): Promise<void>;
}

export type SpecUnitEnv = EchoEnv & { podman: Pick<Podman, 'argv' | 'cmd'> };

/**
 * Start `spec` as the unit Quadlet generated for it (`spec.unit`), under a podproof name, from
 * the manager's runtime unit directory (never the user's configuration), with `ExecStart=`
 * running `spec`'s options (the spec as written, or a control without one setting). Waits for
 * the start (Type=notify: conmon says when the container runs), then asks podman for the
 * container's PID. Journaled before it is written; removed (stopped, reset-failed) by
 * `remove()` or at teardown.
 */
export async function startSpecUnit(
  ctx: SpecUnitEnv,
  spec: ContainerSpec,
  purpose: string,
): Promise<StartedUnit> {
  if (!spec.unit) throw new Error(`${spec.origin}: not a Quadlet unit`);
  const base = ctx.session.name(purpose.split(':')[0] ?? 'unit');
  const unit = `${base}.service`;
  const argv = ctx.podman.argv(unitRunArgs(spec, base, ctx.session.label));
  // the generated `--cidfile=%t/%N.cid`: podman's `rm --cidfile` may leave the file (4.x); it is
  // journaled where this process may remove it itself (teardown and `clean` do)
  const cidfile = join(ctx.identity.name === 'rootless' ? ctx.identity.runtimeDir : '/run', `${base}.cid`);
  const direct = writesUnitsDirectly(ctx.identity);
  // journaled before the unit: teardown removes in reverse order, the unit first, then the file
  if (direct) ctx.session.expectFile(cidfile);
  const units = await installUnits(ctx.exec, ctx.identity, ctx.session, {
    [unit]: unitRunning(spec.unit, argv),
  });
  let removal: Promise<void> | undefined;
  const remove = () => {
    removal ??= units.remove().finally(async () => {
      if (direct) rmSync(cidfile, { force: true });
      else await ctx.exec(['rm', '-f', cidfile], { purpose: 'cleanup', cleanup: true });
    });
    return removal;
  };
  const started = await units.systemctl(['start', unit], `${purpose}: start ${unit}`);
  if (!succeeded(started)) {
    const journal = await ctx.exec(unitJournalArgv(ctx.identity, unit, '--lines', '20'), {
      purpose: `${purpose}: why ${unit} did not start`,
      timeoutMs: 30_000,
    });
    await remove();
    throw new NotObserved(
      `${unit} did not start: ${describeEvidence(started)}; its journal: ${journal.stdout.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  const inspected = await ctx.podman.cmd(['inspect', '--format', '{{.State.Pid}}', base], {
    purpose: `${purpose}: the container's process`,
    timeoutMs: 30_000,
  });
  const pid = Number(inspected.stdout.trim());
  if (!succeeded(inspected) || !Number.isInteger(pid) || pid <= 0) {
    await remove();
    throw new NotObserved(
      `${unit} started, but its container ${base} is not running (its command ended: a service is observed while it runs): ${describeEvidence(inspected)}`,
    );
  }
  return { unit, container: base, pid, remove };
}
