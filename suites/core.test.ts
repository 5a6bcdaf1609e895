import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdentityName } from '../src/exec/identity.js';
import { expectClaim, identity, podmanWrapper, runCli, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

const IDENTITIES: IdentityName[] = ['rootful', 'rootless'];

describe.each(IDENTITIES)('%s', (name) => {
  const { identity: who, skip } = identity(name);

  it('every core claim is proven on this host (or skipped with the missing feature named)', async (ctx) => {
    if (!who) return ctx.skip(skip);
    const { run, report } = await runCli(['prove', '--identity', name]);
    expect(report, run.stdout + run.stderr).toBeDefined();
    for (const r of report?.results ?? []) {
      if (r.verdict === 'skipped') expect(r.reason, r.claim).toMatch(/needs|not installed|no |cannot/);
      else expect(r, `${r.claim}: ${r.reason}`).toMatchObject({ verdict: 'proven' });
    }
    expect(report?.results.map((r) => r.claim)).toEqual(
      expect.arrayContaining([
        'network.egress-blocked',
        'caps.default-set',
        'pid.isolated',
        'loginuid.retained',
      ]),
    );
  });

  it('network.egress-blocked is an error, not proven, when the client crashes instead of failing to connect', async (ctx) => {
    if (!who) return ctx.skip(skip);
    // the treatment's curl dies of SIGSEGV, as busybox wget does: a crash is never "blocked"
    const dir = testSession.tempDir('segv-curl');
    writeFileSync(join(dir, 'curl'), '#!/bin/sh\nkill -SEGV $$\n', { mode: 0o755 });
    const wrapper = podmanWrapper(
      'client-segfault',
      `has --network=none && add_after_run -v ${dir}/curl:/usr/bin/curl:ro`,
    );
    await expectClaim('network.egress-blocked', name, { verdict: 'error', reason: /exit 139/ }, { wrapper });
  });
});
