// Booting the VM with qemu: KVM where it works, TCG where it does not (found by trying), no
// network to the outside, the checkout shared read-only and an output folder shared writable.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEvidence, type Evidence } from '../src/exec/evidence.js';
import { type BackgroundProcess, exec } from '../src/exec/run.js';
import type { Session } from '../src/exec/session.js';

/** The guest's network (qemu user networking, restricted): vm/guest/boot configures it statically. */
export const GUEST_NET = { cidr: '10.0.2.0/24', address: '10.0.2.15/24', gateway: '10.0.2.2' };

export type Accel = 'kvm' | 'tcg';

/** The cached VM image's files (vm/image.ts). */
export interface VmImage {
  disk: string;
  kernel: string;
  initrd: string;
  /** Kernel arguments of its host kind (SELinux as the major module). */
  kernelArgs?: readonly string[];
}

/** A 9p share: tag -> a host folder, read-only or not. */
export type Shares = Record<string, { path: string; readonly: boolean }>;

/** Machine options for an accelerator (pure). TCG: every host core as a guest CPU, all of qemu's CPU features. */
export function accelArgs(accel: Accel): string[] {
  return accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max'];
}

/** qemu with nothing but a q35 machine on this accelerator, no display or monitor, the serial console to a file (pure). */
function headlessMachine(accel: Accel, consoleFile: string): string[] {
  return [
    'qemu-system-x86_64',
    '-nodefaults',
    '-no-user-config',
    '-machine',
    'q35',
    ...accelArgs(accel),
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${consoleFile}`,
  ];
}

/**
 * What a short KVM boot of the kernel alone amounted to (pure): the kernel printed its banner on
 * the serial console (KVM runs it), or qemu reported a KVM error (a PVM-only /dev/kvm: "KVM
 * internal error ... emulation failure"), or nothing came in time.
 */
export function classifyKvmTrial({
  console: text,
  stderr,
  exited,
}: {
  console: string;
  stderr: string;
  exited: boolean;
}): { works: boolean; why: string } {
  if (/Linux version \d/.test(text)) return { works: true, why: 'the kernel booted under KVM' };
  const err =
    /KVM internal error[^\n]*|failed to initialize kvm[^\n]*|Could not access KVM kernel module[^\n]*/i.exec(
      stderr,
    );
  if (err) return { works: false, why: `KVM cannot run this kernel: ${err[0].trim()}` };
  return {
    works: false,
    why: exited
      ? `qemu exited under KVM: ${stderr.trim().slice(-200) || 'no output'}`
      : 'no kernel output under KVM in time',
  };
}

/**
 * KVM or TCG, by trying: boot the kernel alone under KVM for up to `limitMs` and watch its
 * console. No /dev/kvm means TCG without a trial.
 */
export async function detectAccel({
  session,
  kernel,
  limitMs = 20_000,
}: {
  session: Session;
  kernel: string;
  limitMs?: number;
}): Promise<{ accel: Accel; why: string }> {
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', why: 'no /dev/kvm' };
  const dir = session.tempDir('vm-kvm-trial');
  const consoleFile = join(dir, 'console.log');
  const trial = session.background(
    [
      ...headlessMachine('kvm', consoleFile),
      '-m',
      '512M',
      '-no-reboot',
      '-kernel',
      kernel,
      '-append',
      'console=ttyS0 panic=-1',
      '-nic',
      'none',
    ],
    { purpose: 'try KVM: boot the kernel alone' },
  );
  let exited = false;
  trial.ended.then(() => {
    exited = true;
  });
  const deadline = performance.now() + limitMs;
  const read = () => (existsSync(consoleFile) ? readFileSync(consoleFile, 'utf8') : '');
  // poll the console file (qemu writes it; there is no event to wait on), bounded
  while (!exited && performance.now() < deadline && !/Linux version \d/.test(read())) await sleep(200);
  const e = await trial.stop();
  const result = classifyKvmTrial({ console: read(), stderr: `${e.stderr}\n${e.stdout}`, exited });
  return { accel: result.works ? 'kvm' : 'tcg', why: result.why };
}

/**
 * Kernel arguments for a guest under TCG (pure): no address-space randomization. TCG keeps its
 * translation of guest code by address; a PIE binary (podman, conmon, crun, netavark, node)
 * mapped at a new address each run is translated again each run. Measured in the sid guest
 * (vm/guest/profile, serial calls): `podman run --rm` 1.9 -> 1.2-1.5 s with --network=none,
 * 3.7 -> 1.9-2.2 s with the default network, `podman info` 2.7 -> 1.7-1.8 s, `node -e 0` 0.8 ->
 * 0.3-0.7 s. No claim observes randomization; under KVM the guest boots as Debian's does.
 */
export function tcgKernelArgs(accel: Accel): string[] {
  return accel === 'tcg' ? ['norandmaps'] : [];
}

/**
 * The qemu argv of a boot (pure). `shares`: 9p tag -> { path, readonly }.
 */
export function qemuArgv({
  image,
  overlay,
  accel,
  consoleFile,
  shares,
  memory = '4G',
  cpus = 2,
  hostfwd = undefined,
}: {
  image: Pick<VmImage, 'kernel' | 'initrd' | 'kernelArgs'>;
  overlay: string;
  accel: Accel;
  consoleFile: string;
  shares: Shares;
  memory?: string;
  cpus?: number;
  hostfwd?: { port: number } | undefined;
}): string[] {
  const argv = [
    ...headlessMachine(accel, consoleFile),
    '-name',
    'podproof-vm',
    '-smp',
    String(cpus),
    '-m',
    memory,
    '-kernel',
    image.kernel,
    '-initrd',
    image.initrd,
    '-append',
    ['root=/dev/vda rw console=ttyS0 panic=-1', ...tcgKernelArgs(accel), ...(image.kernelArgs ?? [])].join(
      ' ',
    ),
    '-drive',
    `file=${overlay},format=qcow2,if=virtio,cache=unsafe`,
  ];
  for (const [tag, s] of Object.entries(shares))
    argv.push(
      '-virtfs',
      `local,path=${s.path},mount_tag=${tag},security_model=none${s.readonly ? ',readonly=on' : ''}`,
    );
  // an interface and a default route (pasta copies the host's and fails without one), but no way
  // out: user networking with restrict=on routes nothing to the host or beyond (qemu's DNS
  // included); only an explicit forward, bound to this machine's loopback, comes in
  const fwd = hostfwd ? `,hostfwd=tcp:127.0.0.1:${hostfwd.port}-:22` : '';
  argv.push('-nic', `user,model=virtio-net-pci,restrict=on,net=${GUEST_NET.cidr}${fwd}`);
  return argv;
}

/** Options for {@link startVm}. */
export interface StartVm {
  session: Session;
  image: VmImage;
  accel: Accel;
  shares: Shares;
  log: (line: string) => void;
  hostfwd?: { port: number } | undefined;
}

/** A started VM: its qemu process, its run folder and its console so far. */
export interface StartedVm {
  vm: BackgroundProcess;
  dir: string;
  consoleText: () => string;
}

/**
 * Start the VM on a fresh overlay of the cached image. The VM process is the session's: SIGINT
 * stops it, `podproof clean` after a SIGKILL.
 */
export async function startVm({
  session,
  image,
  accel,
  shares,
  log,
  hostfwd = undefined,
}: StartVm): Promise<StartedVm> {
  const dir = session.tempDir('vm-run');
  const overlay = join(dir, 'overlay.qcow2');
  const made = await exec(
    ['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'raw', overlay],
    {
      purpose: 'overlay on the cached VM disk',
      signal: session.signal,
    },
  );
  if (made.exitCode !== 0) throw new Error(`qemu-img failed: ${describeEvidence(made)}`);
  const consoleFile = join(dir, 'console.log');
  const vm = session.background(qemuArgv({ image, overlay, accel, consoleFile, shares, hostfwd }), {
    purpose: 'the VM',
  });
  log(`VM started (${accel}, pid ${vm.pid}); console: ${consoleFile}`);
  const consoleText = () => (existsSync(consoleFile) ? readFileSync(consoleFile, 'utf8') : '');
  return { vm, dir, consoleText };
}

/** Wait for a started VM to power off (its reboots included), at most `limitMs`; stop it then. */
export async function untilPoweredOff(
  { vm, consoleText }: Pick<StartedVm, 'vm' | 'consoleText'>,
  limitMs: number,
): Promise<{ evidence: Evidence; timedOut: boolean; console: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limitMs);
  });
  const first = await Promise.race([vm.ended, timedOut]);
  clearTimeout(timer);
  const evidence = first === 'timeout' ? await vm.stop() : first;
  return { evidence, timedOut: first === 'timeout', console: consoleText() };
}

/** Boot, and wait for the guest to power off (see {@link startVm}, {@link untilPoweredOff}). */
export async function bootVm({
  limitMs,
  ...opts
}: StartVm & { limitMs: number }): ReturnType<typeof untilPoweredOff> {
  return untilPoweredOff(await startVm(opts), limitMs);
}
