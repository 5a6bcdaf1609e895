/**
 * `npm run mutants`: every breakage in the mutation table (suites/mutants.ts) against its claim,
 * for each identity; prints the claim x identity table and the score (caught / run).
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUSYBOX, fixtureImage } from '../src/apparatus/images.js';
import { claims, findClaim } from '../src/claims/index.js';
import type { IdentityName } from '../src/exec/identity.js';
import { exec } from '../src/exec/run.js';
import { waitUntil } from '../src/exec/wait.js';
import type { Verdict } from '../src/experiment/types.js';
import { freePort } from '../src/host/ports.js';
import { Podman } from '../src/podman/podman.js';
import { apiService, identity, podmanWrapper, realPodman, runCli, testSession } from './helpers.js';
import { MUTANTS, type Mutant, type MutantEnv } from './mutants.js';

afterAll(() => testSession.teardown());

interface Row {
  mutant: Mutant;
  identity: IdentityName;
  verdict?: Verdict;
  caught?: boolean;
  /** Why it did not run (the identity or the claim is not available on this host). */
  notRun?: string;
  reason?: string;
}
const rows: Row[] = [];

/** The only reasons a claim may be skipped under a mutant: the host lacks what it needs. */
const HOST_LACKS = /PID 1 is not systemd|no systemd user manager|needs |left out by/;

/**
 * Root's podman API service (podproof's rootful storage) that another user can reach: on a unix
 * socket made world-accessible, or on loopback TCP. Once per kind. The busybox fixture is built
 * into that storage first, so a rootless claim's image reference resolves there too.
 */
const rootfulServices = new Map<string, Promise<string>>();
function rootfulApiService(kind: 'unix' | 'tcp'): Promise<string> {
  let p = rootfulServices.get(kind);
  if (!p) {
    p = (async () => {
      const root = identity('rootful').identity;
      if (!root) throw new Error('needs the rootful identity');
      const podman = new Podman({ binary: realPodman, identity: root, session: testSession });
      await fixtureImage(podman, BUSYBOX);
      const url =
        kind === 'unix'
          ? `unix://${join(testSession.tempDir('rootful-api'), 'podman.sock')}`
          : `tcp://127.0.0.1:${await freePort()}`;
      testSession.background(podman.argv(['system', 'service', '--time=0', url]), { identity: root });
      const socket = url.slice('unix://'.length);
      const up = await waitUntil(async () => {
        if (kind === 'unix') return existsSync(socket);
        const ping = await exec([realPodman, '--remote', '--url', url, 'version'], { timeoutMs: 5_000 });
        return ping.exitCode === 0;
      }, 15_000);
      if (!up) throw new Error(`the rootful API service did not answer on ${url}`);
      if (kind === 'unix') chmodSync(socket, 0o666); // what a "docker group" setup amounts to
      return url;
    })();
    rootfulServices.set(kind, p);
  }
  return p;
}

const cases = MUTANTS.flatMap((m) => {
  const claim = findClaim(m.claim);
  if (!claim) throw new Error(`mutant ${m.name}: no claim ${m.claim}`);
  return claim.identities
    .filter((id) => !m.identities || m.identities.includes(id))
    .map((id) => ({ mutant: m, id, label: `${m.claim} x ${id}: ${m.how}` }));
});

describe('mutation table', () => {
  it('has at least two breakages per claim and identity', () => {
    // every catalog row counts, so a claim with no breakage at all shows up as thin
    const perRow = new Map<string, number>(
      claims.flatMap((c) => c.identities.map((id) => [`${c.id} ${id}`, 0])),
    );
    for (const c of cases)
      perRow.set(`${c.mutant.claim} ${c.id}`, (perRow.get(`${c.mutant.claim} ${c.id}`) ?? 0) + 1);
    const thin = [...perRow].filter(([, n]) => n < 2).map(([k]) => k);
    expect(thin).toEqual([]);
    expect(cases.some((c) => c.mutant.kind === 'config')).toBe(true);
  });

  it.for(cases)('$label', async ({ mutant, id }, ctx) => {
    const row: Row = { mutant, identity: id };
    rows.push(row);
    const { identity: who, skip } = identity(id);
    if (!who) {
      row.notRun = skip;
      return ctx.skip(skip);
    }
    const env: MutantEnv = { who, apiService: () => apiService(who), rootfulApiService };
    const edit = await mutant.wrapper(env);
    const wrapper = podmanWrapper(
      `${mutant.claim}-${mutant.name}-${id}`,
      edit.editRun ?? '',
      edit.always ?? '',
    );
    const { run, report } = await runCli(['prove', '--only', mutant.claim, '--identity', id], {
      env: { PODPROOF_PODMAN: wrapper },
    });
    const result = report?.results.find((r) => r.claim === mutant.claim);
    expect(result, run.stdout + run.stderr).toBeDefined();
    row.verdict = result?.verdict;
    row.reason = result?.reason;
    if (result?.verdict === 'skipped' && HOST_LACKS.test(result.reason)) {
      row.notRun = result.reason;
      return ctx.skip(result.reason);
    }
    row.caught = result?.verdict === (mutant.caughtAs ?? 'refuted');
    expect(result?.verdict, result?.reason).toBe(mutant.caughtAs ?? 'refuted');
  });
});

afterAll(() => {
  const ran = rows.filter((r) => !r.notRun);
  const caught = ran.filter((r) => r.caught).length;
  const claims = [...new Set(MUTANTS.map((m) => m.claim))];
  const cell = (claim: string, id: IdentityName) => {
    const here = rows.filter((r) => r.mutant.claim === claim && r.identity === id);
    if (!here.length) return '-';
    const run = here.filter((r) => !r.notRun);
    if (!run.length) return 'not run';
    return `${run.filter((r) => r.caught).length}/${run.length}`;
  };
  const width = Math.max(...claims.map((c) => c.length));
  const lines = [
    `${'claim'.padEnd(width)}  rootful   rootless`,
    ...claims.map((c) => `${c.padEnd(width)}  ${cell(c, 'rootful').padEnd(8)}  ${cell(c, 'rootless')}`),
    '',
    `mutation score: ${caught}/${ran.length} caught (${ran.length ? Math.round((100 * caught) / ran.length) : 0}%)${rows.length > ran.length ? `; ${rows.length - ran.length} not run on this host` : ''}`,
    ...ran
      .filter((r) => !r.caught)
      .map(
        (r) => `survivor: ${r.mutant.claim} x ${r.identity} (${r.mutant.name}): ${r.verdict}: ${r.reason}`,
      ),
  ];
  console.log(`\n${lines.join('\n')}`);
  if (existsSync('reports') || process.env.PODPROOF_MUTANTS_JSON) {
    const file = process.env.PODPROOF_MUTANTS_JSON ?? join('reports', 'mutants.json');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify(
        rows.map((r) => ({
          claim: r.mutant.claim,
          mutant: r.mutant.name,
          kind: r.mutant.kind,
          identity: r.identity,
          verdict: r.verdict,
          caught: r.caught,
          notRun: r.notRun,
        })),
        null,
        2,
      ),
    );
  }
});
