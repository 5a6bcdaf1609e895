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
import { join } from 'node:path';
import { describeEvidence, type Evidence } from '../src/exec/evidence.js';
import type { Identity } from '../src/exec/identity.js';
import { type ExecOptions, exec } from '../src/exec/run.js';
import type { Session } from '../src/exec/session.js';
import { type HostKind, KINDS, kindPackages } from './kinds.js';
import { checkoutDir } from './paths.js';
import type { VmImage } from './qemu.js';

/** The recipe's files (vm/image/packages, vm/image/customize), in the checkout. */
const recipeDir = () => join(checkoutDir(), 'vm', 'image');
export const MIRROR = 'http://deb.debian.org/debian';
/**
 * Where the image's crun comes from. Debian 13's own crun 1.21 cannot set up a container's
 * loopback inside a service with RestrictAddressFamilies=AF_UNIX AF_NETLINK (containers/crun#1828,
 * a regression from 1.17 fixed in 1.23), which refutes the articles' restricted service there. Users'
 * podman 5 hosts (Fedora, the Ubuntu runners' bundle) run crun >= 1.23, so by default the image
 * takes crun alone from Debian's next release, forky (with the one library it adds, libblake3-0);
 * every other package stays trixie's (APT::Default-Release). PODPROOF_VM_CRUN=trixie builds the
 * stock image, whose two refuted rows vm/waivers-trixie-crun.json accepts.
 */
export const CRUN_SOURCES = ['forky', 'trixie'] as const;
export type CrunSource = (typeof CRUN_SOURCES)[number];

/** The crun source asked for (PODPROOF_VM_CRUN, default forky); anything else is named. */
export function crunSource(env: NodeJS.ProcessEnv = process.env): CrunSource {
  const crun = env.PODPROOF_VM_CRUN || 'forky';
  if (!(CRUN_SOURCES as readonly string[]).includes(crun))
    throw new Error(`PODPROOF_VM_CRUN=${crun}: expected one of ${CRUN_SOURCES.join(', ')}`);
  return crun as CrunSource;
}

/** The disk's size (sparse: only what is written takes space). Container storage for three users lives here. */
export const DISK_SIZE = '8G';

/** The package list of a `packages` file's text: one per line, `#` comments (pure). */
export function parsePackages(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/**
 * The mmdebstrap argv that builds the rootfs tarball of a host kind (pure): unshare mode, so its
 * mounts die with it. A package from another suite (trixie's crun from forky) comes from a second
 * source that apt takes nothing else from; its Release file is checked for its signature but not
 * its Valid-Until (a week for testing: a mirror or cache a few weeks behind, as this build
 * machine's is, would otherwise refuse the whole build). `crun: 'trixie'`: trixie's own crun.
 */
export function mmdebstrapArgv({
  packages,
  customize,
  tarball,
  crun = 'forky',
  kind = KINDS.trixie,
  node = process.execPath,
}: {
  packages: string[];
  customize: string;
  tarball: string;
  crun?: string;
  kind?: HostKind;
  /** The host's node binary, for a kind that copies it in. */
  node?: string;
}): string[] {
  const from = kind.name === 'trixie' && crun !== 'forky' ? undefined : kind.from;
  const suite = kind.suite;
  return [
    'mmdebstrap',
    '--mode=unshare',
    '--variant=minbase',
    ...(from ? [`--aptopt=APT::Default-Release "${suite}"`] : []),
    `--include=${packages.map((p) => (from?.packages.includes(p) ? `${p}/${from.suite}` : p)).join(',')}`,
    ...(kind.firstHooks ?? []).map((h) => `--customize-hook=${h}`),
    `--customize-hook=${customize} "$1"`,
    ...(kind.hostNode ? [`--customize-hook=copy-in ${node} /usr/local/bin`] : []),
    ...kind.hooks.map((h) => `--customize-hook=${h}`),
    suite,
    tarball,
    ...(from || kind.rolling
      ? [
          `deb ${kind.rolling ? '[check-valid-until=no] ' : ''}${MIRROR} ${suite} main`,
          ...(from ? [`deb [check-valid-until=no] ${MIRROR} ${from.suite} main`] : []),
        ]
      : [MIRROR]),
  ];
}

/** The installed version of each named package, from a rootfs's dpkg status file (pure). */
export function installedVersions(statusText: string, names: readonly string[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const stanza of statusText.split(/\n\n+/)) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    if (name && version && names.includes(name) && /^Status: .* installed$/m.test(stanza))
      versions[name] = version;
  }
  return versions;
}

/** The recipe's hash (pure): everything that decides what the image holds. */
export function recipeHash({
  packagesText,
  customizeText,
  crun = 'forky',
  kind = KINDS.trixie,
}: {
  packagesText: string;
  customizeText: string;
  crun?: string;
  kind?: HostKind;
}): string {
  const argv = mmdebstrapArgv({
    packages: kindPackages(kind, parsePackages(packagesText)),
    customize: 'HOOK',
    tarball: 'OUT',
    crun,
    kind,
    node: 'NODE',
  });
  // trixie's hash is what it was before there were kinds: its cached image stays valid
  const labelled = kind.selinuxLabel ? { selinuxLabel: true } : {};
  return createHash('sha256')
    .update(JSON.stringify({ argv, customizeText, disk: DISK_SIZE, ...labelled }))
    .digest('hex')
    .slice(0, 16);
}

/** The current recipe of a kind: its files, the crun source, and their hash. */
export function readRecipe(kind: HostKind = KINDS.trixie, env: NodeJS.ProcessEnv = process.env) {
  const packagesText = readFileSync(join(recipeDir(), 'packages'), 'utf8');
  const customizeText = readFileSync(join(recipeDir(), 'customize'), 'utf8');
  const crun = crunSource(env);
  return {
    packagesText,
    customizeText,
    crun,
    packages: kindPackages(kind, parsePackages(packagesText)),
    hash: recipeHash({ packagesText, customizeText, crun, kind }),
  };
}

