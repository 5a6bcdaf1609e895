import { describe, expect, it } from 'vitest';
import {
  checkConfined,
  checkUnconfinedMounts,
  confinement,
  enforcedProfile,
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
