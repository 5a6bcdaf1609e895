// The fleet playbook against two hosts: this machine (local) and the Debian 13 VM over SSH,
// forwarded from 127.0.0.1 only. The VM's guest step `serve` takes the harness's public key and
// starts sshd; Ansible does the rest with its own transports (fleet/podproof.yml).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEvidence, type Evidence } from '../src/exec/evidence.js';
import { type BackgroundProcess, exec } from '../src/exec/run.js';
import type { Session } from '../src/exec/session.js';
import { freePort } from '../src/host/ports.js';
import { planText } from './check.js';
import { type Accel, startVm, type VmImage } from './qemu.js';

/**
 * The inventory of the two hosts (pure): this machine, and the VM on a loopback port.
 * `vmArgs`: `prove` options for the VM only (a subset where emulation makes it slow).
 */
export function fleetInventory({
  port,
  key,
  timeScale,
  vmArgs = [],
}: {
  port: number;
  key: string;
  timeScale: number;
  vmArgs?: string[];
}): string {
  const ssh = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR';
  const env = JSON.stringify({ PODPROOF_TIME_SCALE: String(timeScale) });
  return [
    '[podproof]',
    'this-host ansible_connection=local ansible_python_interpreter=/usr/bin/python3',
    `debian13-vm ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root ansible_ssh_private_key_file=${key} ` +
      `ansible_ssh_common_args='${ssh}' ansible_python_interpreter=/usr/bin/python3 podproof_env='${env}'` +
      (vmArgs.length ? ` podproof_args='${JSON.stringify(vmArgs)}'` : ''),
    '',
  ].join('\n');
}

/** Resolve once `file` exists (the guest wrote it over 9p), the VM ended, or `limitMs` passed. */
async function untilFile(file: string, vm: BackgroundProcess, limitMs: number): Promise<boolean> {
  let ended = false;
  vm.ended.then(() => {
    ended = true;
  });
  const deadline = performance.now() + limitMs;
  // the guest's file arrives through a 9p share: no event reaches this side, so look, bounded
  while (!existsSync(file) && !ended && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 500));
  return existsSync(file);
}

/** Boot the VM for SSH, run the playbook over both hosts, stop the VM. Returns the playbook's evidence. */
export async function fleetRun({
  session,
  image,
  accel,
  timeScale,
  checkout,
  outDir,
  log,
  limitMs,
  vmArgs = [],
}: {
  session: Session;
  image: VmImage;
  accel: Accel;
  timeScale: number;
  checkout: string;
  outDir: string;
  log: (line: string) => void;
  limitMs: number;
  vmArgs?: string[];
}): Promise<Evidence> {
  const keys = session.tempDir('vm-ssh');
  const key = join(keys, 'id_ed25519');
  const made = await exec(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'podproof-vm', '-f', key]);
  if (made.exitCode !== 0) throw new Error(`ssh-keygen failed: ${describeEvidence(made)}`);
  const share = session.tempDir('vm-out');
  writeFileSync(join(share, 'plan'), planText({ steps: ['prepare', 'serve'], timeScale }));
  writeFileSync(join(share, 'authorized_key'), readFileSync(`${key}.pub`));
  const port = await freePort();
  const started = await startVm({
    session,
    image,
    accel,
    shares: { podproof: { path: checkout, readonly: true }, out: { path: share, readonly: false } },
    log,
    hostfwd: { port },
  });
  if (!(await untilFile(join(share, 'ssh-ready'), started.vm, limitMs)))
    throw new Error(`the VM did not start sshd (console: ${join(started.dir, 'console.log')})`);
  log(`the VM serves SSH on 127.0.0.1:${port}; running the playbook over this machine and the VM`);
  const inventory = join(keys, 'inventory.ini');
  writeFileSync(inventory, fleetInventory({ port, key, timeScale, vmArgs }));
  const play = await exec(
    [
      'ansible-playbook',
      '-i',
      inventory,
      join(checkout, 'fleet', 'podproof.yml'),
      '-e',
      `podproof_out=${outDir}`,
    ],
    {
      cwd: checkout,
      timeoutMs: limitMs,
      signal: session.signal,
      // Ansible's own log, written as it goes (a slow VM task can be followed there)
      env: {
        // ansible ends a task over its time itself: killed from outside, its forked workers would
        // keep the play's output open (and the VM's prove running) past this bound
        ANSIBLE_TASK_TIMEOUT: String(Math.max(60, Math.floor(limitMs / 1000) - 120)),
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_LOG_PATH: join(outDir, 'ansible.log'),
      },
      purpose: 'the fleet playbook over this machine and the VM',
    },
  );
  writeFileSync(join(outDir, 'fleet.log'), `${play.stdout}\n${play.stderr}`);
  await started.vm.stop();
  return play;
}
