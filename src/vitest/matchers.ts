/** The matchers `podproof/vitest` adds to vitest's `expect`. */
import { expect } from 'vitest';
import { checkCapSet } from '../claims/caps.js';
import { classifyClient } from '../claims/egress.js';
import { checkLoginuidKept } from '../claims/loginuid.js';
import { checkLoopbackOnly } from '../claims/network.js';
import { checkOwnPidsOnly } from '../claims/pid.js';
import { checkIdMap, formatIdMap } from '../claims/userns.js';
import { describeEvidence, type Evidence } from '../exec/evidence.js';
import type { ClaimResult } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import type { ProbeOutcome } from '../probe/probe.js';
import { type IdMapRange, type ProbeSnapshot, parseIdMap } from '../probe/snapshot.js';

/** The matchers podproof adds to vitest's `expect`. Snapshot matchers take a `ProbeSnapshot` or the `ProbeOutcome` of `probe()`. */
export interface PodproofMatchers<R = unknown> {
  /** A `ClaimResult` whose verdict is `proven`; the failure message shows the verdict, the reason and the commands. */
  toBeProven(): R;
  /** Exactly the loopback interface with 127.0.0.1/8 (and ::1/128 where the kernel has IPv6). */
  toHaveOnlyLoopback(): R;
  /** The effective capability set is exactly these (`CAP_NET_RAW` or `net_raw`). */
  toHaveEffectiveCapabilities(capabilities: readonly string[]): R;
  /** /proc/self/uid_map is exactly these ranges: `[[0, 1001, 1], [1, 100000, 65536]]`, or uid_map text. */
  toMapUids(ranges: readonly (readonly [number, number, number])[] | string): R;
  /** The container's /proc lists only its own processes: PID 1 and a few, never `hostPid` (default: this test process). */
  toSeeOnlyOwnProcesses(hostPid?: number): R;
  /** /proc/self/loginuid is the caller's `loginuid`, read through the container's uid_map. */
  toRetainLoginuid(loginuid: number): R;
  /** The `Evidence` of a client (curl or nc) run in a container failed the expected way: unreachable or unresolved. */
  toBeBlocked(): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration
  interface Matchers<T = any> extends PodproofMatchers<T> {}
}

type SnapshotLike = ProbeSnapshot | ProbeOutcome;

function unwrap(received: SnapshotLike): { snapshot?: ProbeSnapshot; command: string; error?: string } {
  if (received && typeof received === 'object' && 'ok' in received && 'evidence' in received) {
    const command = `\n  from: ${describeEvidence(received.evidence)}`;
    return received.ok ? { snapshot: received.snapshot, command } : { command, error: received.error };
  }
  return { snapshot: received as ProbeSnapshot, command: '' };
}

function snapshotMatcher(check: (s: ProbeSnapshot) => Observation, expected: string) {
  return (received: SnapshotLike) => {
    const { snapshot, command, error } = unwrap(received);
    if (!snapshot)
      return { pass: false, message: () => `expected ${expected}, but the probe failed: ${error}${command}` };
    const { holds, observed } = check(snapshot);
    return {
      pass: holds,
      message: () => `expected ${holds ? 'not ' : ''}${expected}\n  observed: ${observed}${command}`,
    };
  };
}

function toRanges(ranges: readonly (readonly [number, number, number])[] | string): IdMapRange[] {
  return typeof ranges === 'string'
    ? parseIdMap(ranges)
    : ranges.map(([inside, outside, count]) => ({ inside, outside, count }));
}

/** The matcher implementations (registered with `expect.extend` when `podproof/vitest` is imported). */
export const matchers = {
  toBeProven(received: ClaimResult) {
    const pass = received?.verdict === 'proven';
    return {
      pass,
      message: () =>
        pass
          ? `expected ${received.claim} (${received.identity}) not to be proven`
          : `expected ${received?.claim} (${received?.identity}) to be proven, but it is ${received?.verdict}: ${received?.reason}\n${(received?.evidence ?? []).map((e) => `  ${describeEvidence(e)}`).join('\n')}`,
    };
  },
  toHaveOnlyLoopback(received: SnapshotLike) {
    return snapshotMatcher(checkLoopbackOnly, 'only the loopback interface')(received);
  },
  toHaveEffectiveCapabilities(received: SnapshotLike, capabilities: readonly string[]) {
    const want = capabilities.map((c) => c.toLowerCase().replace(/^cap_/, ''));
    return snapshotMatcher(
      (s) => checkCapSet('effective', s.capabilities?.effective, want),
      `effective capabilities ${want.join(',') || 'none'}`,
    )(received);
  },
  toMapUids(received: SnapshotLike, ranges: readonly (readonly [number, number, number])[] | string) {
    const want = toRanges(ranges);
    return snapshotMatcher(
      (s) => checkIdMap('uid_map', s.uidMap, want),
      `uid_map ${formatIdMap(want)}`,
    )(received);
  },
  toSeeOnlyOwnProcesses(received: SnapshotLike, hostPid: number = process.pid) {
    return snapshotMatcher(
      (s) => checkOwnPidsOnly(s, hostPid),
      `only its own processes (not host PID ${hostPid})`,
    )(received);
  },
  toRetainLoginuid(received: SnapshotLike, loginuid: number) {
    return snapshotMatcher(
      (s) => checkLoginuidKept(s, loginuid, false),
      `loginuid ${loginuid} retained`,
    )(received);
  },
  toBeBlocked(received: Evidence) {
    const client = received.argv.includes('curl') ? 'curl' : 'nc';
    const r = classifyClient(client, received, '\u0000never-a-token');
    const pass = r.kind === 'unreachable' || r.kind === 'unresolved';
    return {
      pass,
      message: () =>
        `expected ${pass ? 'not ' : ''}the expected failure (network unreachable or could not resolve), observed ${r.kind}: ${r.detail}\n  from: ${describeEvidence(received)}`,
    };
  },
};

expect.extend(matchers);
