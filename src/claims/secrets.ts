import { randomBytes } from 'node:crypto';
import { BUSYBOX } from '../apparatus/images.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { type Claim, type ClaimContext, NotObserved } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { imageRemovalFailed } from '../podman/objects.js';
import { runUntilComplete } from '../probe/probe.js';
import { endingComplete, isCompleteOutput } from '../probe/script.js';

/** Where the value shows up: the secret's file and its environment variable. */
export const SECRET_ENV = 'PODPROOF_SECRET';
const secretFile = (name: string) => `/run/secrets/${name}`;

/**
 * The container's command, the same in both arms: where the secret's file is missing (the
 * control, which gets the value with `-e` instead), it writes the value to that path itself, a
 * regular file; then it prints what it can see, and a last line that says nothing was lost.
 */
export function holderScript(name: string): string {
  const file = secretFile(name);
  return endingComplete(
    [
      `[ -e ${file} ] || { mkdir -p /run/secrets && printf '%s' "$${SECRET_ENV}" > ${file}; }`,
      `echo "file: $(cat ${file})"`,
      `echo "env: $${SECRET_ENV}"`,
    ].join('\n'),
  );
}

/**
 * What the committed image's container shows, with nothing given to it: the same two lines, and
 * its whole environment on one line (the image's config under any variable name: a container
 * starts with the environment its image's config holds). Lost output would read as "neither",
 * which is the treatment's answer: so it ends with the completion line too.
 */
export const READ_BACK = (name: string) =>
  endingComplete(
    `echo "file: $(cat ${secretFile(name)} 2>/dev/null)"; echo "env: $${SECRET_ENV}"; echo "environ: $(env | tr '\\n' ' ')"`,
  );

/** `file: ...`, `env: ...` and (from {@link READ_BACK}) `environ: ...` lines (pure). */
export function parseSeen(stdout: string): { file: string; env: string; environ: string } {
  const line = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(stdout)?.[1]?.trim() ?? '';
  return { file: line('file'), env: line('env'), environ: line('environ') };
}

/** One arm: the container that held the value, the image committed from it, what that image holds. */
export interface CommitRun {
  /** The holder container's output: the value reached it (or not). */
  held: Pick<Evidence, 'exitCode' | 'stdout'>;
  /** A container of the committed image, given nothing. */
  committed: Pick<Evidence, 'exitCode' | 'stdout'>;
}

function seen(run: CommitRun, value: string) {
  const held = parseSeen(run.held.stdout);
  const kept = parseSeen(run.committed.stdout);
  return {
    complete: isCompleteOutput(run.held.stdout) && isCompleteOutput(run.committed.stdout),
    reached: held.file === value && held.env === value,
    fileKept: kept.file === value,
    envKept: kept.env === value || kept.environ.includes(value),
  };
}

const describe = (s: ReturnType<typeof seen>) =>
  `${s.complete ? '' : "a container's output was lost (no last line); "}the container ${s.reached ? 'had the value in its file and variable' : 'did not have the value in both file and variable'}; the committed image has it ${
    s.fileKept && s.envKept
      ? 'in both'
      : s.fileKept
        ? 'in the file'
        : s.envKept
          ? 'in the variable'
          : 'in neither'
  }`;

/** Treatment check (pure): the secret reached the container, and the committed image has neither file nor variable. */
export function checkNotCommitted(run: CommitRun, value: string): Observation {
  const s = seen(run, value);
  return { holds: s.complete && s.reached && !s.fileKept && !s.envKept, observed: describe(s) };
}

/** Control check (pure): the value given as a variable and written to a regular file is in the committed image. */
export function checkCommitted(run: CommitRun, value: string): Observation {
  const s = seen(run, value);
  return { holds: s.complete && s.reached && s.fileKept && s.envKept, observed: describe(s) };
}

interface SecretSetup {
  image: string;
  /** The secret's name (the session's prefix: teardown and clean find it by that). */
  name: string;
  /** A random value made for the run: never a real secret. */
  value: string;
  /** The arms' holder containers and committed images: removed together when the claim ends. */
  made: { containers: string[]; images: string[] };
}

