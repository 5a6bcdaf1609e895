import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../src/vitest/index.js';
import type { Evidence } from '../src/exec/evidence.js';
import type { ClaimResult } from '../src/experiment/types.js';
import type { ProbeOutcome } from '../src/probe/probe.js';
import { parseSnapshot } from '../src/probe/snapshot.js';

const snap = (name: string) =>
  parseSnapshot(readFileSync(new URL(`./captured/${name}`, import.meta.url), 'utf8'));
const none = snap('probe-rootful-none.txt');
const rootless = snap('probe-rootless-slirp4netns.txt');
const evidence: Evidence = {
  argv: ['podman', 'run', '--network=none', 'img', 'sh'],
  identity: 'rootful',
  user: 'root',
  exitCode: 0,
  signal: null,
  stdout: '',
  stderr: '',
  durationMs: 1,
  startedAt: '',
};

describe('podproof/vitest matchers', () => {
  it('toHaveOnlyLoopback passes for --network=none and fails with the observed interfaces otherwise', () => {
    expect(none).toHaveOnlyLoopback();
    expect(() => expect(rootless).toHaveOnlyLoopback()).toThrow(
      /observed: interfaces: lo .*tap0 10\.0\.2\.100\/24/,
    );
  });
  it('take a ProbeOutcome too, and name the command in the failure', () => {
    const outcome: ProbeOutcome = { ok: true, snapshot: rootless, evidence };
    expect(() => expect(outcome).toHaveOnlyLoopback()).toThrow(/from: `podman run --network=none img sh`/);
    const failed: ProbeOutcome = { ok: false, error: 'probe container failed: exit 139', evidence };
    expect(() => expect(failed).toHaveOnlyLoopback()).toThrow(
      /the probe failed: probe container failed: exit 139/,
    );
  });
  it('toHaveEffectiveCapabilities compares sets, accepting CAP_ names', () => {
    expect(none).toHaveEffectiveCapabilities([
      'CAP_CHOWN',
      'dac_override',
      'fowner',
      'fsetid',
      'kill',
      'setgid',
      'setuid',
      'setpcap',
      'net_bind_service',
      'sys_chroot',
      'setfcap',
    ]);
    expect(() => expect(none).toHaveEffectiveCapabilities(['net_raw'])).toThrow(/extra .*missing net_raw/);
  });
  it('toMapUids takes ranges or uid_map text', () => {
    expect(rootless).toMapUids([
      [0, 1001, 1],
      [1, 100000, 65536],
    ]);
    expect(none).toMapUids('0 0 4294967295');
    expect(() => expect(rootless).toMapUids('0 0 4294967295')).toThrow(/uid_map 0 1001 1 \/ 1 100000 65536/);
  });
  it('toSeeOnlyOwnProcesses fails when a host PID is listed', () => {
    expect(none).toSeeOnlyOwnProcesses();
    expect(() => expect({ ...none, pids: [1, 4242] }).toSeeOnlyOwnProcesses(4242)).toThrow(
      /including the host marker 4242/,
    );
  });
  it('toRetainLoginuid maps the caller value through uid_map', () => {
    expect({ ...none, loginuid: 3267 }).toRetainLoginuid(3267);
    expect({ ...rootless, loginuid: 0 }).toRetainLoginuid(1001);
    expect(() => expect({ ...rootless, loginuid: 4294967295 }).toRetainLoginuid(1001)).toThrow(
      /container reads 4294967295 \(expected 0\)/,
    );
  });
  it('toBeBlocked accepts only the expected failures', () => {
    expect({
      ...evidence,
      argv: ['podman', 'run', 'curl'],
      exitCode: 6,
      stderr: 'curl: (6) Could not resolve host: x.invalid',
    }).toBeBlocked();
    expect({
      ...evidence,
      argv: ['podman', 'run', 'nc'],
      exitCode: 1,
      stderr: 'nc: Network is unreachable',
    }).toBeBlocked();
    expect(() =>
      expect({ ...evidence, argv: ['podman', 'run', 'wget'], exitCode: 139 }).toBeBlocked(),
    ).toThrow(/observed unexpected/);
  });
  it('toBeProven shows the verdict and reason when it fails', () => {
    const r: ClaimResult = {
      claim: 'network.loopback-only',
      title: '',
      identity: 'rootless',
      verdict: 'refuted',
      reason: 'treatment: interfaces: lo, tap0',
      durationMs: 1,
      evidence: [],
    };
    expect(() => expect(r).toBeProven()).toThrow(/is refuted: treatment: interfaces: lo, tap0/);
    expect({ ...r, verdict: 'proven' }).toBeProven();
  });
});
