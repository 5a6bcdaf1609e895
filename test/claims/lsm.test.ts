import { describe, expect, it } from 'vitest';
import {
  categoriesOf,
  checkConfined,
  checkLabelDisabledReads,
  checkSelinuxConfined,
  checkUnconfinedMounts,
  confinement,
  enforcedProfile,
  parseSelinuxContext,
  unconfinedLabel,
} from '../../src/claims/lsm.js';
import type { ProbeSnapshot } from '../../src/probe/snapshot.js';
import { observed } from '../support/observations.js';

// captured in the Debian 13 VM (podman 5.4, crun, Debian's apparmor 4.1), as root
const { treatment, control } = observed<unknown, ProbeSnapshot>('lsm.apparmor-confined', 'rootful');

/** The captured treatment with other attempt results. */
const withAttempts = (label: [string, number], mount: [string, number]): ProbeSnapshot => ({
  ...treatment,
  attempts: {
    'apparmor-label': { text: label[0], exitCode: label[1] },
    'mount-tmpfs': { text: mount[0], exitCode: mount[1] },
  },
});

describe('lsm.apparmor-confined: the label and the refused mount', () => {
  it('an enforced profile is one in enforce mode; a profile in unconfined or complain mode confines nothing', () => {
    expect(enforcedProfile('containers-default-0.62.2 (enforce)')).toBe('containers-default-0.62.2');
    expect(enforcedProfile('containers-default-0.62.2 (complain)')).toBeUndefined();
    expect(enforcedProfile('unconfined')).toBeUndefined();
    // Debian 13's apparmor attaches a profile in unconfined mode to crun: a container without a
    // profile of its own keeps it (seen rootless in the VM)
    expect(unconfinedLabel('crun (unconfined)')).toBe(true);
    expect(unconfinedLabel('unconfined')).toBe(true);
    expect(unconfinedLabel('containers-default-0.62.2 (enforce)')).toBe(false);
  });

  it('holds only with the profile enforced and the mount refused with "permission denied"', () => {
    expect(checkConfined(treatment).holds).toBe(true);
    const complain = withAttempts(['containers-default-0.62.2 (complain)', 0], ['mounted', 0]);
    expect(checkConfined(complain).holds).toBe(false);
    // enforced, but the mount refused for another reason is no proof of the profile
    const other = withAttempts(['containers-default-0.62.2 (enforce)', 0], ['mount: no such device', 255]);
    expect(checkConfined(other).holds).toBe(false);
  });

  it("the control holds unconfined with the mount made, under crun's unconfined profile too", () => {
    expect(checkUnconfinedMounts(control).holds).toBe(true);
    expect(checkUnconfinedMounts(withAttempts(['crun (unconfined)', 0], ['mounted', 0])).holds).toBe(true);
    expect(checkUnconfinedMounts(treatment).holds).toBe(false);
  });

  it('an attempt that did not run (126/127, a signal) is no observation; busybox failing with 255 is', () => {
    expect(() => confinement(withAttempts(['unconfined', 0], ['sh: mount: not found', 127]))).toThrow(
      /did not run/,
    );
    expect(() => confinement(withAttempts(['', 137], ['mounted', 0]))).toThrow(/did not run/);
    expect(confinement(treatment).refused).toBe(true);
  });
});

/** A snapshot with the SELinux attempts' results (label, and the read of the host file). */
const selinux = (label: string, read: [string, number]): ProbeSnapshot => ({
  ...treatment,
  attempts: {
    'selinux-label': { text: `${label}\0`, exitCode: 0 },
    'read-volume': { text: read[0], exitCode: read[1] },
  },
});
const MARKER = 'podproof-abc-selinux-marker-1';
const DENIED: [string, number] = ["cat: can't open '/podproof-selinux/marker': Permission denied", 1];
const READ: [string, number] = [MARKER, 0];

describe('lsm.selinux-confined: labels, categories and the refused host file', () => {
  it('reads a context and its MCS categories', () => {
    expect(parseSelinuxContext('system_u:system_r:container_t:s0:c123,c456\0')).toEqual({
      user: 'system_u',
      role: 'system_r',
      type: 'container_t',
      level: 's0:c123,c456',
    });
    expect(parseSelinuxContext('unconfined')).toBeUndefined();
    expect(categoriesOf('s0:c123,c456')).toBe('c123,c456');
    expect(categoriesOf('s0')).toBe('');
  });

  it('holds with container_t, categories of its own per container, the plain volume refused and :Z read', () => {
    const plain = selinux('system_u:system_r:container_t:s0:c1,c2', DENIED);
    const relabelled = selinux('system_u:system_r:container_t:s0:c3,c4', READ);
    expect(checkSelinuxConfined([plain, relabelled], MARKER).holds).toBe(true);
    // the same categories in both: no separation between containers
    const same = selinux('system_u:system_r:container_t:s0:c1,c2', READ);
    expect(checkSelinuxConfined([plain, same], MARKER).holds).toBe(false);
    // refused for another reason (no such file) is not SELinux's refusal
    const missing = selinux('system_u:system_r:container_t:s0:c1,c2', [
      "cat: can't open 'x': No such file or directory",
      1,
    ]);
    expect(checkSelinuxConfined([missing, relabelled], MARKER).holds).toBe(false);
  });

  it("the control's capture fails the treatment check, and the treatment's the control's", () => {
    const disabled = selinux('system_u:system_r:spc_t:s0', READ);
    expect(checkLabelDisabledReads(disabled, MARKER).holds).toBe(true);
    expect(checkSelinuxConfined([disabled, disabled], MARKER).holds).toBe(false);
    expect(
      checkLabelDisabledReads(selinux('system_u:system_r:container_t:s0:c1,c2', DENIED), MARKER).holds,
    ).toBe(false);
    // a host without SELinux: the label reads as AppArmor's or nothing, the file is read
    expect(
      checkSelinuxConfined([selinux('unconfined', READ), selinux('unconfined', READ)], MARKER).holds,
    ).toBe(false);
  });
});
