// The public API as a user's own suite uses it: an identity-aware handle with `await using`.
import { afterAll, describe, expect, it } from 'vitest';
import { BUSYBOX, fixtureImage, openPodman, probe } from '../src/index.js';
import '../src/vitest/index.js';
import { identity, leftovers, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

describe.each(['rootful', 'rootless'] as const)('%s: openPodman + probe + matchers', (name) => {
  const { identity: who, skip } = identity(name);
  it('probes a --network=none container and removes it on dispose', async (ctx) => {
    if (!who) return ctx.skip(skip);
    let sessionId = '';
    {
      await using podman = await openPodman({ identity: name });
      sessionId = podman.session.id;
      const image = await fixtureImage(podman, BUSYBOX);
      const outcome = await probe(podman, image, { flags: ['--network=none'] });
      expect(outcome).toHaveOnlyLoopback();
      expect(outcome).toSeeOnlyOwnProcesses();
      // a container left running on purpose: disposal must remove it
      const started = await podman.start({ image, command: ['sleep', '600'], purpose: 'left-running' });
      expect(started.exitCode, started.stderr).toBe(0);
      expect(await leftovers(who, sessionId)).toHaveLength(1);
    }
    expect(await leftovers(who, sessionId)).toEqual([]);
  });
});
