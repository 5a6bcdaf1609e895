/** The breakages of the rootfs claims: each must leave its claim refuted (or inconclusive, where it says so). */
import type { Mutant } from './kit.js';

export const rootfsBreakages: Mutant[] = [
  // rootfs.read-only
  {
    name: 'drop-read-only',
    claim: 'rootfs.read-only',
    how: 'podman ignores --read-only',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--read-only$'" }),
  },
  {
    name: 'no-read-only-tmpfs',
    claim: 'rootfs.read-only',
    how: '--read-only comes without its tmpfs mounts (/tmp, /var/tmp, /run read-only too)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'has --read-only && add_after_run --read-only-tmpfs=false' }),
  },
];
