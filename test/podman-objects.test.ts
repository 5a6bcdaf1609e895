import { describe, expect, it } from 'vitest';
import { kindsLeft, withoutGlobalFlags } from '../src/podman/objects.js';

const ran = (...commands: [string, boolean][]) =>
  kindsLeft(commands.map(([line, ok]) => ({ args: line.split(' '), ok })));
const STORE = '--root /r --runroot /rr --tmpdir /t';

describe('kindsLeft: what a teardown lists', () => {
  it('strips global flags, with and without values', () => {
    expect(withoutGlobalFlags(['--root', '/r', '--remote', '--url=unix:///s', 'network', 'ls'])).toEqual([
      'network',
      'ls',
    ]);
  });
  it('lists containers only when every network, secret and committed image was removed', () => {
    expect([
      ...ran(
        [`${STORE} network create --label io.podproof.session=s --opt=isolate=true podproof-s-net-1`, true],
        [`${STORE} secret create podproof-s-secret-2 /tmp/f`, true],
        [`${STORE} commit --change LABEL x podproof-s-holder localhost/podproof-s-commit-3`, true],
        [`${STORE} run --rm --network=podproof-s-net-1 img sh`, true],
        [`${STORE} network rm -f podproof-s-net-1`, true],
        [`${STORE} secret rm podproof-s-secret-2`, true],
        [`${STORE} rmi -f localhost/podproof-s-commit-3 other`, true],
      ),
    ]).toEqual(['container']);
  });
  it('a removal that failed, or none, leaves the kind to list', () => {
    const left = ran(
      ['network create podproof-s-net-1', true],
      ['network rm -f podproof-s-net-1', false],
      ['secret create podproof-s-secret-2 /tmp/f', false],
      ['commit c localhost/podproof-s-commit-3', true],
    );
    expect([...left].sort()).toEqual(['container', 'image', 'network', 'secret']);
  });
  it('a name it cannot read, and kinds it does not track by name, are listed', () => {
    expect(ran(['secret create --driver file podproof-s-secret-2 /tmp/f', true]).has('secret')).toBe(true);
    expect(ran(['pod create p', true]).has('pod')).toBe(true);
    expect(ran(['run --pod=new:p img', true]).has('pod')).toBe(true);
    expect(ran(['volume create v', true]).has('volume')).toBe(true);
    expect(ran(['import /tmp/t.tar x', true]).has('image')).toBe(true);
  });
  it('a committed image run with --rmi is gone, unless podman said it was not removed', () => {
    const commit = `${STORE} commit --change LABEL x podproof-s-holder localhost/podproof-s-commit-3`;
    const readBack = `${STORE} run --rm --name podproof-s-read-4 --pull=never --rmi localhost/podproof-s-commit-3 sh -c x`;
    expect([...ran([commit, true], [readBack, true])]).toEqual(['container']);
    // podman logs the failed removal and keeps the container's exit code
    const said = kindsLeft([
      { args: commit.split(' '), ok: true },
      {
        args: readBack.split(' '),
        ok: true,
        stderr: 'Error: failed removing image: image used by 5e1f...: image is in use by a container',
      },
    ]);
    expect(said.has('image')).toBe(true);
    // a run that failed, or one without --rmi, removes nothing
    expect(ran([commit, true], [readBack, false]).has('image')).toBe(true);
    expect(ran([commit, true], [readBack.replace(' --rmi', ''), true]).has('image')).toBe(true);
  });
  it('listing and other commands make nothing it looks for', () => {
    expect([...ran(['pull r/x', true], ['pod ps -q', true], ['unshare sh -c x', true])]).toEqual([
      'container',
    ]);
  });
});
