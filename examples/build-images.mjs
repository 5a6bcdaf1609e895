#!/usr/bin/env node
// Make the examples' images in your own podman storage, offline, from this host's binaries:
// localhost/podproof-example/busybox:1 (podproof's busybox fixture, tagged) and
// localhost/podproof-example/shell-less:1 (one file, /busybox, a static program: no /bin/sh, no cat).
// As root, for root; as a user, for that user. Remove them with `podman rmi localhost/podproof-example/busybox:1
// localhost/podproof-example/shell-less:1` (and the fixture itself with `podproof clean --images
// --host-storage`).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, fixtureImage, openPodman } from 'podproof';

const podman = await openPodman({
  identity: process.getuid?.() === 0 ? 'rootful' : 'rootless',
  storage: 'host',
});
const dir = mkdtempSync(join(tmpdir(), 'podproof-example-'));
try {
  const busybox = await fixtureImage(podman, BUSYBOX);
  const tag = await podman.cmd(['tag', busybox, 'localhost/podproof-example/busybox:1']);
  if (tag.exitCode !== 0) throw new Error(tag.stderr);
  // its one file is a program that runs until stopped (a static busybox, started as its `sleep`;
  // busybox reads the applet from its own name, so it keeps it): under systemd the unit runs as
  // deployed and podproof reads it from the side
  const busyboxBin = (process.env.PATH ?? '/usr/bin:/bin')
    .split(':')
    .map((d) => join(d, 'busybox'))
    .find((f) => existsSync(f));
  if (!busyboxBin) throw new Error('needs a static busybox on PATH (busybox-static)');
  copyFileSync(realpathSync(busyboxBin), join(dir, 'busybox'));
  chmodSync(join(dir, 'busybox'), 0o755);
  const tar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-cf', tar, 'busybox']);
  const imported = await podman.cmd([
    'import',
    '--change',
    'CMD ["/busybox", "sleep", "2147483647"]',
    tar,
    'localhost/podproof-example/shell-less:1',
  ]);
  if (imported.exitCode !== 0) throw new Error(imported.stderr);
  console.log('made localhost/podproof-example/busybox:1 and localhost/podproof-example/shell-less:1');
} finally {
  rmSync(dir, { recursive: true, force: true });
  await podman.close();
}
