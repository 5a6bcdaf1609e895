import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Evidence } from '../src/exec/evidence.js';
import type { Podman, RunContainer } from '../src/podman/podman.js';
import { probe } from '../src/probe/probe.js';
import { COMPLETE, isCompleteOutput, probeScript } from '../src/probe/script.js';

const captured = readFileSync(new URL('./captured/probe-rootful-none.txt', import.meta.url), 'utf8');
const complete = `${captured.trimEnd()}\n${COMPLETE}\n`;

const ran = (stdout: string, exitCode = 0): Evidence => ({
  argv: ['podman', 'run'],
  identity: 'rootful',
  user: 'root',
  exitCode,
  signal: null,
  stdout,
  stderr: '',
  durationMs: 1,
  startedAt: new Date(0).toISOString(),
});

/** A podman whose `run` answers with these outputs in turn, recording the purposes it was given. */
function podmanAnswering(...outputs: Evidence[]) {
  const purposes: string[] = [];
  const podman = {
    async run(spec: RunContainer) {
      purposes.push(spec.purpose ?? '');
      const next = outputs.shift();
      if (!next) throw new Error('run more often than expected');
      return next;
    },
  } as unknown as Podman;
  return { podman, purposes };
}

describe("the probe's lost output", () => {
  it("the script's last line is the completion marker", () => {
    expect(probeScript([]).trimEnd().split('\n').at(-1)).toBe(`echo ${COMPLETE}`);
    expect(isCompleteOutput(complete)).toBe(true);
  });
  it('is empty or cut short without it', () => {
    expect(isCompleteOutput('')).toBe(false);
    expect(isCompleteOutput(captured)).toBe(false);
    expect(isCompleteOutput(complete.slice(0, complete.length / 2))).toBe(false);
    // an attempt that prints the marker itself does not end the output
    expect(isCompleteOutput(`${COMPLETE}\n@@podproof-begin attempt:x\n`)).toBe(false);
  });
  it('runs the probe once more, and the second run is the observation', async () => {
    const { podman, purposes } = podmanAnswering(ran(''), ran(complete));
    const outcome = await probe(podman, 'img', { purpose: 'treatment' });
    expect(outcome.ok).toBe(true);
    expect(purposes).toEqual(['treatment', 'treatment again, output lost']);
  });
  it('is an error when it is lost twice, never a snapshot of what was left', async () => {
    const { podman } = podmanAnswering(ran(''), ran(captured));
    const outcome = await probe(podman, 'img');
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toMatch(/incomplete in 2 runs out of 2/);
  });
  it('is not retried when the container failed: that is the observation', async () => {
    const { podman, purposes } = podmanAnswering(ran('', 125));
    const outcome = await probe(podman, 'img');
    expect(!outcome.ok && outcome.error).toMatch(/probe container failed/);
    expect(purposes).toHaveLength(1);
  });
});
