// The wrapper library the mutation table breaks hosts with, run for real against a fake podman
// that prints the arguments it was given (one per line): no podman needed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../src/exec/run.js';
import { wrapperScript } from '../suites/wrapper.js';

const dir = mkdtempSync(join(tmpdir(), 'podproof-wrapper-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fake = join(dir, 'fake-podman');
writeFileSync(fake, '#!/bin/sh\nprintf \'%s\\n\' "$@"\n');
chmodSync(fake, 0o755);

let n = 0;
/** The arguments the real podman gets after the wrapper, for these podman arguments. */
async function through(args: string[], editRun: string, always = ''): Promise<string[]> {
  const file = join(dir, `wrapper-${n++}`);
  writeFileSync(file, wrapperScript('test', fake, editRun, always));
  chmodSync(file, 0o755);
  const e = await exec([file, ...args], { timeoutMs: 10_000 });
  expect(e.exitCode, e.stderr).toBe(0);
  return e.stdout.split('\n').slice(0, -1);
}

const GLOBALS = ['--root', '/r', '--runroot', '/rr', '--tmpdir', '/t'];

describe('podman wrapper library', () => {
  it('passes every other command through untouched', async () => {
    const args = [...GLOBALS, 'ps', '-a', '--format', '{{.Names}} x'];
    expect(await through(args, 'add_after_run --privileged')).toEqual(args);
  });

  it('add_after_run inserts right after run', async () => {
    expect(await through([...GLOBALS, 'run', '--rm', 'img'], 'add_after_run --privileged --x=1')).toEqual([
      ...GLOBALS,
      'run',
      '--privileged',
      '--x=1',
      '--rm',
      'img',
    ]);
  });

  it('add_after_verb acts on the verb after the storage flags only', async () => {
    const always = 'add_after_verb create --security-opt=unmask=ALL';
    expect(await through([...GLOBALS, 'create', 'img', 'true'], '', always)).toEqual([
      ...GLOBALS,
      'create',
      '--security-opt=unmask=ALL',
      'img',
      'true',
    ]);
    const network = [...GLOBALS, 'network', 'create', 'n1'];
    expect(await through(network, '', always)).toEqual(network);
  });

  it('drop_args, replace_arg, has', async () => {
    expect(
      await through(['run', '--network=none', '--cap-drop=all', 'img'], "drop_args '^--network=none$'"),
    ).toEqual(['run', '--cap-drop=all', 'img']);
    expect(await through(['run', '--read-only', 'img'], 'replace_arg --read-only --read-only=false')).toEqual(
      ['run', '--read-only=false', 'img'],
    );
    expect(await through(['run', 'img'], 'has --nope || add_after_run --seen')).toEqual([
      'run',
      '--seen',
      'img',
    ]);
  });

  it('replace_value and drop_with_value edit an option and its value', async () => {
    const pull = ['pull', '--signature-policy', '/p.json', 'ref'];
    expect(await through(pull, '', 'replace_value --signature-policy /other.json')).toEqual([
      'pull',
      '--signature-policy',
      '/other.json',
      'ref',
    ]);
    expect(await through(pull, '', 'drop_with_value --signature-policy')).toEqual(['pull', 'ref']);
  });

  it('strip_globals and collect_globals read the storage flags and the session label', async () => {
    const run = [...GLOBALS, 'run', '--label', 'io.podproof.session=abc123', 'img'];
    expect(await through(run, '', 'strip_globals')).toEqual([
      'run',
      '--label',
      'io.podproof.session=abc123',
      'img',
    ]);
    expect(await through(run, `collect_globals; args=("\${globals[@]}" "$sess")`)).toEqual([
      ...GLOBALS,
      'abc123',
    ]);
  });
});
