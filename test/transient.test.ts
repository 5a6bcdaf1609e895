import { describe, expect, it } from 'vitest';
import type { Evidence } from '../src/exec/evidence.js';
import type { JournalEntry } from '../src/exec/journal.js';
import { runAsService, startTransientService } from '../src/systemd/transient.js';

/** A systemd-run aborted midway (SIGINT): the manager may have made the unit all the same. */
const aborted = (argv: string[]): Evidence =>
  ({
    argv,
    exitCode: null,
    signal: 'SIGTERM',
    stdout: '',
    stderr: '',
    failure: 'aborted',
  }) as unknown as Evidence;

function harness() {
  const calls: string[][] = [];
  const journal: JournalEntry[] = [];
  const defers: { name: string; fn: () => unknown }[] = [];
  const run = async (argv: string[]) => {
    calls.push(argv);
    return argv[0] === 'systemd-run'
      ? aborted(argv)
      : ({ argv, exitCode: 0, stdout: '', stderr: '' } as unknown as Evidence);
  };
  return {
    calls,
    journal,
    defers,
    run,
    opts: {
      unit: 'podproof-abc123-api-1.service',
      argv: ['podman', 'system', 'service'],
      user: true,
      journal: { record: (e: JournalEntry) => journal.push(e) },
      defer: (name: string, fn: () => unknown) => defers.push({ name, fn }),
    },
  };
}

describe('transient units', () => {
  it.each([
    ['startTransientService', startTransientService],
    ['runAsService', runAsService],
  ] as const)(
    '%s journals the unit and registers its stop before systemd-run, so an aborted start leaves nothing',
    async (_, start) => {
      const h = harness();
      const out = await start(h.run, h.opts);
      if ('error' in out) expect(out.error).toBeTruthy();
      expect(h.journal).toEqual([
        { kind: 'units', identity: 'rootless', user: true, names: ['podproof-abc123-api-1.service'] },
      ]);
      expect(h.defers.map((d) => d.name)).toEqual(['stop podproof-abc123-api-1.service']);
      // the stop runs with the claim's teardown although the start failed
      for (const d of h.defers) await d.fn();
      expect(h.calls.slice(1)).toEqual([
        ['systemctl', '--user', 'stop', 'podproof-abc123-api-1.service'],
        ['systemctl', '--user', 'reset-failed', 'podproof-abc123-api-1.service'],
      ]);
    },
  );
});
