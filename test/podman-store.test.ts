import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../src/exec/identity.js';
import { storeConmon } from '../src/podman/orphans.js';
import {
  isContainerCleanup,
  isPauseJoinRace,
  isStaleRootlessState,
  netnsFileInSpec,
  repairEventsLog,
  sessionImageNamesIn,
  storagePaths,
  wholeEventLines,
  writesImages,
} from '../src/podman/podman.js';

describe('a stale rootless store (what a SIGKILL of the pause process and conmon leaves)', () => {
  // as CI met it, after the machine that ran an unfinished test was stopped (podman 4.3.1)
  const refused = {
    exitCode: 1,
    stderr:
      'time="2026-11-26T05:21:03Z" level=warning msg="\\"/\\" is not a shared mount, this could cause issues or missing mounts with rootless containers"\n' +
      'time="2026-11-26T05:21:03Z" level=error msg="invalid internal status, try resetting the pause process with \\"/usr/bin/podman system migrate\\": could not find any running process: no such process"\n',
  };
  it("is recognised by podman's own words, and only on a failure", () => {
    expect(isStaleRootlessState(refused)).toBe(true);
    expect(isStaleRootlessState({ ...refused, exitCode: 0 })).toBe(false);
  });
  it('is also the race where a conmon dies while podman joins it', () => {
    // seen on this host when the pause process and a conmon were SIGKILLed a moment before
    const raced =
      'level=error msg="invalid internal status, try resetting the pause process with \\"podman system migrate\\": cannot re-exec process to join the existing user namespace"\n';
    expect(isStaleRootlessState({ exitCode: 1, stderr: raced })).toBe(true);
  });
  it("is also a running container's network namespace file left unmounted (CI, after a SIGKILL of a whole run)", () => {
    const netns =
      'time="2026-12-05T21:40:11Z" level=error msg="joining network namespace of container 4b81fc8eb08c: retrieving network namespace at /run/user/1001/netns/netns-0c1d2e3f-aaaa-bbbb-cccc-1234567890ab: unknown FS magic on \\"/run/user/1001/netns/netns-0c1d2e3f-aaaa-bbbb-cccc-1234567890ab\\": 1021994"\n' +
      'Error: joining network namespace of container 4b81fc8eb08c: retrieving network namespace at /run/user/1001/netns/netns-0c1d2e3f-aaaa-bbbb-cccc-1234567890ab: unknown FS magic on "/run/user/1001/netns/netns-0c1d2e3f-aaaa-bbbb-cccc-1234567890ab": 1021994\n';
    expect(isStaleRootlessState({ exitCode: 125, stderr: netns })).toBe(true);
    // podman 3 and CNI said "error joining ... for container"
    const cni =
      'Error: error joining network namespace for container 88a8d5c7: error retrieving network namespace at /tmp/podman-run-1000/netns/cni-f73b0b0b: unknown FS magic on "/tmp/podman-run-1000/netns/cni-f73b0b0b": ef53\n';
    expect(isStaleRootlessState({ exitCode: 125, stderr: cni })).toBe(true);
    // the same words about another path (a user's bind mount) are not podman's own state
    expect(isStaleRootlessState({ exitCode: 125, stderr: 'Error: unknown FS magic on "/mnt/x": ef53' })).toBe(
      false,
    );
  });
  it('not a newuidmap that cannot map (the same first words, in the Debian 13 VM under NoNewPrivileges)', () => {
    const newuidmap =
      'time="2026-11-26T07:50:39Z" level=error msg="invalid internal status, try resetting the pause process with \\"/usr/bin/podman system migrate\\": cannot set up namespace using \\"/usr/bin/newuidmap\\": exit status 1"\n';
    expect(isStaleRootlessState({ exitCode: 1, stderr: newuidmap })).toBe(false);
  });
  it('another failure, or the warning alone, is not it', () => {
    expect(isStaleRootlessState({ exitCode: 1, stderr: refused.stderr.split('\n')[0] ?? '' })).toBe(false);
    expect(
      isStaleRootlessState({
        exitCode: 125,
        stderr: 'Error: cannot setup namespace using newuidmap: exit status 1',
      }),
    ).toBe(false);
  });
});

