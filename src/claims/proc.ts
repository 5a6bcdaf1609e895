import { BUSYBOX } from '../apparatus/images.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { isReadOnly, type Mount, mountAt } from '../parse/mounts.js';
import { attemptOf, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { type ProbeSetup, probeArm } from './probe-arm.js';

/**
 * `linux.maskedPaths` of an OCI runtime spec (config.json text): none when the spec masks nothing,
 * undefined when the text is no spec (not JSON, or a list that is not of paths) (pure).
 */
export function parseMaskedPaths(configJson: string): string[] | undefined {
  try {
    const spec = JSON.parse(configJson) as { linux?: { maskedPaths?: unknown } };
    const paths = spec.linux?.maskedPaths ?? [];
    return Array.isArray(paths) && paths.every((p) => typeof p === 'string') ? paths : undefined;
  } catch {
    return undefined;
  }
}

/** Which of `paths` exist in the container: one line `present PATH` or `absent PATH` each. */
export function existsAttempt(paths: readonly string[]): Attempt {
  return {
    name: 'exists',
    argv: [
      'sh',
      '-c',
      'for p in "$@"; do if [ -e "$p" ]; then echo "present $p"; else echo "absent $p"; fi; done',
      'sh',
      ...paths,
    ],
  };
}

/** How a path looks from inside: hidden by a mask, absent, or visible. */
export type PathView = 'masked' | 'absent' | 'visible';

/**
 * A masked path is covered by a bind mount of /dev/null (a file) or a read-only tmpfs (a
 * directory); a path the kernel does not have is absent, which hides nothing (pure).
 */
export function viewOf(mounts: readonly Mount[], present: boolean, path: string): PathView {
  const m = mountAt(mounts, path);
  if (m && (m.root === '/null' || m.root.endsWith('/null'))) return 'masked';
  if (m && m.fsType === 'tmpfs' && isReadOnly(m)) return 'masked';
  return present ? 'visible' : 'absent';
}

/** Each path's view in a snapshot; a probe that did not report every path is a harness error. */
export function pathViews(s: ProbeSnapshot, paths: readonly string[]): Map<string, PathView> {
  const a = attemptOf(s, 'exists');
  const lines = new Map(
    a.text
      .split('\n')
      .map((l) => /^(present|absent) (.+)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[2] ?? '', m[1] === 'present']),
  );
  const missing = paths.filter((p) => !lines.has(p));
  if (missing.length)
    throw new OutputNotExplained(`the probe did not report ${missing.join(', ')}: ${lastLineOf(a)}`);
  return new Map(paths.map((p) => [p, viewOf(s.mounts, lines.get(p) === true, p)]));
}

const named = (views: Map<string, PathView>, view: PathView) =>
  [...views].filter(([, v]) => v === view).map(([p]) => p);

