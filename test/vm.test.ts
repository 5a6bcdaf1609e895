// The VM harness's pure parts: its recipe and cache key, the accelerator trial's reading, qemu's
// argv, the guest's plan and the acceptance checks over captured guest output.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkVmReports, crunPlan, notOnTheRunningUnit, planText, STEPS } from '../vm/check.js';
import { fleetInventory } from '../vm/fleet.js';
import {
  bootFiles,
  crunSource,
  installedVersions,
  mmdebstrapArgv,
  parsePackages,
  recipeHash,
} from '../vm/image.js';
import { KINDS, kindPackages, kindsAsked } from '../vm/kinds.js';
import { followGuestLogs, guestProgressPrinter, progressLines } from '../vm/progress.js';
import { accelArgs, classifyKvmTrial, qemuArgv } from '../vm/qemu.js';

describe('the VM image recipe', () => {
  it('reads one package per line, without comments', () => {
    expect(parsePackages('# boot\nsystemd\n  podman # 5.4\n\ncrun\n')).toEqual(['systemd', 'podman', 'crun']);
  });
  it('is keyed by what decides the image: packages and the customize hook', () => {
    const a = recipeHash({ packagesText: 'systemd\npodman\n', customizeText: 'echo a' });
    expect(recipeHash({ packagesText: '# note\nsystemd\npodman\n', customizeText: 'echo a' })).toBe(a);
    expect(recipeHash({ packagesText: 'systemd\npodman\ncrun\n', customizeText: 'echo a' })).not.toBe(a);
    expect(recipeHash({ packagesText: 'systemd\npodman\n', customizeText: 'echo b' })).not.toBe(a);
  });
  it('builds in unshare mode (its mounts die with it) from Debian 13, stock crun on request', () => {
    const argv = mmdebstrapArgv({
      packages: ['systemd', 'podman', 'crun'],
      customize: '/t/c',
      tarball: '/t/r.tar',
      crun: 'trixie',
    });
    expect(argv).toContain('--mode=unshare');
    expect(argv).toContain('--include=systemd,podman,crun');
    expect(argv.slice(-3)).toEqual(['trixie', '/t/r.tar', 'http://deb.debian.org/debian']);
    expect(argv.join(' ')).not.toContain('forky');
  });
  it('takes crun alone from forky by default: trixie stays the default release', () => {
    const argv = mmdebstrapArgv({
      packages: ['systemd', 'crun', 'crun-extra'],
      customize: '/t/c',
      tarball: '/t/r.tar',
    });
    expect(argv).toContain('--include=systemd,crun/forky,crun-extra');
    expect(argv).toContain('--aptopt=APT::Default-Release "trixie"');
    expect(argv.slice(-4)).toEqual([
      'trixie',
      '/t/r.tar',
      'deb http://deb.debian.org/debian trixie main',
      'deb [check-valid-until=no] http://deb.debian.org/debian forky main',
    ]);
    const recipe = { packagesText: 'crun\n', customizeText: 'echo a' };
    expect(recipeHash({ ...recipe, crun: 'trixie' })).not.toBe(recipeHash(recipe));
  });
  it('reads the crun source from PODPROOF_VM_CRUN and names a wrong one', () => {
    expect(crunSource({})).toBe('forky');
    expect(crunSource({ PODPROOF_VM_CRUN: 'trixie' })).toBe('trixie');
    expect(() => crunSource({ PODPROOF_VM_CRUN: 'sid' })).toThrow(
      /PODPROOF_VM_CRUN=sid: expected one of forky, trixie/,
    );
  });
  it('reads installed versions from dpkg status, not removed or other packages', () => {
    const status = [
      'Package: crun\nStatus: install ok installed\nVersion: 1.28-1',
      'Package: runc\nStatus: deinstall ok config-files\nVersion: 1.1.15+ds1-2+b4',
      'Package: podman\nStatus: install ok installed\nVersion: 5.4.2+ds1-2',
      'Package: curl\nStatus: install ok installed\nVersion: 8.14.1-2',
    ].join('\n\n');
    expect(installedVersions(status, ['crun', 'runc', 'podman'])).toEqual({
      crun: '1.28-1',
      podman: '5.4.2+ds1-2',
    });
  });
  it('boots the newest kernel with its own initrd, and says what /boot lacks', () => {
    const names = [
      'vmlinuz-6.12.1-amd64',
      'initrd.img-6.12.1-amd64',
      'initrd.img-6.12.1-amd64.dpkg-bak',
      'config-6.12.1-amd64',
    ];
    expect(bootFiles(names)).toEqual({
      kernel: 'vmlinuz-6.12.1-amd64',
      initrd: 'initrd.img-6.12.1-amd64',
      version: '6.12.1-amd64',
    });
    expect(() => bootFiles(['vmlinuz-6.12.1-amd64'])).toThrow(/no initrd.img-6.12.1-amd64/);
    expect(() => bootFiles([])).toThrow(/no kernel/);
  });
});

