/**
 * podproof/vitest: matchers for probe snapshots and claim results, and `registerClaims` to turn
 * catalog claims into vitest tests.
 *
 * ```ts
 * import { probe } from 'podproof';
 * import { registerClaims } from 'podproof/vitest';
 *
 * registerClaims(['network.loopback-only', 'caps']);
 * registerSpec(container('localhost/web:1').withNetwork('none').withCapDrop('ALL').toSpec());
 * test('my image has no network', async () => {
 *   expect(await probe(podman, 'localhost/my-image', { flags: ['--network=none'] })).toHaveOnlyLoopback();
 * });
 * ```
 * @packageDocumentation
 */
export { matchers, type PodproofMatchers } from './matchers.js';
export {
  type RegisterClaimsOptions,
  type RegisterSpecOptions,
  registerClaims,
  registerSpec,
} from './register.js';
