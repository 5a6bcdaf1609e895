import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Evidence, EvidenceLog } from '../src/exec/evidence.js';
import type { Podman, RunContainer } from '../src/podman/podman.js';
import type { Attempt } from '../src/probe/script.js';
import { BEGIN, COMPLETE, END } from '../src/probe/script.js';
import { joinAttempts, onlyAttempts, SharedProbes } from '../src/probe/shared.js';
import { parseSnapshot } from '../src/probe/snapshot.js';

const captured = readFileSync(new URL('./captured/probe-rootful-none.txt', import.meta.url), 'utf8');
const a = (name: string, argv = ['true']): Attempt => ({ name, argv });

/** What a probe container prints: the captured files, a section per attempt it ran, the marker. */
const output = (attempts: readonly Attempt[]) =>
  `${captured.trimEnd()}\n${attempts.map((t) => `${BEGIN} attempt:${t.name}\nran ${t.name}\n${END} attempt:${t.name} 0`).join('\n')}\n${COMPLETE}\n`;

/** A podman whose `run` prints what the probe script asked for, recording each run. */
function fakePodman() {
  const runs: RunContainer[] = [];
  const podman = {
    async run(spec: RunContainer): Promise<Evidence> {
      runs.push(spec);
      const script = spec.command.at(-1) ?? '';
      const names = [...script.matchAll(/echo "@@podproof-begin attempt:([\w-]+)"/g)].map(
        (m) => m[1] as string,
      );
      return {
        argv: ['podman', 'run', ...(spec.flags ?? []), spec.image],
        identity: 'rootful',
        user: 'root',
        purpose: spec.purpose,
        exitCode: 0,
        signal: null,
        stdout: output(names.map((n) => a(n))),
        stderr: '',
        durationMs: 1,
        startedAt: new Date(0).toISOString(),
      };
    },
  } as unknown as Podman;
  return { podman, runs };
}

const asker = (podman: Podman, claim: string) => ({ podman, log: new EvidenceLog(), claim });

describe('joinAttempts', () => {
  it("joins every planned arm's attempts per flag set, each name once, in plan order", () => {
    const joined = joinAttempts([
      { flags: [], attempts: [a('x')] },
      { flags: [], attempts: [a('y'), a('x')] },
      { flags: ['--read-only'], attempts: [a('w')] },
    ]);
    expect(joined.get('[]')?.map((t) => t.name)).toEqual(['x', 'y']);
    expect(joined.get('["--read-only"]')?.map((t) => t.name)).toEqual(['w']);
  });
  it('leaves out a name planned with two different commands (those arms run their own)', () => {
    const joined = joinAttempts([
      { flags: [], attempts: [a('x', ['a'])] },
      { flags: [], attempts: [a('x', ['b']), a('y')] },
    ]);
    expect(joined.get('[]')?.map((t) => t.name)).toEqual(['y']);
  });
});

describe('onlyAttempts', () => {
  it("keeps the arm's own attempts and every file section, nothing of the others' attempts", () => {
    const s = parseSnapshot(output([a('x'), a('y')]));
    const mine = onlyAttempts(s, [a('y')]);
    expect(Object.keys(mine.attempts)).toEqual(['y']);
    expect(Object.keys(mine.raw).filter((k) => k.startsWith('attempt:'))).toEqual(['attempt:y']);
    expect(mine.raw['/proc/net/dev']).toEqual(s.raw['/proc/net/dev']);
    expect(mine.interfaces).toEqual(s.interfaces);
  });
});

describe('SharedProbes', () => {
  const plan = [
    { flags: [], attempts: [a('x')] },
    { flags: [], attempts: [a('y')] },
  ];

  it('runs identical requests once, with all planned attempts; the others cite its evidence', async () => {
    const { podman, runs } = fakePodman();
    const shared = new SharedProbes(plan);
    const first = asker(podman, 'claim.one');
    const second = asker(podman, 'claim.two');
    const [one, two] = await Promise.all([
      shared.probe({ image: 'img', flags: [], attempts: [a('x')], purpose: 'treatment: default' }, first),
      shared.probe({ image: 'img', flags: [], attempts: [a('y')], purpose: 'control: default' }, second),
    ]);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.command.at(-1)).toMatch(/attempt:x[\s\S]*attempt:y/);
    expect(one.ok && Object.keys(one.snapshot.attempts)).toEqual(['x']);
    expect(two.ok && Object.keys(two.snapshot.attempts)).toEqual(['y']);
    expect(second.log.entries).toHaveLength(1);
    expect(second.log.entries[0]).toMatchObject({
      purpose: 'control: default (the container of claim.one)',
      shared: 'claim.one',
    });
  });

  it('gives an arm its own container when it must not share, for other flags or another image', async () => {
    const { podman, runs } = fakePodman();
    const shared = new SharedProbes(plan);
    const ask = (image: string, flags: string[], share?: boolean) =>
      shared.probe({ image, flags, attempts: [], purpose: 'p', share }, asker(podman, 'c'));
    await ask('img', []);
    await ask('img', [], false);
    await ask('img', ['--pid=host']);
    await ask('other', []);
    await ask('img', []);
    expect(runs.map((r) => `${r.image} ${(r.flags ?? []).join(' ')}`)).toEqual([
      'img ',
      'img ',
      'img --pid=host',
      'other ',
    ]);
  });

  it("runs its own container when the shared one was stopped by its starter's deadline, not its own", async () => {
    const { podman, runs } = fakePodman();
    const stopped = {
      ...podman,
      async run(spec: RunContainer) {
        runs.push(spec);
        return { ...(await fakePodman().podman.run(spec)), exitCode: null, failure: 'aborted' as const };
      },
    } as unknown as Podman;
    const shared = new SharedProbes(plan);
    const req = { image: 'img', flags: [], attempts: [], purpose: 'p' };
    const first = shared.probe(req, { ...asker(stopped, 'starter'), signal: AbortSignal.abort() });
    const waiting = shared.probe(req, { ...asker(podman, 'waiter'), signal: new AbortController().signal });
    expect((await first).ok).toBe(false);
    expect((await waiting).ok).toBe(true);
    expect(runs).toHaveLength(2);
    // a waiter whose own time is up takes the stopped container's answer (and names its command)
    const late = await shared.probe(req, { ...asker(podman, 'late'), signal: AbortSignal.abort() });
    expect(late.ok).toBe(false);
    expect(runs).toHaveLength(2);
  });

  it('runs its own container for an attempt no plan named once the shared one ran without it', async () => {
    const { podman, runs } = fakePodman();
    const shared = new SharedProbes(plan);
    await shared.probe({ image: 'img', flags: [], attempts: [a('x')], purpose: 'p' }, asker(podman, 'c1'));
    const late = await shared.probe(
      { image: 'img', flags: [], attempts: [a('z')], purpose: 'p' },
      asker(podman, 'c2'),
    );
    expect(runs).toHaveLength(2);
    expect(late.ok && Object.keys(late.snapshot.attempts)).toEqual(['z']);
  });
});