describe('the accelerator, found by trying', () => {
  it('is KVM once the kernel printed its banner under it', () => {
    expect(
      classifyKvmTrial({ console: '[0.000] Linux version 6.12.1 (debian)', stderr: '', exited: false }).works,
    ).toBe(true);
  });
  it("is TCG when KVM cannot run Debian's kernel (a PVM-only /dev/kvm)", () => {
    const r = classifyKvmTrial({
      console: '',
      stderr: 'KVM internal error. Suberror: 1\nemulation failure\nRAX=...',
      exited: false,
    });
    expect(r).toEqual({ works: false, why: 'KVM cannot run this kernel: KVM internal error. Suberror: 1' });
  });
  it('is TCG when nothing came in time, or qemu gave up', () => {
    expect(classifyKvmTrial({ console: '', stderr: '', exited: false })).toMatchObject({
      works: false,
      why: /in time/,
    });
    expect(
      classifyKvmTrial({ console: '', stderr: 'qemu: could not open /dev/kvm', exited: true }),
    ).toMatchObject({
      works: false,
      why: /qemu exited/,
    });
  });
  it('gives TCG every CPU feature qemu has, KVM the host CPU', () => {
    expect(accelArgs('tcg')).toEqual(['-accel', 'tcg,thread=multi', '-cpu', 'max']);
    expect(accelArgs('kvm')).toEqual(['-accel', 'kvm', '-cpu', 'host']);
  });
});

describe('qemu argv', () => {
  const image = { kernel: '/c/vmlinuz', initrd: '/c/initrd.img', disk: '/c/disk.img' };
  const base = { image, overlay: '/t/o.qcow2', accel: 'tcg' as const, consoleFile: '/t/console.log' };
  it('has a restricted network (no way out), the checkout read-only and the output writable', () => {
    const argv = qemuArgv({
      ...base,
      shares: { podproof: { path: '/src', readonly: true }, out: { path: '/t/out', readonly: false } },
    });
    expect(argv).toContain('user,model=virtio-net-pci,restrict=on,net=10.0.2.0/24');
    expect(argv).toContain('local,path=/src,mount_tag=podproof,security_model=none,readonly=on');
    expect(argv).toContain('local,path=/t/out,mount_tag=out,security_model=none');
    expect(argv).toContain('file=/t/o.qcow2,format=qcow2,if=virtio,cache=unsafe');
  });
  it('boots a TCG guest without address randomization (translations reused), a KVM guest as Debian does', () => {
    const append = (accel: 'tcg' | 'kvm') => {
      const argv = qemuArgv({ ...base, accel, shares: {} });
      return argv[argv.indexOf('-append') + 1]?.split(' ') ?? [];
    };
    expect(append('tcg')).toContain('norandmaps');
    expect(append('kvm')).not.toContain('norandmaps');
  });
  it('forwards SSH from loopback only, with restricted user networking', () => {
    const argv = qemuArgv({ ...base, shares: {}, hostfwd: { port: 2222 } });
    expect(argv).toContain(
      'user,model=virtio-net-pci,restrict=on,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:2222-:22',
    );
    expect(argv.join(' ')).not.toContain('-nic none');
  });
});

