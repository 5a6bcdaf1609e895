import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Identity } from '../src/exec/identity.js';
import { processStartTime } from '../src/exec/procs.js';
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

describe('podproof clean finds unit files by their names', () => {
  it("lists a dead session's unit files that no journal names, and leaves a live session's alone", async () => {
    const runtimeDir = join(dir, 'runtime');
    const units = join(runtimeDir, 'systemd', 'user');
    mkdirSync(units, { recursive: true });
    for (const f of ['podproof-deadsession001-echo-14.service', 'podproof-deadsession001-echo-14.socket'])
      writeFileSync(join(units, f), '[Service]\n');
    writeFileSync(join(units, 'podproof-livesession001-echo-3.service'), '[Service]\n');
    writeFileSync(join(units, 'someone-else.service'), '[Service]\n');
    // the live session journals in the identity's own runtime dir (a run by that user)
    const journals = join(runtimeDir, 'podproof', 'sessions');
    mkdirSync(journals, { recursive: true });
    const head = {
      kind: 'session',
      id: 'livesession001',
      pid: process.ppid,
      startTime: processStartTime(process.ppid),
      startedAt: new Date().toISOString(),
    };
    writeFileSync(join(journals, 'livesession001.jsonl'), `${JSON.stringify(head)}\n`);
    const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const identity = { name: 'rootless', user: 'me', home: dir, runtimeDir, via: 'self', ...me } as Identity;
    const session = new Session();
    try {
      const cleaned = await clean({
        binary: broken,
        resolutions: {
          rootless: { ok: true, identity },
          rootful: { ok: false, name: 'rootful', reason: 'not in this test' },
        },
        identities: ['rootless'],
        storage: 'podproof',
        session,
        check: true,
        journalDir: join(dir, 'no-journals'),
      });
      expect(cleaned.find((s) => s.id === 'deadsession001')?.removed).toEqual([
        'units podproof-deadsession001-echo-14.service, podproof-deadsession001-echo-14.socket',
      ]);
      expect(cleaned.map((s) => s.id)).not.toContain('livesession001');
    } finally {
      await session.teardown();
    }
  });
});
