import { lchownSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describeEvidence, type EvidenceLog } from '../exec/evidence.js';
import type { Identity } from '../exec/identity.js';
import { exec, succeeded } from '../exec/run.js';
import type { Session } from '../exec/session.js';
import { which } from '../exec/which.js';
import { FixtureError } from './images.js';

/** Where the probe's tools are mounted in a container of a user's image. */
export const TOOLS_DIR = '/.podproof';

/**
 * The options that run podproof's probe in any image (distroless, scratch): the tools dir
 * mounted read-only, its static busybox as the entrypoint, its applets first on PATH. The same
 * in both arms of a claim, so they differ only in the setting under test.
 */
export function probeToolsOptions(hostDir: string): string[] {
  return [
    `--volume=${hostDir}:${TOOLS_DIR}:ro,z`,
    `--entrypoint=${TOOLS_DIR}/busybox`,
    `--env=PATH=${TOOLS_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  ];
}

/**
 * A session temp dir with the host's static busybox and a relative link per applet (`cat ->
 * busybox`), world-readable: mounted at {@link TOOLS_DIR} it runs wherever the container's
 * user may read and execute. Removed at session teardown.
 */
export async function probeTools(session: Session, log?: EvidenceLog, owner?: Identity): Promise<string> {
  const busybox = which('busybox');
  if (!busybox)
    throw new FixtureError('the probe of a user image needs a static busybox: install busybox-static');
  const list = await exec([busybox, '--list'], {
    purpose: 'probe tools: busybox applets',
    timeoutMs: 30_000,
    log,
  });
  if (!succeeded(list)) throw new FixtureError(`busybox --list: ${describeEvidence(list)}`);
  // the identity's own, every entry: where SELinux runs, its podman relabels the dir (the
  // volume's `z`), and a rootless podman may not relabel what it does not own
  const dir = session.tempCopies('probe-tools', { busybox: realpathSync(busybox) }, { owner });
  const chown = owner && process.getuid?.() === 0 ? owner : undefined;
  for (const applet of list.stdout.split('\n').map((l) => l.trim())) {
    if (!/^[\w.-]+$/.test(applet) || applet === 'busybox') continue;
    symlinkSync('busybox', join(dir, applet));
    if (chown) lchownSync(join(dir, applet), chown.uid, chown.gid);
  }
  return dir;
}
