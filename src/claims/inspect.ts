import { join } from 'node:path';
import { MARKER, MARKER_DIR, MARKER_SCRIPT } from '../apparatus/images.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { type Claim, type ClaimContext, NotObserved, SkipClaim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { BEGIN, END, shellQuote } from '../probe/script.js';
import { parseSections } from '../probe/sections.js';

/** The script the image runs when it is run, as the fixture writes it. */
export const MARKER_SCRIPT_TEXT = MARKER.files?.[MARKER_SCRIPT] ?? '';

/** What one arm saw: the image's own file read off its mount (treatment only), the marker, the image's containers. */
export interface InspectRun {
  /** The image's command script read through `podman image mount` (absent in the control). */
  read?: Pick<Evidence, 'exitCode' | 'stdout'>;
  /** Names at the top of the mounted image. */
  listing?: string[];
  /** Did the image's command leave its marker? */
  marker: boolean;
  /** Containers of the image that podman made during the arm (its `create` events). */
  created: number;
  /** Containers of the image that podman started during the arm (its `start` events). */
  started: number;
}

const readIt = (run: InspectRun) =>
  run.read?.exitCode === 0 &&
  run.read.stdout.trimEnd() === MARKER_SCRIPT_TEXT.trimEnd() &&
  (run.listing ?? []).includes('bin');

const describe = (run: InspectRun) =>
  [
    run.read
      ? `read ${MARKER_SCRIPT} off the mounted image: ${readIt(run) ? 'the script as built' : `not it (exit ${run.read.exitCode})`}; top level: ${(run.listing ?? []).join(' ') || 'nothing'}`
      : 'ran the image',
    `marker ${run.marker ? 'left: its command ran' : 'absent'}`,
    `containers of the image created: ${run.created}, started: ${run.started}`,
  ].join('; ');

/** Treatment check (pure): the image's files were read, and none of its code ran (no marker, no container made or started). */
export function checkReadWithoutRunning(run: InspectRun): Observation {
  return {
    holds: readIt(run) && !run.marker && run.started === 0 && run.created === 0,
    observed: describe(run),
  };
}

/** Control check (pure): running the same image starts a container (podman's events show it) whose command leaves the marker. */
export function checkRunLeavesMarker(run: InspectRun): Observation {
  return { holds: run.marker && run.started > 0, observed: describe(run) };
}

interface InspectSetup {
  image: string;
  /** A host dir the image's command writes its marker into when the image runs (mounted at MARKER_DIR). */
  dir: string;
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim());

/**
 * After an arm that began at `since`: the marker, and the image's containers podman made and
 * started meanwhile (its events: a container made and removed again shows there too; the control,
 * which runs the image, shows the events are recorded on this host).
 */
async function aftermath(ctx: ClaimContext, s: InspectSetup, arm: string, since: string) {
  // a torn line in podproof's own file log would end podman 4.3's reading before this arm's events
  ctx.podman.repairEventsLog();
  const events = await ctx.podman.cmd(
    [
      'events',
      '--stream=false',
      '--since',
      since,
      // filters of one key are either-or; podman 4.3's image filter leaves container events
      // out: filtered here by their image
      '--filter',
      'event=create',
      '--filter',
      'event=start',
      '--format',
      '{{.Status}} {{.Image}}',
    ],
    { purpose: `${arm}: containers of the image made or started?`, timeoutMs: 30_000 },
  );
  if (!succeeded(events)) throw new Error(`could not ask podman: ${describeEvidence(events)}`);
  const marker = await ctx.exec(['stat', join(s.dir, 'ran')], {
    purpose: `${arm}: marker?`,
    timeoutMs: 15_000,
  });
  return { marker: marker.exitCode === 0, ...containerEvents(events.stdout, s.image) };
}

/** How many `create` and `start` events (`STATUS IMAGE`, one per line) are of `image` (pure). */
export function containerEvents(events: string, image: string): { created: number; started: number } {
  const of = (status: string) => lines(events).filter((l) => l.trim() === `${status} ${image}`).length;
  return { created: of('create'), started: of('start') };
}

/**
 * The inspection, as one script: `podman image mount`, the image's command script read and its
 * top level listed off the mount (in sections, as the probe prints them), unmount. Rootless it
 * runs inside `podman unshare`: the mount exists only in that namespace.
 */