describe('the guest plan', () => {
  it('is shell words the guest can source, quotes kept', () => {
    expect(planText({ proveArgs: "--only 'pid'", timeScale: 8 })).toBe(
      `STEPS='${STEPS.join(' ')}'\nPROVE_ARGS='--only '\\''pid'\\'''\nUSER_ARGS='--only '\\''pid'\\'''\nTIME_SCALE='8'\nWAIVERS=''\nREBOOT_RUNTIME=''\nHOST_LOCK=''\n`,
    );
  });
  it('waives the crun#1828 rows and runs the reboot test with runc only on the stock-crun image', () => {
    expect(crunPlan('forky')).toEqual({ waivers: '', rebootRuntime: '' });
    expect(planText({ ...crunPlan('trixie') })).toContain(
      "WAIVERS='vm/waivers-trixie-crun.json'\nREBOOT_RUNTIME='runc'\n",
    );
  });
});

describe('the VM acceptance checks', () => {
  const row = (claim: string, identity: string, verdict: string, reason = 'r') => ({
    claim,
    identity,
    verdict,
    reason,
  });
  const report = (rows: ReturnType<typeof row>[]) => ({ results: rows });
  const good = [
    row('systemd.pull-blocked', 'rootful', 'proven'),
    row('network.egress-blocked', 'rootful', 'proven'),
    row('network.egress-blocked', 'rootless', 'proven'),
    row('loginuid.kept', 'rootless', 'skipped', 'needs X'),
  ];
  const guest = (over = {}) => ({
    done: true,
    failed: undefined,
    reports: { root: report(good), user: report(good) },
    cleanCheck: '0',
    reboot: {
      treatment: { served: true, detail: 'hello' },
      control: {
        served: false,
        detail: 'Error: cannot set up namespace using "/usr/bin/newuidmap": exit status 1',
      },
    },
    ...over,
  });
  it('pass a finished run with every row proven or skipped, and list the skips', () => {
    const r = checkVmReports(guest());
    expect(r.problems).toEqual([]);
    expect(r.skipped).toEqual([
      'root: loginuid.kept (rootless): needs X',
      'user: loginuid.kept (rootless): needs X',
    ]);
  });
  it('fail a refuted row, a skipped rootful systemd row, a missing report', () => {
    const bad = [...good.slice(1), row('systemd.pull-blocked', 'rootful', 'skipped', 'PID 1 is not systemd')];
    const r = checkVmReports(
      guest({ reports: { root: report([...good, row('pid.x', 'rootful', 'refuted')]), user: report(bad) } }),
    );
    expect(r.problems).toEqual([
      'root: pid.x (rootful) refuted: r',
      'user: systemd.pull-blocked (rootful) must be proven here, is skipped',
    ]);
    expect(checkVmReports(guest({ reports: { root: report(good), user: undefined } })).problems).toEqual([
      'no report from the user run',
    ]);
  });
  it("accept a run of a part without those rows (the CI's normal user), but not when no run has them", () => {
    const loopback = report([row('network.loopback-only', 'rootless', 'proven')]);
    expect(checkVmReports(guest({ reports: { root: report(good), user: loopback } })).problems).toEqual([]);
    expect(checkVmReports(guest({ reports: { root: loopback, user: loopback } })).problems).toEqual([
      'no run proved a rootful systemd.* or an egress row',
    ]);
  });
  it('fail a reboot test whose control still served, or that never finished', () => {
    expect(
      checkVmReports(
        guest({
          reboot: { treatment: { served: true, detail: '' }, control: { served: true, detail: 'x' } },
        }),
      ).problems,
    ).toEqual(['reboot test: without the oneshot, the restricted service still served after boot (x)']);
    expect(checkVmReports(guest({ reboot: undefined, done: false })).problems).toEqual([
      'the guest did not finish its steps',
      'the reboot test did not finish',
    ]);
  });
  it('accept a refuted row a waiver names (a runtime bug), and list it', () => {
    const waived = {
      ...row('systemd.restricted-still-serves', 'rootful', 'refuted'),
      waiver: { reason: 'crun#1828', expires: '2027-06-30' },
    };
    const r = checkVmReports(guest({ reports: { root: report([...good, waived]), user: report(good) } }));
    expect(r.problems).toEqual([]);
    expect(r.waived).toEqual([
      'root: systemd.restricted-still-serves (rootful) refuted, waived until 2027-06-30: crun#1828',
    ]);
  });
  it('fail a reboot control that failed for another reason than the user namespace', () => {
    const crash = { served: false, detail: 'conmon: Failed to create container: exit status 139' };
    expect(
      checkVmReports(guest({ reboot: { treatment: { served: true, detail: '' }, control: crash } })).problems,
    ).toEqual([
      `reboot test: without the oneshot the service failed, but not for the user namespace (${crash.detail})`,
    ]);
  });
  it('fail leftovers in the VM and a guest that failed', () => {
    expect(checkVmReports(guest({ cleanCheck: '1', failed: 'prepare-host exited 100' })).problems).toEqual([
      'the guest failed: prepare-host exited 100',
      'podproof clean --check in the VM found leftovers (exit 1)',
    ]);
  });
});

