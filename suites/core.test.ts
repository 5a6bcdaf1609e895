import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdentityName } from '../src/exec/identity.js';
import { spawnBackground } from '../src/exec/run.js';
import { waitUntil } from '../src/exec/wait.js';
import { Podman } from '../src/podman/podman.js';
import { identity, podmanWrapper, realPodman, runCli, testSession } from './helpers.js';

afterAll(() => testSession.teardown());

const IDENTITIES: IdentityName[] = ['rootful', 'rootless'];

/** How to break a host for one claim: bash for the wrapper (per identity), and what the reason must say. */
interface Breakage {
  claim: string;
  how: string;
  wrapper: (name: IdentityName) => string;
  reason: RegExp;
}

const BREAKAGES: Breakage[] = [
  {
    claim: 'network.egress-blocked',
    how: '--network=none becomes a network that reaches the host',
    wrapper: () => 'replace_arg --network=none --network=slirp4netns:allow_host_loopback=true',
    reason: /treatment: to 10\.0\.2\.2:\d+: reached/,
  },
  {
    claim: 'caps.default-set',
    how: 'every container also gets CAP_NET_RAW',
    wrapper: () => 'add_after_run --cap-add=CAP_NET_RAW',
    reason: /container root: 12 effective .*extra net_raw/,
  },
  {
    claim: 'caps.drop-add',
    how: 'podman ignores --cap-drop',
    wrapper: () => "drop_args '^--cap-drop='",
    reason: /--cap-drop=CAP_NET_BIND_SERVICE: 11 effective .*extra net_bind_service/,
  },
  {
    claim: 'userns.rootless-map',
    how: 'containers get a different user namespace',
    wrapper: (name) =>
      name === 'rootless'
        ? 'has --uidmap=0:200000:65536 || add_after_run --userns=keep-id'
        : 'has --uidmap=0:200000:65536 || add_after_run --uidmap=0:300000:65536 --gidmap=0:300000:65536',
    reason: /treatment: uid_map .*\(expected /,
  },
  {
    claim: 'userns.auto-ranges',
    how: '--userns=auto is replaced by --userns=host',
    wrapper: () => 'replace_arg --userns=auto --userns=host',
    reason: /treatment: sizes \d+, \d+ \(expected 1024\)/,
  },
  {
    claim: 'pid.isolated',
    how: 'every container joins the host PID namespace',
    wrapper: () => 'add_after_run --pid=host',
    reason: /treatment: container \/proc lists \d+ pid\(s\) .*including the host marker/,
  },
];

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
      expect.arrayContaining(BREAKAGES.map((b) => b.claim)),
    );
  });

  it.for(BREAKAGES)('$claim is refuted when $how', async (b, ctx) => {
    if (!who) return ctx.skip(skip);
    const wrapper = podmanWrapper(`${b.claim}-${name}`, b.wrapper(name));
    const { run, report } = await runCli(['prove', '--only', b.claim, '--identity', name], {
      env: { PODPROOF_PODMAN: wrapper },
    });
    const result = report?.results.find((r) => r.claim === b.claim);
    expect(result, run.stdout + run.stderr).toMatchObject({ verdict: 'refuted' });
    expect(result?.reason).toMatch(b.reason);
    expect(run.exitCode).toBe(1);
  });

  it('network.egress-blocked is an error, not proven, when the client crashes instead of failing to connect', async (ctx) => {
    if (!who) return ctx.skip(skip);
    // the treatment's client (the 8 arguments after the image) is replaced by one that dies of
    // SIGSEGV, as busybox wget does; PID 1 ignores the signal, so a child shell takes it
    const wrapper = podmanWrapper(
      'client-segfault',
      `has --network=none && { n=\${#args[@]}; args=("\${args[@]:0:$((n - 8))}" sh -c 'sh -c "kill -SEGV \\$\\$"; exit $?'); }`,
    );
    const { run, report } = await runCli(['prove', '--only', 'network.egress-blocked', '--identity', name], {
      env: { PODPROOF_PODMAN: wrapper },
    });
    const result = report?.results[0];
    expect(result, run.stdout + run.stderr).toMatchObject({ verdict: 'error' });
    expect(result?.reason).toMatch(/exit 139|SIGSEGV/);
  });

  it('loginuid.retained is refuted when podman run goes through a daemon detached from the caller', async (ctx) => {
    if (!who) return ctx.skip(skip);
    // an API service started here (this process's loginuid, not the one podproof sets), and a
    // wrapper that sends every local `podman run` to it: the daemon model the claim contrasts with
    const local = new Podman({ binary: realPodman, identity: who, session: testSession });
    const socket = `${who.runtimeDir}/${testSession.name('api-test')}.sock`;
    const service = spawnBackground(local.argv(['system', 'service', '--time=0', `unix://${socket}`]), {
      identity: who,
    });
    testSession.onTeardown('stop test API service', async () => void (await service.stop()));
    const flags = local.globalFlags().length;
    const wrapper = podmanWrapper(
      'daemon',
      `has --remote || args=(--remote --url unix://${socket} "\${args[@]:${flags}}")`,
    );
    expect(await waitUntil(() => existsSync(socket), 15_000), `no API socket ${socket}`).toBe(true);
    const { run, report } = await runCli(['prove', '--only', 'loginuid.retained', '--identity', name], {
      env: { PODPROOF_PODMAN: wrapper },
    });
    await service.stop();
    const result = report?.results[0];
    expect(result, run.stdout + run.stderr).toMatchObject({ verdict: 'refuted' });
    expect(result?.reason).toMatch(/container reads 4294967295 \(expected \d+\)/);
  });
});