describe("a stale store's network namespace files (removed once podproof has reset its store)", () => {
  const spec = (path?: string) =>
    JSON.stringify({
      linux: { namespaces: [{ type: 'pid' }, { type: 'network', ...(path ? { path } : {}) }] },
    });
  const rootless = { uid: 1001, runtimeDir: '/run/user/1001' };
  it("takes the network namespace's file from the spec, in the identity's own netns dir only", () => {
    const file = '/run/user/1001/netns/netns-7ac18093-974d-b64c-6bdd-50ee51c7844a';
    expect(netnsFileInSpec(spec(file), rootless)).toBe(file);
    expect(netnsFileInSpec(spec('/run/netns/netns-1b2c'), { uid: 0, runtimeDir: '/run' })).toBe(
      '/run/netns/netns-1b2c',
    );
  });
  it('nothing for --network=none/host, a /proc path, a path that climbs out, or no JSON', () => {
    expect(netnsFileInSpec(spec(), rootless)).toBeUndefined();
    expect(netnsFileInSpec(spec('/proc/4242/ns/net'), rootless)).toBeUndefined();
    expect(netnsFileInSpec(spec('/run/user/1001/netns/../../../etc/passwd'), rootless)).toBeUndefined();
    expect(netnsFileInSpec(spec('/run/netns/netns-1b2c'), rootless)).toBeUndefined();
    expect(netnsFileInSpec('{', rootless)).toBeUndefined();
  });
});

describe("conmon's pending container cleanup (what settle waits for)", () => {
  const root = '/home/podproof/.cache/podproof/storage';
  it('is the podman process conmon starts when a container exits', () => {
    const cleanup = [
      '/usr/bin/podman',
      '--root',
      root,
      '--log-level',
      'warning',
      'container',
      'cleanup',
      'abc123',
    ];
    expect(isContainerCleanup(cleanup, root)).toBe(true);
    expect(isContainerCleanup(cleanup, '/var/lib/containers/storage')).toBe(false);
  });

  it('is not the conmon of a container still running (its exit command names both words apart)', () => {
    const conmon = [
      '/usr/bin/conmon',
      '--exit-command',
      '/usr/bin/podman',
      '--exit-command-arg',
      '--root',
      '--exit-command-arg',
      root,
      '--exit-command-arg',
      'container',
      '--exit-command-arg',
      'cleanup',
      '--exit-command-arg',
      'abc123',
    ];
    expect(isContainerCleanup(conmon, root)).toBe(false);
  });
});

describe("a store's running containers, from their conmon (Podman.runningContainers without a call)", () => {
  const root = '/home/podproof/.cache/podproof/storage';
  const id = '237170a77f0a3fb9411ae9b23808fa06ecb1af653d33d24dbfbcbf084ce33914';
  // as podman 4.3.1 starts it here (rootless, podproof's store)
  const conmon = (graphRoot: string) => [
    '/usr/bin/conmon',
    '--api-version',
    '1',
    '-c',
    id,
    '-u',
    id,
    '-r',
    '/usr/bin/runc',
    '-b',
    `${graphRoot}/overlay-containers/${id}/userdata`,
    '-n',
    'probe-x',
    '--exit-command',
    '/usr/bin/podman',
    '--exit-command-arg',
    '--root',
    '--exit-command-arg',
    graphRoot,
  ];

  it("names the container whose bundle is in the store's graph root", () => {
    expect(storeConmon(conmon(root), root)).toBe(id);
  });

  it('is no container of another store, nor a process that is not conmon', () => {
    expect(storeConmon(conmon('/home/podproof/.local/share/containers/storage'), root)).toBeUndefined();
    expect(storeConmon(conmon(`${root}-other`), root)).toBeUndefined();
    expect(storeConmon(['/usr/bin/podman', '-b', `${root}/x`, '-c', id, '-r', 'runc'], root)).toBeUndefined();
  });
});

