/**
 * No observation that holds everywhere, for every claim of the catalog with no test written per
 * claim: each arm's check is fed its own real observation (captured on this project's build
 * machine by scripts/capture-observations.mjs from a proven run) and must hold, and the other
 * arm's observation, where it must not hold (output a check cannot explain holds nothing either;
 * checks are judged as the runner judges them).
 * A claim without a captured observation fails here: capture it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { claims } from '../src/claims/index.js';
import { isUnexplained, type Unexplained } from '../src/experiment/types.js';
import type { Observation } from '../src/experiment/verdict.js';
import { judge } from '../src/runner/experiment.js';

type Captured = Record<string, { setup: unknown; treatment: unknown; control: unknown }>;

const dir = new URL('./captured/observations/', import.meta.url);
const capturedFor = (id: string): Captured | undefined => {
  const file = new URL(`${id}.json`, dir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Captured) : undefined;
};

/** Does a check's answer hold? (What it cannot explain holds nothing.) */
const held = (x: Observation | Unexplained) => !isUnexplained(x) && x.holds;
const said = (x: Observation | Unexplained) =>
  isUnexplained(x) ? `unexplained: ${x.unexplained}` : x.observed;

describe.each(claims.map((c) => [c.id, c] as const))('%s', (id, claim) => {
  const captured = capturedFor(id);

  it('has a captured observation of both arms', () => {
    expect(
      captured,
      `no test/captured/observations/${id}.json: run scripts/capture-observations.mjs`,
    ).toBeDefined();
    expect(Object.keys(captured ?? {}).length).toBeGreaterThan(0);
  });

  for (const [identity, arms] of Object.entries(captured ?? {})) {
    it(`${identity}: each check holds on its own arm and fails on the other's`, () => {
      const { setup, treatment, control } = arms;
      const onTreatment = judge(claim.treatment, treatment, setup);
      const onControl = judge(claim.control, control, setup);
      expect(held(onTreatment), `treatment check on the treatment: ${said(onTreatment)}`).toBe(true);
      expect(held(onControl), `control check on the control: ${said(onControl)}`).toBe(true);
      const crossTreatment = judge(claim.treatment, control, setup);
      const crossControl = judge(claim.control, treatment, setup);
      expect(
        held(crossTreatment),
        `treatment check on the control's observation: ${said(crossTreatment)}`,
      ).toBe(false);
      expect(held(crossControl), `control check on the treatment's observation: ${said(crossControl)}`).toBe(
        false,
      );
    });
  }
});
