import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveIdentities } from '../src/exec/resolve.js';
import { Session } from '../src/exec/session.js';
import { clean } from '../src/runner/clean.js';

// a podman whose every listing fails the way a store with a dead network namespace does
const dir = mkdtempSync(join(tmpdir(), 'podproof-clean-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const broken = join(dir, 'podman');
writeFileSync(
  broken,
  `#!/bin/sh
echo 'Error: joining network namespace of container 4b81fc8eb08c: retrieving network namespace at /run/netns/netns-0c1d: unknown FS magic on "/run/netns/netns-0c1d": 1021994' >&2
exit 125
`,
);
chmodSync(broken, 0o755);

describe('podproof clean with a podman that cannot list', () => {
  it('reports it in one failed line per identity, naming the fix, and does not throw', async () => {
    const resolutions = await resolveIdentities();
    const identity = resolutions.rootful.ok ? 'rootful' : 'rootless';
    const session = new Session();
    try {
      const cleaned = await clean({
        binary: broken,
        resolutions,
        identities: [identity],
        storage: 'podproof',
        session,
        check: true,
        journalDir: join(dir, 'no-journals'),
      });
      const failed = cleaned.flatMap((s) => s.failed);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/could not list podman's objects \(podman ps failed: .*unknown FS magic/);
      expect(failed[0]).toMatch(/podproof clean` again/);
      expect(failed[0]).not.toMatch(/\n/);
    } finally {
      await session.teardown();
    }
  });
});