/** Run the holder with `flags`, commit it, run the committed image. */
async function holdAndCommit(
  ctx: ClaimContext,
  s: SecretSetup,
  flags: string[],
  arm: string,
): Promise<CommitRun> {
  const committed = `localhost/${ctx.session.name(`${arm}-commit`)}`;
  let holder = '';
  // a holder whose output was lost is left for teardown; a new one is the observation
  const held = await runUntilComplete((again) => {
    holder = ctx.session.name(`${arm}-holder`);
    s.made.containers.push(holder);
    return ctx.podman.cmd(
      [
        ...['run', '--name', holder, '--label', ctx.session.label, '--pull=never', ...flags],
        ...[s.image, 'sh', '-c', holderScript(s.name)],
      ],
      {
        purpose: `${arm}: the value reaches the container${again ? ' again, output lost' : ''}`,
        timeoutMs: 60_000,
      },
    );
  });
  if (!succeeded(held)) throw new NotObserved(`the holder container failed: ${describeEvidence(held)}`);
  if (!isCompleteOutput(held.stdout))
    throw new NotObserved(`the holder's output was lost twice: ${describeEvidence(held)}`);
  s.made.images.push(committed);
  const commit = () =>
    ctx.podman.commit(holder, committed, [`LABEL ${ctx.session.label}`], `${arm}: commit the container`);
  const first = await commit();
  if (!succeeded(first)) throw new NotObserved(`podman commit failed: ${describeEvidence(first)}`);
  // `--rmi`: the committed image goes with its only container, one call less than an `rmi` (the
  // teardown's record knows it: kindsLeft); a read-back whose output was lost commits it again
  const after = await runUntilComplete(async (again) => {
    if (again) {
      const recommit = await commit();
      if (!succeeded(recommit)) return recommit;
    }
    return ctx.podman.run({
      image: committed,
      command: ['sh', '-c', READ_BACK(s.name)],
      flags: ['--rmi'],
      purpose: `${arm}: what the committed image holds${again ? ' again, output lost' : ''}`,
    });
  });
  if (!succeeded(after))
    throw new NotObserved(`could not read the committed image: ${describeEvidence(after)}`);
  if (!isCompleteOutput(after.stdout))
    throw new NotObserved(`the committed image's output was lost twice: ${describeEvidence(after)}`);
  if (!imageRemovalFailed(after.stderr)) s.made.images.splice(s.made.images.indexOf(committed), 1);
  return { held, committed: after };
}

export const secretsNotCommitted: Claim<SecretSetup, CommitRun> = {
  id: 'secrets.not-committed',
  title: 'a podman secret reaches the container as a file and a variable, and podman commit saves neither',
  source:
    'podman-secret-create(1), podman-run(1) --secret (type=mount, type=env); podman test/system/190-secrets.bats; podman-commit(1)',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  async setup(ctx) {
    const image = await ctx.image(BUSYBOX);
    const name = ctx.session.name('secret');
    const value = `podproof-secret-${randomBytes(8).toString('hex')}`;
    ctx.defer(`remove secret ${name}`, () =>
      ctx.podman.cmd(['secret', 'rm', name], { purpose: 'cleanup', timeoutMs: 30_000 }),
    );
    // from a file of the session's own (podman wants a pipe for `-`; node's stdin is a socket)
    const { file } = ctx.session.tempFiles('secret', { file: value });
    const created = await ctx.podman.cmd(['secret', 'create', name, file], {
      purpose: 'create the secret',
      timeoutMs: 30_000,
    });
    if (!succeeded(created)) throw new Error(`podman secret create failed: ${describeEvidence(created)}`);
    // both arms' holders and images in one call each, before the secret goes
    const made: SecretSetup['made'] = { containers: [], images: [] };
    ctx.defer('remove the holders and the committed images', async () => {
      if (made.containers.length) await ctx.podman.remove(made.containers);
      if (made.images.length)
        await ctx.podman.cmd(['rmi', '-f', ...made.images], { purpose: 'cleanup', timeoutMs: 60_000 });
    });
    return { image, name, value, made };
  },
  treatment: {
    setting: '--secret NAME (type=mount and type=env), then podman commit',
    observe: (ctx, s) =>
      holdAndCommit(
        ctx,
        s,
        ['--secret', s.name, '--secret', `${s.name},type=env,target=${SECRET_ENV}`],
        'treatment',
      ),
    check: (run, s) => checkNotCommitted(run, s.value),
  },
  control: {
    setting: 'the same value given with -e and written to the same file, then podman commit',
    observe: (ctx, s) => holdAndCommit(ctx, s, ['-e', `${SECRET_ENV}=${s.value}`], 'control'),
    check: (run, s) => checkCommitted(run, s.value),
  },
};

export const secretsClaims: Claim[] = [secretsNotCommitted];
