/**
 * podproof/vitest: matchers for podproof results and probe snapshots.
 *
 * ```ts
 * import 'podproof/vitest';
 * expect(result).toBeProven();
 * expect(snapshot).toHaveOnlyLoopback();
 * ```
 * @packageDocumentation
 */
import { expect } from 'vitest';
import { checkLoopbackOnly } from '../claims/network.js';
import type { ClaimResult } from '../claims/types.js';
import { describeEvidence } from '../exec/evidence.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';

/** The matchers podproof adds to vitest's `expect`. */
export interface PodproofMatchers<R = unknown> {
  /** The claim result's verdict is `proven`; the failure message shows the reason and the commands. */
  toBeProven(): R;
  /** The snapshot shows exactly the loopback interface with 127.0.0.1/8 (and ::1/128 where IPv6 exists). */
  toHaveOnlyLoopback(): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration
  interface Matchers<T = any> extends PodproofMatchers<T> {}
}

/** The matcher implementations, for `expect.extend` (done on import of `podproof/vitest`). */
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
  toHaveOnlyLoopback(received: ProbeSnapshot) {
    const { holds, observed } = checkLoopbackOnly(received);
    return {
      pass: holds,
      message: () => `expected ${holds ? 'not ' : ''}only the loopback interface; observed ${observed}`,
    };
  },
};

expect.extend(matchers);