describe('podman commands that write an image (their temp files go to the session, see Podman.imageTempDir)', () => {
  it('finds the subcommand after global flags and in the image group', () => {
    expect(writesImages(['pull', '--tls-verify=false', '127.0.0.1:5000/busybox-a'])).toBe(true);
    expect(writesImages(['--storage-driver', 'overlay', 'pull', 'x'])).toBe(true);
    expect(writesImages(['--log-level=debug', 'import', 'a.tar', 'localhost/x'])).toBe(true);
    expect(writesImages(['image', 'load', '-i', 'a.tar'])).toBe(true);
    expect(writesImages(['commit', '--change', 'CMD ["sh"]', 'c', 'i'])).toBe(true);
  });
  it('a run whose command says pull writes no image', () => {
    expect(writesImages(['run', '--rm', 'busybox', 'pull'])).toBe(false);
    expect(writesImages(['rmi', 'pull'])).toBe(false);
    expect(writesImages([])).toBe(false);
  });
});

describe("names of images pulled from a session's local registry (clean removes a dead session's)", () => {
  it('groups them by session; other names are not podproof sessions', () => {
    const names = [
      '127.0.0.1:46397/podproof-mxcly9c5634a1d/busybox-a:latest',
      '127.0.0.1:46397/podproof-mxcly9c5634a1d/signed:latest',
      '127.0.0.1:37399/podproof-mxclxoos62f5fa/other-key:latest',
      'localhost/podproof/busybox:8bd7729c8186d0d0',
      'localhost/podproof-web:1',
      'docker.io/library/alpine:latest',
    ].join('\n');
    expect(Object.fromEntries(sessionImageNamesIn(names))).toEqual({
      mxcly9c5634a1d: [
        '127.0.0.1:46397/podproof-mxcly9c5634a1d/busybox-a:latest',
        '127.0.0.1:46397/podproof-mxcly9c5634a1d/signed:latest',
      ],
      mxclxoos62f5fa: ['127.0.0.1:37399/podproof-mxclxoos62f5fa/other-key:latest'],
    });
  });
});

describe("rootless podman's start-up race with its pause process (run once more)", () => {
  it('is its one line at exit 1, nothing else', () => {
    // as the CI run of 2026-12-07 met it (podman 4.3.1, 34 ms)
    const race = { exitCode: 1, stderr: 'cannot chdir to /home/podproof: No such file or directory\n' };
    expect(isPauseJoinRace(race)).toBe(true);
    expect(isPauseJoinRace({ ...race, exitCode: 125 })).toBe(false);
    expect(isPauseJoinRace({ exitCode: 1, stderr: `Error: boom\n${race.stderr}` })).toBe(false);
    expect(isPauseJoinRace({ exitCode: 0, stderr: '' })).toBe(false);
  });
});

describe("podman's file events log (podman 4.3 stops reading at a torn line)", () => {
  it('keeps whole events and drops a torn one', () => {
    const whole = '{"ID":"a","Status":"start","Type":"container"}';
    // as CI left it: a write cut off, the next event written after it on the same line
    const torn = `{"ID":"7d6ae94f64a9e74b6369b1c1d3472f190${whole}`;
    expect(wholeEventLines([whole, torn, whole, ''].join('\n'))).toEqual({
      kept: [whole, whole, ''].join('\n'),
      dropped: 1,
    });
    expect(wholeEventLines(`${whole}\n`).dropped).toBe(0);
  });

  it("repairs podproof's own store's log in place of the old file, with its mode", () => {
    const home = mkdtempSync(join(tmpdir(), 'podproof-events-test-'));
    try {
      const uid = process.getuid?.() ?? 0;
      // an identity whose runtime dir is a temp dir (not uid 0: its log would be under /run/podproof)
      const who = {
        name: 'rootless',
        user: 'me',
        uid: uid || 4242,
        gid: 0,
        home,
        runtimeDir: home,
      } as Identity;
      const dir = join(storagePaths(who).tmpdir, 'events');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'events.log');
      const whole = '{"ID":"a","Status":"died","Type":"container"}';
      writeFileSync(file, [whole, `{"ID":"b","Sta${whole}`, whole, ''].join('\n'), { mode: 0o600 });
      expect(repairEventsLog(who)).toBe(1);
      expect(readFileSync(file, 'utf8')).toBe([whole, whole, ''].join('\n'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual(['events.log']);
      expect(repairEventsLog(who)).toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