describe('the fleet inventory of this machine and the VM', () => {
  it('reaches the VM over SSH on a loopback port only, with its time scale', () => {
    const text = fleetInventory({ port: 40022, key: '/t/id', timeScale: 8 });
    expect(text).toContain('this-host ansible_connection=local');
    expect(text).toContain('debian13-vm ansible_host=127.0.0.1 ansible_port=40022 ansible_user=root');
    expect(text).toContain('ansible_ssh_private_key_file=/t/id');
    expect(text).toContain(`podproof_env='{"PODPROOF_TIME_SCALE":"8"}'`);
    expect(text).not.toContain('podproof_args');
  });
  it('passes prove options to the VM alone', () => {
    const text = fleetInventory({ port: 1, key: 'k', timeScale: 1, vmArgs: ['--only', 'pid'] });
    expect(text.split('\n')[2]).toContain(`podproof_args='["--only","pid"]'`);
    expect(text.split('\n')[1]).not.toContain('podproof_args');
  });
});

describe("the VM's Quadlet step", () => {
  const row = (claim: string, purposes: string[]) => ({
    claim,
    identity: 'rootless',
    verdict: 'proven',
    reason: 'r',
    evidence: purposes.map((purpose) => ({ purpose })),
  });
  it("asks every hardened row but seccomp and [Service] to cite the running unit's side read", () => {
    const side = 'treatment: --read-only: podproof-s-treatment-3.service read from the host side (PID 812)';
    expect(
      notOnTheRunningUnit([
        row('hardened-container.read-only', [side]),
        row('hardened-container.seccomp', ['treatment: probe']),
        row('hardened-container.service-no-new-privileges', ['treatment: a service']),
        row('shell-less-container.read-only', ['treatment: probe']),
      ]),
    ).toEqual([]);
    expect(notOnTheRunningUnit([row('hardened-container.user', ['treatment: --user=1000:1000'])])).toEqual([
      'quadlet: hardened-container.user (rootless) was not observed on the running unit',
    ]);
  });
});

