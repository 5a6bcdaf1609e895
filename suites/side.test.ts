/**
 * A running container read from the host side (issue 23 item 4: a Quadlet unit observed while it
 * runs, its own command untouched) sees what podproof's probe sees from inside: the same checks
 * hold on a hardened container and fail on the same container without its settings. Here with
 * `podman run -d` (no systemd manager on the build machine); the VM's Quadlet step starts the
 * generated units themselves.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BUSYBOX, fixtureImage } from '../src/apparatus/images.js';
import { probeTools } from '../src/apparatus/probe-tools.js';
import { checkRootReadOnly, checkRootWritable, ROOT_WRITE } from '../src/claims/from-spec.js';
import { checkHasOtherInterface, checkLoopbackOnly } from '../src/claims/network.js';
import { checkMasked, checkUnmasked, existsAttempt } from '../src/claims/proc.js';
import type { IdentityName } from '../src/exec/identity.js';
import { exec } from '../src/exec/run.js';
import { Podman } from '../src/podman/podman.js';
import { probe } from '../src/probe/probe.js';
import { observeFromSide } from '../src/probe/side.js';
import type { ProbeSnapshot } from '../src/probe/snapshot.js';
import { identity, realPodman, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

const HARDENED = [
  '--network=none',
  '--read-only',
  '--cap-drop=all',
  '--user=1000:1000',
  '--security-opt=no-new-privileges',
  '--security-opt=mask=/proc/version',
];
const attempts = [ROOT_WRITE, existsAttempt(['/proc/version'])];

describe.each(['rootful', 'rootless'] as IdentityName[])(
  'a running container read from the side (%s)',
  (name) => {
    const { identity: who, skip } = identity(name);
    it.skipIf(!who)(
      `reads what the probe reads inside${skip ? ` (${skip})` : ''}`,
      { timeout: 180_000 },
      async () => {
        if (!who) return;
        const podman = new Podman({ binary: realPodman, identity: who, session: testSession });
        const image = await fixtureImage(podman, BUSYBOX);
        const tools = await probeTools(testSession);
        const ctx = {
          session: testSession,
          identity: who,
          exec: (argv: string[], o: object = {}) => exec(argv, { ...o, identity: who }),
          log: undefined as never,
          signal: new AbortController().signal,
          podman,
        };
        const side = async (flags: string[], arm: string): Promise<ProbeSnapshot> => {
          const started = await podman.start({ image, command: ['sleep', '600'], flags, purpose: arm });
          expect(started.exitCode, started.stderr).toBe(0);
          const id = started.stdout.trim();
          try {
            const pid = Number(
              (
                await podman.cmd(['inspect', '--format', '{{.State.Pid}}', id], { purpose: 'pid' })
              ).stdout.trim(),
            );
            const outcome = await observeFromSide(ctx, { pid, tools, attempts, purpose: arm });
            if (!outcome.ok) throw new Error(outcome.error);
            return outcome.snapshot;
          } finally {
            await podman.remove([id]);
          }
        };
        const [treatment, control, inside] = await Promise.all([
          side(HARDENED, 'side-treatment'),
          side([], 'side-control'),
          probe(podman, image, { flags: HARDENED, attempts, purpose: 'inside' }),
        ]);
        if (!inside.ok) throw new Error(inside.error);
        // each check holds on the hardened container and fails on the plain one
        expect(checkLoopbackOnly(treatment).holds).toBe(true);
        expect(checkLoopbackOnly(control).holds).toBe(false);
        expect(checkHasOtherInterface(control).holds).toBe(true);
        expect(checkRootReadOnly(treatment).holds).toBe(true);
        expect(checkRootReadOnly(control).holds).toBe(false);
        expect(checkRootWritable(control).holds).toBe(true);
        expect(checkMasked(treatment, ['/proc/version']).holds).toBe(true);
        expect(checkMasked(control, ['/proc/version']).holds).toBe(false);
        expect(checkUnmasked(control, ['/proc/version'], '').holds).toBe(true);
        expect([treatment.uid, control.uid]).toEqual([1000, 0]);
        expect([treatment.noNewPrivs, control.noNewPrivs]).toEqual([true, false]);
        expect(treatment.capabilities?.bounding).toEqual([]);
        expect(control.capabilities?.bounding.length).toBeGreaterThan(0);
        // and the side's view of the hardened container is the probe's from inside it
        const view = (s: ProbeSnapshot) => ({
          interfaces: s.interfaces.map((i) => i.name),
          uid: s.uid,
          noNewPrivs: s.noNewPrivs,
          bounding: s.capabilities?.bounding,
          uidMap: s.uidMap,
          root: s.mounts.find((m) => m.mountPoint === '/')?.options,
          devices: s.devices.includes('shm'),
        });
        expect(view(treatment)).toEqual(view(inside.snapshot));
        expect(treatment.pids.length).toBeGreaterThan(0);
      },
    );
  },
);
