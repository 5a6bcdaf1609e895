import { describeEvidence, type Evidence } from '../exec/evidence.js';
import { succeeded } from '../exec/run.js';
import { kindsLeft } from '../podman/objects.js';
import { endOrphanedConmons } from '../podman/orphans.js';
import type { Podman } from '../podman/podman.js';
import { settleAardvark } from './network-sink.js';

/**
 * The safety net at a run's end: every podman object labelled with the session, for each
 * identity at once; the networks' stale DNS state; and any conmon still watching one of the
 * session's containers, now removed (an orphan). Throws naming the removals that failed.
 *
 * With `ran`, the run's whole record, complete (no command still running), only the kinds its
 * commands may have left are listed (`kindsLeft`): a run whose claims removed their networks,
 * secrets and committed images lists its containers only.
 */
export async function removeSessionObjects(
  podmans: readonly Podman[],
  sessionId: string,
  ran?: readonly Evidence[],
): Promise<void> {
  const all = await Promise.all(
    podmans.map(async (p) => {
      const kinds = ran
        ? kindsLeft(
            ran
              .filter((e) => e.identity === p.identity.name && e.argv[0] === p.binary)
              .map((e) => ({ args: e.argv.slice(1), ok: succeeded(e), stderr: e.stderr })),
          )
        : undefined;
      const removed = await p.removeLabelled(sessionId, kinds);
      await settleAardvark(p, sessionId);
      return removed;
    }),
  );
  await endOrphanedConmons(sessionId);
  const failed = all.flat().filter((e) => !succeeded(e));
  if (failed.length) throw new Error(failed.map(describeEvidence).join('; '));
}

/**
 * Why a user's `--image` cannot stand in for the fixtures, or undefined when it can: it must
 * exist in the identity's storage and run `sh -c 'cat /dev/null'` (the probe needs sh and cat).
 */
export async function userImageProblem(podman: Podman, image: string): Promise<string | undefined> {
  const exists = await podman.cmd(['image', 'exists', image], { purpose: 'user image?', timeoutMs: 30_000 });
  if (exists.exitCode === 1)
    return `image ${image} does not exist for ${podman.identity.name} (${podman.identity.user})`;
  const shell = await podman.run({
    image,
    command: ['sh', '-c', 'cat /dev/null'],
    flags: ['--network=none'],
    purpose: 'user image has sh and cat?',
    timeoutMs: 60_000,
  });
  if (!succeeded(shell))
    return `image ${image} cannot run \`sh -c 'cat /dev/null'\` (podproof's probe needs sh and cat): ${describeEvidence(shell)}`;
  return undefined;
}
