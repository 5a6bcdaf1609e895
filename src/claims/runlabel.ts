import { join } from 'node:path';
import { RUNLABEL } from '../apparatus/images.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { type Claim, type ClaimContext, NotObserved, SkipClaim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';

/** What one arm saw: the runlabel command and the marker check after it. */
export interface RunlabelRun {
  runlabel: Pick<Evidence, 'exitCode' | 'stdout' | 'stderr'>;
  /** `stat MARKER` as the identity, after runlabel: exit 0 when the marker exists. */
  marker: Pick<Evidence, 'exitCode'>;
  /** The marker path given as --opt1. */
  markerPath: string;
}

const exists = (run: RunlabelRun) => run.marker.exitCode === 0;

/**
 * Treatment check (pure): `--display` printed the label's command with the image and the marker
 * path substituted, and the marker does not exist: nothing ran.
 */
export function checkDisplayedOnly(run: RunlabelRun, image: string, marker = run.markerPath): Observation {
  const shown = run.runlabel.stdout.trim().split('\n').pop() ?? '';
  const substituted = shown.includes(`IMAGE=${image}`) && shown.includes(`touch ${marker}`);
  return {
    holds: run.runlabel.exitCode === 0 && substituted && !exists(run),
    observed: `printed "${shown.slice(0, 200)}"${substituted ? '' : ' (not the label with the image and --opt1 substituted)'}; marker ${exists(run) ? 'created: the command ran' : 'absent'}`,
  };
}

/** Control check (pure): without --display the label's command ran and left the marker. */
export function checkRan(run: RunlabelRun): Observation {
  return {
    holds: run.runlabel.exitCode === 0 && exists(run),
    observed: `runlabel exit ${run.runlabel.exitCode}; marker ${exists(run) ? 'created' : 'absent'}`,
  };
}

interface RunlabelSetup {
  image: string;
  /** A temp dir the identity can write: each arm's marker goes there. */
  dir: string;
}

/** Run `podman container runlabel [--display] --opt1=MARKER RUN IMAGE`, then look for the marker. */
async function runlabel(
  ctx: ClaimContext,
  s: RunlabelSetup,
  arm: 'treatment' | 'control',
): Promise<RunlabelRun> {
  const marker = join(s.dir, `${arm}-marker`);
  const display = arm === 'treatment' ? ['--display'] : [];
  const e = await ctx.podman.cmd(['container', 'runlabel', ...display, `--opt1=${marker}`, 'RUN', s.image], {
    purpose: `${arm}: runlabel${display.length ? ' --display' : ''} RUN`,
    timeoutMs: 60_000,
  });
  if (e.failure || (e.exitCode !== 0 && !e.stdout.trim()))
    throw new NotObserved(`runlabel did not run: ${describeEvidence(e)}`);
  const stat = await ctx.exec(['stat', marker], { purpose: `${arm}: marker?`, timeoutMs: 15_000 });
  return { runlabel: e, marker: stat, markerPath: marker };
}

export const runlabelDisplay: Claim<RunlabelSetup, RunlabelRun> = {
  id: 'runlabel.display',
  title: "`podman container runlabel --display` prints the label's command and executes nothing",
  source:
    'podman test/system/037-runlabel.bats: --display prints "command: ..." with IMAGE, NAME and --opt1..3 substituted; podman-container-runlabel(1)',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  async setup(ctx) {
    const image = await ctx.image(RUNLABEL);
    if (!image.startsWith('localhost/podproof/runlabel:'))
      throw new SkipClaim(
        `needs podproof's runlabel fixture (an image with a RUN label); --image ${image} replaces it`,
      );
    // the label's command runs as the identity
    return { image, dir: ctx.session.tempDir('runlabel', { owner: ctx.identity }) };
  },
  treatment: {
    setting: 'podman container runlabel --display',
    observe: (ctx, s) => runlabel(ctx, s, 'treatment'),
    check: (run, s) => checkDisplayedOnly(run, s.image),
  },
  control: {
    setting: 'podman container runlabel (without --display)',
    observe: (ctx, s) => runlabel(ctx, s, 'control'),
    check: checkRan,
  },
};

export const runlabelClaims: Claim[] = [runlabelDisplay];