describe("the guest's progress on the host", () => {
  it('keeps the steps, each row and the summaries', () => {
    const text = [
      'podproof-vm: [49.12 s] step prove',
      'podproof: detecting the host',
      'podproof: [3 of 56, about 1178 s left] systemd.pull-blocked (rootful): proven',
      '  network.loopback-only  proven  proven',
      '56 proven in 505.0 s (session mxd13livaee944)',
      '6 proven, 1 skipped in 46.1 s (session mxd36mh75d184a)',
      '2 error in 12.0 s (session mxd5w77r352e5d)',
      '',
    ].join('\n');
    expect(progressLines(text)).toEqual([
      'podproof-vm: [49.12 s] step prove',
      'podproof: [3 of 56, about 1178 s left] systemd.pull-blocked (rootful): proven',
      '56 proven in 505.0 s (session mxd13livaee944)',
      '6 proven, 1 skipped in 46.1 s (session mxd36mh75d184a)',
      '2 error in 12.0 s (session mxd5w77r352e5d)',
    ]);
  });
  it('prints each line once, as it lands, whole lines only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podproof-vm-progress-'));
    try {
      const seen: string[] = [];
      let heard: () => void = () => undefined;
      const follow = followGuestLogs(dir, (file, line) => {
        seen.push(`${file} ${line}`);
        heard();
      });
      const next = () => new Promise<void>((resolve) => (heard = resolve));
      let landed = next();
      appendFileSync(join(dir, 'boot.log'), 'podproof-vm: [1.0 s] step prove\npodproof-vm: [2.0');
      await landed;
      expect(seen).toEqual(['boot.log podproof-vm: [1.0 s] step prove']);
      landed = next();
      appendFileSync(join(dir, 'boot.log'), ' s] step prove done\n');
      await landed;
      appendFileSync(
        join(dir, 'prove-root.log'),
        'podproof: [1 of 2, about 3 s left] pid.isolated (rootful): proven',
      );
      follow.stop();
      expect(seen).toEqual([
        'boot.log podproof-vm: [1.0 s] step prove',
        'boot.log podproof-vm: [2.0 s] step prove done',
        'prove-root.log podproof: [1 of 2, about 3 s left] pid.isolated (rootful): proven',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the guest's progress printer", () => {
  const sink = (isTTY: boolean) => {
    let text = '';
    const write = (s: string) => {
      text += s;
      return true;
    };
    return { out: { isTTY, columns: 200, write }, text: () => text };
  };
  const lines = [
    'podproof-vm: [49.12 s] step prove',
    'podproof: [1 of 3, about 8 s left] pid.isolated (rootful): proven',
    'podproof: [2 of 3, about 4 s left] lsm.apparmor-confined (rootless): skipped',
    'podproof: [3 of 3] network.egress-blocked (rootful): refuted',
    '2 proven, 1 refuted in 12.0 s (session mxd5w77r352e5d)',
  ];
  it('on a terminal: rows proven or skipped update one line; steps, summaries and other verdicts stay', () => {
    const s = sink(true);
    const p = guestProgressPrinter(s.out as never, {});
    for (const l of lines) p.print('g: ', l);
    p.done();
    expect(s.text()).toBe(
      'g: podproof-vm: [49.12 s] step prove\n' +
        '\r\x1b[Kg: podproof: [1 of 3, about 8 s left] pid.isolated (rootful): proven' +
        '\r\x1b[Kg: podproof: [2 of 3, about 4 s left] lsm.apparmor-confined (rootless): skipped' +
        '\r\x1b[Kg: podproof: [3 of 3] network.egress-blocked (rootful): refuted\n' +
        'g: 2 proven, 1 refuted in 12.0 s (session mxd5w77r352e5d)\n',
    );
  });
  it('in CI or a log: every line plainly', () => {
    for (const [isTTY, env] of [
      [false, {}],
      [true, { CI: 'true' }],
    ] as const) {
      const s = sink(isTTY);
      const p = guestProgressPrinter(s.out as never, env);
      for (const l of lines) p.print('g: ', l);
      p.done();
      expect(s.text()).toBe(lines.map((l) => `g: ${l}\n`).join(''));
    }
  });
});

describe('host kinds (--kind)', () => {
  it('reads --kind, --kind=, PODPROOF_VM_KIND and all; names a wrong one', () => {
    expect(kindsAsked([], {}).map((k) => k.name)).toEqual(['trixie']);
    expect(kindsAsked(['--kind', 'sid'], {}).map((k) => k.name)).toEqual(['sid']);
    expect(kindsAsked(['--kind=bookworm'], {}).map((k) => k.name)).toEqual(['bookworm']);
    expect(kindsAsked([], { PODPROOF_VM_KIND: 'sid-selinux' }).map((k) => k.name)).toEqual(['sid-selinux']);
    expect(kindsAsked(['--kind', 'all'], {}).map((k) => k.name)).toEqual([
      'trixie',
      'sid',
      'bookworm',
      'sid-selinux',
    ]);
    expect(() => kindsAsked(['--kind', 'fedora'], {})).toThrow(
      /--kind fedora: expected one of trixie, sid, bookworm, sid-selinux, or all/,
    );
  });
  it("keeps trixie's recipe hash what it was before kinds (its cached image stays valid)", () => {
    const recipe = { packagesText: 'systemd\ncrun\nnodejs\n', customizeText: 'echo a' };
    expect(recipeHash({ ...recipe, kind: KINDS.trixie })).toBe(recipeHash(recipe));
    const hashes = new Set(Object.values(KINDS).map((kind) => recipeHash({ ...recipe, kind })));
    expect(hashes.size).toBe(4);
  });
  it('builds sid from sid alone, named for its kind', () => {
    const argv = mmdebstrapArgv({
      packages: ['podman', 'crun'],
      customize: '/t/c',
      tarball: '/t/r.tar',
      kind: KINDS.sid,
    });
    expect(argv).toContain('--include=podman,crun');
    // a mirror weeks behind would fail sid's week-long Valid-Until
    expect(argv.slice(-3)).toEqual([
      'sid',
      '/t/r.tar',
      'deb [check-valid-until=no] http://deb.debian.org/debian sid main',
    ]);
    expect(argv.join(' ')).not.toContain('forky');
    expect(argv.join(' ')).toContain('printf \'podproof-vm-sid\\n\' >"$1/etc/hostname"');
  });
  it("builds bookworm with the host's node in place of its nodejs 18, and without the Quadlet step", () => {
    const packages = kindPackages(KINDS.bookworm, ['podman', 'nodejs', 'busybox-static']);
    expect(packages).toEqual(['podman', 'busybox-static', 'libstdc++6']);
    const argv = mmdebstrapArgv({
      packages,
      customize: '/t/c',
      tarball: '/t/r.tar',
      kind: KINDS.bookworm,
      node: '/usr/bin/node',
    });
    expect(argv).toContain('--customize-hook=copy-in /usr/bin/node /usr/local/bin');
    expect(argv.slice(-3, -1)).toEqual(['bookworm', '/t/r.tar']);
    expect(KINDS.bookworm.without?.steps).toEqual(['quadlet']);
  });
  it('builds sid-selinux with the policy instead of AppArmor, enforcing, SELinux the major module', () => {
    const packages = kindPackages(KINDS['sid-selinux'], ['podman', 'apparmor']);
    expect(packages).toContain('policycoreutils');
    expect(packages).not.toContain('apparmor');
    // the policy comes from a hook that works around its postinst (see vm/kinds.ts)
    expect(KINDS['sid-selinux'].firstHooks?.join('\n')).toContain(
      'apt-get install -y -q selinux-policy-default',
    );
    expect(KINDS['sid-selinux'].kernelArgs).toContain('security=selinux');
    expect(
      mmdebstrapArgv({ packages, customize: '/c', tarball: '/r', kind: KINDS['sid-selinux'] }).join(' '),
    ).toContain('SELINUX=enforcing');
  });
  it("requires the kind's own confinement claim proven as root", () => {
    const guest = {
      done: true,
      reports: {
        root: {
          results: [
            {
              claim: 'lsm.apparmor-confined',
              identity: 'rootful',
              verdict: 'skipped',
              reason: 'no AppArmor',
            },
            { claim: 'lsm.selinux-confined', identity: 'rootful', verdict: 'skipped', reason: 'x' },
          ],
        },
        user: { results: [] },
      },
      cleanCheck: '0',
    };
    expect(checkVmReports(guest, 'selinux').problems).toContain(
      'root: lsm.selinux-confined (rootful) must be proven here, is skipped',
    );
    expect(checkVmReports(guest, 'selinux').problems.join('\n')).not.toContain('lsm.apparmor-confined');
  });
});

describe('a targeted plan (CI part of a kind)', () => {
  const rows = (claim: string, verdict = 'proven') => ({
    results: [{ claim, identity: 'rootful', verdict, reason: '' }],
  });
  it('requires no reboot test it did not plan, nor rows its --only could not select', () => {
    const guest = {
      done: true,
      reports: { root: rows('lsm.selinux-confined'), user: rows('lsm.selinux-confined') },
      cleanCheck: '0',
    };
    expect(
      checkVmReports(guest, 'selinux', { steps: ['prepare', 'prove'], targeted: true }).problems,
    ).toEqual([]);
    // the whole plan still wants the reboot test, and some row the kind is for
    expect(checkVmReports(guest, 'selinux').problems).toEqual(['the reboot test did not finish']);
    const other = { ...guest, reports: { root: rows('pid.isolated'), user: undefined } };
    expect(
      checkVmReports(other, 'selinux', { steps: ['prepare', 'prove'], targeted: false }).problems,
    ).toContain('no run proved a rootful systemd.* or an egress row');
  });
});
