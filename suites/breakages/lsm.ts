/** The breakages of the security-module claims: each must leave its claim refuted. */
import { conf, type Mutant } from './kit.js';

export const lsmBreakages: Mutant[] = [
  // lsm.apparmor-confined (runs where the kernel has AppArmor: the VM; skipped here with the claim)
  {
    name: 'unconfined',
    claim: 'lsm.apparmor-confined',
    how: 'every container runs with --security-opt apparmor=unconfined',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --security-opt=apparmor=unconfined' }),
  },
  {
    name: 'conf-unconfined-profile',
    claim: 'lsm.apparmor-confined',
    how: 'containers.conf apparmor_profile = "unconfined"',
    kind: 'config',
    wrapper: conf({ containers: { apparmor_profile: 'unconfined' } }),
  },
  // lsm.selinux-confined (runs where the kernel has SELinux enforcing: the sid-selinux VM)
  {
    name: 'label-disabled',
    claim: 'lsm.selinux-confined',
    how: 'every container runs with --security-opt label=disable',
    kind: 'wrapper',
    wrapper: () => ({ editRun: 'add_after_run --security-opt=label=disable' }),
  },
  {
    name: 'conf-label-false',
    claim: 'lsm.selinux-confined',
    how: 'containers.conf label = false',
    kind: 'config',
    wrapper: conf({ containers: { label: false } }),
  },
];