/** Where built images are kept (PODPROOF_VM_CACHE, else ~/.cache/podproof/vm). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.PODPROOF_VM_CACHE || join(env.HOME || homedir(), '.cache', 'podproof', 'vm');
}

/** The kernel and initrd in a rootfs's /boot (pure over a listing): the newest pair. */
export function bootFiles(names: readonly string[]): { kernel: string; initrd: string; version: string } {
  const kernels = names.filter((n) => /^vmlinuz-/.test(n)).sort();
  const kernel = kernels[kernels.length - 1];
  if (!kernel) throw new Error(`no kernel in /boot: ${names.join(' ')}`);
  const version = kernel.slice('vmlinuz-'.length);
  const initrd = `initrd.img-${version}`;
  if (!names.includes(initrd)) throw new Error(`no ${initrd} in /boot: ${names.join(' ')}`);
  return { kernel, initrd, version };
}

async function must(argv: string[], opts: ExecOptions, what: string): Promise<Evidence> {
  const e = await exec(argv, opts);
  if (e.exitCode !== 0 || e.failure) throw new Error(`${what} failed: ${describeEvidence(e)}`);
  return e;
}

/** The kind of a cached image (its recipe.json; images from before kinds are trixie's). */
function cachedKind(dir: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'recipe.json'), 'utf8')).kind ?? 'trixie';
  } catch {
    return undefined;
  }
}

/**
 * Label an unpacked tree with its own policy's file contexts (`setfiles` run from the tree,
 * chrooted, as root: security.selinux attributes are written as plain attributes on a host
 * without SELinux; mke2fs -d copies them into the disk).
 */
async function labelTree(rootfs: string, session: Session, log: (line: string) => void): Promise<void> {
  const contexts = '/etc/selinux/default/contexts/files/file_contexts';
  if (!existsSync(join(rootfs, contexts)))
    throw new Error(`no ${contexts} in the image: no policy installed`);
  await must(
    ['chroot', rootfs, 'setfiles', '-F', contexts, '/'],
    { timeoutMs: 10 * 60_000, signal: session.signal, purpose: 'label the VM rootfs (SELinux)' },
    'setfiles',
  );
  log('labelled the image with its policy (setfiles)');
}

/** The cached image and how it came to be. */
export interface CachedImage extends VmImage {
  dir: string;
  hash: string;
  kind: HostKind;
  crun: CrunSource;
  built: boolean;
  buildSeconds?: number;
}

/**
 * The cached image for the current recipe, built first when there is none. The build runs in a
 * session temp dir (removed at teardown, and by `podproof clean` after a SIGKILL); mmdebstrap
 * runs as the rootless user in unshare mode: its chroot mounts live in a namespace that dies with
 * it, so no teardown ever removes a tree with /proc or /dev mounted in it.
 */
export async function ensureImage({
  session,
  builder,
  log,
  kind = KINDS.trixie,
}: {
  session: Session;
  builder: Identity;
  log: (line: string) => void;
  kind?: HostKind;
}): Promise<CachedImage> {
  const recipe = readRecipe(kind);
  const dir = join(cacheRoot(), recipe.hash);
  const image = {
    dir,
    hash: recipe.hash,
    disk: join(dir, 'disk.img'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    crun: recipe.crun,
    kind,
    kernelArgs: kind.kernelArgs,
  };
  if (existsSync(join(dir, 'recipe.json'))) return { ...image, built: false };

  const started = performance.now();
  const work = session.tempDir('vm-image');
  // the builder (an unprivileged user) writes the tarball; root unpacks it with ownership kept
  chownSync(work, builder.uid, builder.gid);
  const customize = join(work, 'customize');
  copyFileSync(join(recipeDir(), 'customize'), customize);
  const tarball = join(work, 'rootfs.tar');
  log(
    `building the ${kind.name} VM image ${recipe.hash} (mmdebstrap ${kind.suite}${kind.name === 'trixie' ? `, crun from ${recipe.crun}` : ''}; about 1-3 min)`,
  );
  await must(
    mmdebstrapArgv({ packages: recipe.packages, customize, tarball, crun: recipe.crun, kind }),
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
  if (kind.selinuxLabel) await labelTree(rootfs, session, log);
  const boot = bootFiles(readdirSync(join(rootfs, 'boot')));
  // what the image holds of what it is for, kept beside it (and said): versions, not names
  const versions = installedVersions(readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8'), [
    'podman',
    'crun',
    'runc',
    'passt',
    'netavark',
    'systemd',
    'libc6',
  ]);
  log(
    `the image holds ${Object.entries(versions)
      .map(([p, v]) => `${p} ${v}`)
      .join(', ')}`,
  );
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
    `${JSON.stringify({ hash: recipe.hash, kind: kind.name, suite: kind.suite, mirror: MIRROR, kernel: boot.version, builtAt: new Date().toISOString(), buildSeconds: seconds, crunFrom: kind.name === 'trixie' ? recipe.crun : undefined, versions, packages: recipe.packages }, null, 2)}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  // the unpacked tree is 1 GB: gone now, not at teardown; and this kind's images of older recipes
  rmSync(work, { recursive: true, force: true });
  for (const old of readdirSync(cacheRoot()))
    if (old !== recipe.hash && !old.includes('.partial-') && cachedKind(join(cacheRoot(), old)) === kind.name)
      rmSync(join(cacheRoot(), old), { recursive: true, force: true });
  log(`built the VM image in ${seconds} s (${dir})`);
  return { ...image, built: true, buildSeconds: seconds };
}
