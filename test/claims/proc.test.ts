import { describe, expect, it } from 'vitest';
import {
  checkMasked,
  DOCUMENTED_MASKED_PATHS,
  expectedMaskedPaths,
  parseMaskedPaths,
  viewOf,
} from '../../src/claims/proc.js';
import { parseMountinfo } from '../../src/parse/mounts.js';
import type { ProbeSnapshot } from '../../src/probe/snapshot.js';
import { observed } from '../support/observations.js';

describe('masked paths', () => {
  const mounts = parseMountinfo(`1 0 0:1 / / rw - overlay overlay rw
2 1 0:2 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw
3 1 0:3 / /sys/firmware ro,relatime - tmpfs tmpfs ro
4 1 0:4 / /proc/scsi rw - tmpfs tmpfs rw`);
  it('a /dev/null bind or a read-only tmpfs is a mask; a writable tmpfs is not', () => {
    expect(viewOf(mounts, true, '/proc/kcore')).toBe('masked');
    expect(viewOf(mounts, true, '/sys/firmware')).toBe('masked');
    expect(viewOf(mounts, true, '/proc/scsi')).toBe('visible');
    expect(viewOf(mounts, false, '/proc/acpi')).toBe('absent');
    expect(viewOf(mounts, true, '/proc/keys')).toBe('visible');
  });
  it('reads linux.maskedPaths from a runtime spec', () => {
    expect(parseMaskedPaths('{"linux":{"maskedPaths":["/proc/kcore"]}}')).toEqual(['/proc/kcore']);
    expect(parseMaskedPaths('{"linux":{}}')).toEqual([]);
    expect(parseMaskedPaths('{"linux":{"maskedPaths":[1]}}')).toBeUndefined();
    expect(parseMaskedPaths('not json')).toBeUndefined();
  });
});

describe('proc.masked: the expectation cannot shrink', () => {
  it.each(['rootful', 'rootless'] as const)(
    'a spec that masks nothing still expects the documented minimum (%s)',
    (id) => {
      const { setup, treatment, control } = observed<{ spec: string[] }, ProbeSnapshot>('proc.masked', id);
      const minimum = expectedMaskedPaths([]);
      expect(minimum).toEqual([...DOCUMENTED_MASKED_PATHS]);
      // the documented minimum alone holds on the default container and fails on the unmasked one
      expect(checkMasked(treatment, minimum).holds).toBe(true);
      expect(checkMasked(control, minimum).holds).toBe(false);
      expect(expectedMaskedPaths(setup.spec)).toEqual([
        ...new Set([...setup.spec, ...DOCUMENTED_MASKED_PATHS]),
      ]);
    },
  );
});
