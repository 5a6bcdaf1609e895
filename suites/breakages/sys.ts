/** The breakages of the sys claims: each must leave its claim refuted (or inconclusive, where it says so). */
import type { Mutant } from './kit.js';

export const sysBreakages: Mutant[] = [
  // sys.read-only
  {
    name: 'privileged',
    claim: 'sys.read-only',
    how: 'every container runs --privileged (/sys read-write)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --privileged' }),
  },
  {
    name: 'bind-host-sys',
    claim: 'sys.read-only',
    how: "every container gets the host's /sys bound read-write over its own",
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --volume=/sys:/sys:rw' }),
  },
  {
    name: 'ignore-privileged',
    claim: 'sys.read-only',
    how: 'podman ignores --privileged (the control cannot show a writable /sys)',
    kind: 'wrapper',
    wrapper: () => ({ editRun: "drop_args '^--privileged$'" }),
    caughtAs: 'inconclusive',
  },
];