export function inspectScript(podman: string[], image: string): string {
  const q = (argv: string[]) => argv.map(shellQuote).join(' ');
  const section = (name: string, command: string) =>
    `echo "${BEGIN} ${name}"; ${command}; rc=$?; echo; echo "${END} ${name} $rc"`;
  return [
    `m=$(${q([...podman, 'image', 'mount', image])}) || exit 3`,
    section('read', `cat "$m"${shellQuote(MARKER_SCRIPT)}`),
    section('listing', 'ls -1 "$m"'),
    `${q([...podman, 'image', 'unmount', image])} >/dev/null`,
  ].join('\n');
}

async function inspectMounted(ctx: ClaimContext, s: InspectSetup): Promise<InspectRun> {
  const since = new Date().toISOString();
  const argv = ['sh', '-c', inspectScript(ctx.podman.argv([]), s.image)];
  const inUserns = (a: string[]) =>
    ctx.identity.name === 'rootless' ? ['unshare', ...ctx.podman.argv(a)] : a;
  // the script unmounts as its last step: only a script that did not end well leaves a mount
  let mounted = true;
  ctx.defer(`unmount ${s.image}`, async () => {
    if (mounted)
      await ctx.podman.cmd(inUserns(['image', 'unmount', '--force', s.image]), {
        purpose: 'cleanup',
        timeoutMs: 60_000,
      });
  });
  const purpose = 'treatment: podman image mount, read, unmount';
  const inspected =
    ctx.identity.name === 'rootless'
      ? await ctx.podman.cmd(['unshare', ...argv], { purpose, timeoutMs: 60_000 })
      : await ctx.exec(argv, { purpose, timeoutMs: 60_000 });
  mounted = !succeeded(inspected);
  const sections = parseSections(inspected.stdout);
  const read = sections.get('read');
  if (!succeeded(inspected) || !read)
    throw new NotObserved(`the inspection did not run: ${describeEvidence(inspected)}`);
  return {
    read: { exitCode: read.exitCode, stdout: read.text },
    listing: lines(sections.get('listing')?.text ?? ''),
    ...(await aftermath(ctx, s, 'treatment', since)),
  };
}

/**
 * The same image run with podman run: its command leaves the marker. podman's file events log is
 * cut when it reaches its size limit (`events_logfile_max_size`, 1 MB), and what it held is gone
 * (seen in CI: the marker there, no event): such a run is made once more, the second one judged.
 */
async function runImage(ctx: ClaimContext, s: InspectSetup): Promise<InspectRun> {
  for (let attempt = 1; ; attempt++) {
    const again = attempt > 1 ? ' (again: the events of the first run were not in the log)' : '';
    const since = new Date().toISOString();
    const ran = await ctx.podman.run({
      image: s.image,
      command: [],
      flags: [`--volume=${s.dir}:${MARKER_DIR}`, '--security-opt=label=disable'],
      purpose: `control: podman run of the same image${again}`,
    });
    if (!succeeded(ran)) throw new NotObserved(`the image did not run: ${describeEvidence(ran)}`);
    const after = await aftermath(ctx, s, `control${again}`, since);
    if (attempt > 1 || !after.marker || after.created + after.started > 0) return after;
  }
}

export const inspectWithoutRun: Claim<InspectSetup, InspectRun> = {
  id: 'image.inspect-without-run',
  title:
    "`podman image mount` (in `podman unshare` when rootless) reads an image's files without running any of its code",
  source: 'podman-image-mount(1), podman-unshare(1); podman test/system/010-images.bats "podman image mount"',
  identities: ['rootful', 'rootless'],
  // alone per identity, host-wide: another run's control runs the same marker image, and its
  // create and start events would count against this treatment (suites/concurrent.test.ts)
  exclusive: true,
  // it counts the events of its own marker image only: a sink container running beside is no event
  keepsApparatus: true,
  async setup(ctx) {
    const image = await ctx.image(MARKER);
    if (!image.startsWith('localhost/podproof/marker:'))
      throw new SkipClaim(
        `needs podproof's marker fixture (its command leaves a marker); --image ${image} replaces it`,
      );
    return { image, dir: ctx.session.tempDir('marker', { owner: ctx.identity }) };
  },
  treatment: {
    setting: 'podman image mount (in podman unshare when rootless), read, unmount',
    observe: inspectMounted,
    check: checkReadWithoutRunning,
  },
  control: { setting: 'podman run of the same image', observe: runImage, check: checkRunLeavesMarker },
};

export const inspectClaims: Claim[] = [inspectWithoutRun];
