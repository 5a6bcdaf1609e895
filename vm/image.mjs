// The VM's disk image: Debian 13 built with mmdebstrap from Debian's archive, cached by a content
// hash of its recipe (vm/image/packages, vm/image/customize and the arguments below), as the
// fixture images are. A cached image is never written to: each boot runs on a qcow2 overlay.
import { createHash } from 'node:crypto';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEvidence, exec } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const SUITE = 'trixie';
export const MIRROR = 'http://deb.debian.org/debian';
/** The disk's size (sparse: only what is written takes space). Container storage for three users lives here. */
export const DISK_SIZE = '8G';

/** The package list of a `packages` file's text: one per line, `#` comments (pure). */
export function parsePackages(text) {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** The mmdebstrap argv that builds the rootfs tarball (pure): unshare mode, so its mounts die with it. */
export function mmdebstrapArgv({ packages, customize, tarball }) {
  return [
    'mmdebstrap',
    '--mode=unshare',
    '--variant=minbase',
    `--include=${packages.join(',')}`,
    `--customize-hook=${customize} "$1"`,
    SUITE,
    tarball,
    MIRROR,
  ];
}

/** The recipe's hash (pure): everything that decides what the image holds. */
export function recipeHash({ packagesText, customizeText }) {
  const argv = mmdebstrapArgv({ packages: parsePackages(packagesText), customize: 'HOOK', tarball: 'OUT' });
  return createHash('sha256')
    .update(JSON.stringify({ argv, customizeText, disk: DISK_SIZE }))
    .digest('hex')
    .slice(0, 16);
}

export function readRecipe() {
  const packagesText = readFileSync(join(here, 'image', 'packages'), 'utf8');
  const customizeText = readFileSync(join(here, 'image', 'customize'), 'utf8');
  return { packagesText, customizeText, hash: recipeHash({ packagesText, customizeText }) };
}

/** Where built images are kept (PODPROOF_VM_CACHE, else ~/.cache/podproof/vm). */
export function cacheRoot(env = process.env) {
  return env.PODPROOF_VM_CACHE || join(env.HOME || homedir(), '.cache', 'podproof', 'vm');
}

/** The kernel and initrd in a rootfs's /boot (pure over a listing): the newest pair. */
export function bootFiles(names) {
  const kernels = names.filter((n) => /^vmlinuz-/.test(n)).sort();
  const kernel = kernels[kernels.length - 1];
  if (!kernel) throw new Error(`no kernel in /boot: ${names.join(' ')}`);
  const version = kernel.slice('vmlinuz-'.length);
  const initrd = `initrd.img-${version}`;
  if (!names.includes(initrd)) throw new Error(`no ${initrd} in /boot: ${names.join(' ')}`);
  return { kernel, initrd, version };
}

async function must(argv, opts, what) {
  const e = await exec(argv, opts);
  if (e.exitCode !== 0 || e.failure) throw new Error(`${what} failed: ${describeEvidence(e)}`);
  return e;
}

/**
 * The cached image for the current recipe, built first when there is none. The build runs in a
 * session temp dir (removed at teardown, and by `podproof clean` after a SIGKILL); mmdebstrap
 * runs as the rootless user in unshare mode: its chroot mounts live in a namespace that dies with
 * it, so no teardown ever removes a tree with /proc or /dev mounted in it.
 */
export async function ensureImage({ session, builder, log }) {
  const recipe = readRecipe();
  const dir = join(cacheRoot(), recipe.hash);
  const image = {
    dir,
    hash: recipe.hash,
    disk: join(dir, 'disk.img'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
  };
  if (existsSync(join(dir, 'recipe.json'))) return { ...image, built: false };

  const started = performance.now();
  const work = session.tempDir('vm-image');
  // the builder (an unprivileged user) writes the tarball; root unpacks it with ownership kept
  chownSync(work, builder.uid, builder.gid);
  const customize = join(work, 'customize');
  copyFileSync(join(here, 'image', 'customize'), customize);
  const tarball = join(work, 'rootfs.tar');
  log(`building the VM image ${recipe.hash} (mmdebstrap ${SUITE}; about 1-2 min)`);
  await must(
    mmdebstrapArgv({ packages: parsePackages(recipe.packagesText), customize, tarball }),
    {
      identity: builder,
      env: { TMPDIR: work },
      cwd: work,
      timeoutMs: 30 * 60_000,
      signal: session.signal,
      purpose: 'build the VM rootfs',
    },
    'mmdebstrap',
  );
  const rootfs = join(work, 'rootfs');
  mkdirSync(rootfs);
  await must(
    ['tar', '-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-f', tarball, '-C', rootfs],
    { timeoutMs: 10 * 60_000, signal: session.signal, purpose: 'unpack the VM rootfs' },
    'tar',
  );
  rmSync(tarball);
  const boot = bootFiles(readdirSync(join(rootfs, 'boot')));
  const partial = `${dir}.partial-${session.id}`;
  // journaled before it exists: `podproof clean` removes it after a SIGKILL mid-build
  session.record({ kind: 'tempdir', path: partial });
  mkdirSync(partial, { recursive: true });
  session.onTeardown(`partial image ${partial}`, () => rmSync(partial, { recursive: true, force: true }));
  copyFileSync(join(rootfs, 'boot', boot.kernel), join(partial, 'vmlinuz'));
  copyFileSync(join(rootfs, 'boot', boot.initrd), join(partial, 'initrd.img'));
  await must(
    ['mke2fs', '-q', '-t', 'ext4', '-L', 'podproof-vm', '-d', rootfs, join(partial, 'disk.img'), DISK_SIZE],
    { timeoutMs: 10 * 60_000, signal: session.signal, purpose: 'make the VM disk' },
    'mke2fs',
  );
  const seconds = Math.round((performance.now() - started) / 1000);
  writeFileSync(
    join(partial, 'recipe.json'),
    `${JSON.stringify({ hash: recipe.hash, suite: SUITE, mirror: MIRROR, kernel: boot.version, builtAt: new Date().toISOString(), buildSeconds: seconds, packages: parsePackages(recipe.packagesText) }, null, 2)}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  // the unpacked tree is 1 GB: gone now, not at teardown; and images of older recipes with it
  rmSync(work, { recursive: true, force: true });
  for (const old of readdirSync(cacheRoot()))
    if (old !== recipe.hash && !old.includes('.partial-'))
      rmSync(join(cacheRoot(), old), { recursive: true, force: true });
  log(`built the VM image in ${seconds} s (${dir})`);
  return { ...image, built: true, buildSeconds: seconds };
}