/** Treatment check (pure): every masked path of the spec is masked or absent, and at least one is masked. */
export function checkMasked(s: ProbeSnapshot, paths: readonly string[]): Observation {
  const views = pathViews(s, paths);
  const masked = named(views, 'masked');
  const visible = named(views, 'visible');
  const absent = named(views, 'absent');
  return {
    holds: visible.length === 0 && masked.length > 0,
    observed: [
      `${masked.length} of ${paths.length} masked paths masked (${masked.join(', ') || 'none'})`,
      absent.length ? `absent in this kernel: ${absent.join(', ')}` : '',
      visible.length ? `visible: ${visible.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  };
}

/**
 * Control check (pure): without the mask (unmask=ALL here; a user's spec without its
 * `mask=` option), at least one of the paths is visible. `label` says which arm looked.
 */
export function checkUnmasked(
  s: ProbeSnapshot,
  paths: readonly string[],
  label = 'unmask=ALL: ',
): Observation {
  const views = pathViews(s, paths);
  const visible = named(views, 'visible');
  return {
    holds: visible.length > 0,
    observed: `${label}${visible.length} of ${paths.length} visible (${visible.join(', ') || 'none'})`,
  };
}

/**
 * What every podman >= 3.4 masks in a default container, whatever its spec says: the article's
 * list, from the runtime-tools default spec podman has always started from (later versions add
 * more, never fewer). A spec that masks less is a broken host, not an unreadable one.
 */
export const DOCUMENTED_MASKED_PATHS = [
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/timer_list',
  '/proc/scsi',
  '/sys/firmware',
] as const;

/**
 * The paths a default container must have masked (pure): the spec's own list joined with the
 * documented minimum, so a podman whose spec masks nothing cannot shrink the expectation.
 */
export function expectedMaskedPaths(specPaths: readonly string[] | undefined): string[] {
  return [...new Set([...(specPaths ?? []), ...DOCUMENTED_MASKED_PATHS])];
}

/**
 * Every path a podman spec is known to mask (podman 4.3's list and what later versions added),
 * with the documented minimum: the one `exists` attempt both arms plan, so the treatment's
 * default container is the run's shared one. A spec that masks a path outside it (podman 5.5
 * masks each CPU's thermal_throttle) gets containers of this claim's own, asking for its paths.
 */
export const KNOWN_MASKED_PATHS = [
  ...DOCUMENTED_MASKED_PATHS,
  '/proc/latency_stats',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/interrupts',
  '/sys/fs/selinux',
  '/sys/dev/block',
  '/sys/devices/virtual/powercap',
] as const;

/** The `exists` attempt for `paths`: the planned one when it covers them (pure). */
export function maskedAttempt(paths: readonly string[]): Attempt {
  const known: readonly string[] = KNOWN_MASKED_PATHS;
  return existsAttempt(paths.every((p) => known.includes(p)) ? known : paths);
}

interface MaskedSetup extends ProbeSetup {
  /** `linux.maskedPaths` of the spec this podman writes for a default container (maybe none). */
  spec: string[];
  /** The spec's paths joined with the documented minimum: what the treatment must hide. */
  paths: string[];
}

export const procMasked: Claim<MaskedSetup> = {
  id: 'proc.masked',
  title:
    "the kernel files podman's spec masks (/proc/kcore, /proc/keys, /sys/firmware, ...) are hidden in a container",
  source:
    "the runtime spec's linux.maskedPaths of a default container (read from its config.json) joined with the article's minimum (/proc/acpi, /proc/kcore, /proc/keys, /proc/timer_list, /proc/scsi, /sys/firmware); podman-run(1) --security-opt unmask=ALL is the documented opposite",
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    // the masked paths as this podman defines them, from the spec of a default container; a spec
    // without linux.maskedPaths is an observation (the host masks nothing), not an error
    const text = await ctx.podman.runtimeSpec(image, [], 'spec of a default container');
    const spec = parseMaskedPaths(text);
    if (!spec)
      throw new Error(`the runtime spec is not JSON with a list of masked paths: ${text.slice(0, 200)}`);
    return { image, spec, paths: expectedMaskedPaths(spec) };
  },
  treatment: {
    ...probeArm<MaskedSetup>({
      purpose: 'treatment: default',
      attempts: ({ paths }) => [maskedAttempt(paths)],
      check: (s, { paths }) => checkMasked(s, paths),
    }),
    probes: [{ flags: [], attempts: [existsAttempt(KNOWN_MASKED_PATHS)] }],
  },
  control: {
    ...probeArm<MaskedSetup>({
      purpose: 'control: --security-opt=unmask=ALL',
      flags: ['--security-opt=unmask=ALL'],
      attempts: ({ paths }) => [maskedAttempt(paths)],
      check: (s, { paths }) => checkUnmasked(s, paths),
    }),
    probes: [{ flags: ['--security-opt=unmask=ALL'], attempts: [existsAttempt(KNOWN_MASKED_PATHS)] }],
  },
  note: (_ctx, { spec, paths }) =>
    `spec masks ${spec.length} paths; ${paths.length} expected with the documented minimum`,
};

export const procClaims: Claim[] = [procMasked];
