// The systemd claims' checks on what the VM and this host printed: the right failure, and the
// wrong ones (a crash, a running service, a runtime bug, silence).
import { describe, expect, it } from 'vitest';
import { checkRestrictedPullFails } from '../../src/claims/systemd.js';
import { checkServesAll, type EchoRun } from '../../src/claims/systemd-echo.js';
import { checkOnlyLoopback, checkRanWithoutSockets } from '../../src/claims/systemd-socket.js';
import { checkUsernsRefused } from '../../src/claims/systemd-userns.js';
import type { Identity } from '../../src/exec/identity.js';
import { parseServiceEnd, socketUnitListened } from '../../src/systemd/echo.js';
import type { Send } from '../../src/systemd/serve.js';
import { ensureUserNamespace } from '../../src/systemd/userns.js';
import { observed } from '../support/observations.js';

const arms = (claim: string) => observed<unknown, EchoRun>(claim, 'rootless');

describe('a send that did not echo counts only while the socket unit listened (a stopped manager is no observation)', () => {
  it('holds for a listening socket, and for one its failing service made fail (the trigger limit)', () => {
    expect(socketUnitListened({ exitCode: 0, stdout: 'ActiveState=active\n' }).listened).toBe(true);
    expect(socketUnitListened({ exitCode: 0, stdout: 'ActiveState=failed\n' }).listened).toBe(true);
  });

  it('fails where a restarted manager never started it, or no manager answers', () => {
    // as the fault suite's restarted user manager answered (suites/faults.ts)
    expect(socketUnitListened({ exitCode: 0, stdout: 'ActiveState=inactive\n' })).toEqual({
      listened: false,
      state: 'inactive',
    });
    expect(
      socketUnitListened({ exitCode: 1, stdout: '' }).listened,
      'Failed to connect to bus: No such file or directory',
    ).toBe(false);
  });
});

describe('systemd.socket-activation: the control ran and served nothing', () => {
  const { treatment: t, control: c } = arms('systemd.socket-activation');
  // systemctl show of the control's service once it had ended (this host, podman 4.3)
  const ended = parseServiceEnd(
    'ExecMainExitTimestampMonotonic=81852934314\nExecMainCode=1\nExecMainStatus=3\nActiveState=failed\n',
  );
  it('holds for the echo server\'s own "no sockets" exit, not for the treatment\'s sends', () => {
    expect(checkRanWithoutSockets(c.sends, ended).holds).toBe(true);
    expect(checkRanWithoutSockets(t.sends, ended).holds).toBe(false);
  });
  it('a service not yet ended, a podman that could not start the container, or a kill is no contrast', () => {
    const running = parseServiceEnd(
      'ExecMainExitTimestampMonotonic=0\nExecMainCode=0\nExecMainStatus=0\nActiveState=active\n',
    );
    expect(running.ended).toBe(false);
    expect(checkRanWithoutSockets(c.sends, running).holds).toBe(false);
    const crashed = parseServiceEnd(
      'ExecMainExitTimestampMonotonic=9\nExecMainCode=1\nExecMainStatus=125\nActiveState=failed',
    );
    expect(checkRanWithoutSockets(c.sends, crashed).holds).toBe(false);
    const killed = parseServiceEnd(
      'ExecMainExitTimestampMonotonic=9\nExecMainCode=2\nExecMainStatus=3\nActiveState=failed',
    );
    expect(killed.signal).toBe(3);
    expect(checkRanWithoutSockets(c.sends, killed).holds).toBe(false);
  });
  it('a service its (restarted) manager never ran is told apart, not waited for', () => {
    // as the fault suite's restarted user manager answered for the service started before it
    const lost = parseServiceEnd(
      'ActiveState=inactive\nExecMainCode=0\nExecMainStatus=0\nExecMainStartTimestampMonotonic=0\nExecMainExitTimestampMonotonic=0\n',
    );
    expect(lost).toMatchObject({ ended: false, neverRan: true });
    expect(
      parseServiceEnd(
        'ActiveState=inactive\nExecMainCode=1\nExecMainStatus=3\nExecMainStartTimestampMonotonic=8\nExecMainExitTimestampMonotonic=9\n',
      ),
    ).toMatchObject({ ended: true, exitCode: 3 });
    expect(
      parseServiceEnd('ActiveState=active\nExecMainStartTimestampMonotonic=8\n').neverRan,
    ).toBeUndefined();
  });
  it("the container's interfaces come from the echo server, not from a socket's echo", () => {
    expect(checkOnlyLoopback(t.interfaces).holds).toBe(true);
    expect(checkOnlyLoopback(c.sends[0]?.e).holds).toBe(false);
  });
});

describe('systemd.restricted-still-serves: the control failed for the refused pull', () => {
  const { treatment: t, control: c } = arms('systemd.restricted-still-serves');
  const first = (run: EchoRun) => run.sends[0]?.e;
  // podman 5.4 in the Debian 13 VM (TCG): the start limit never reached, is-failed said
  // active/active; the service's journal (its podman's event line, then systemd's)
  const pulled = [
    ' 10:09:21.490943696 +0000 UTC m=+4.149981336 image pull-error  localhost/podproof/node:ec25c24b55ce4010 initializing source docker://localhost/podproof/node:ec25c24b55ce4010: pinging container registry localhost: Get "https://localhost/v2/": dial tcp 127.0.0.1:443: socket: address family not supported by protocol',
    'podproof-mwxe0npp87b7d7-echo-12.service: Main process exited, code=exited, status=125/n/a',
    "podproof-mwxe0npp87b7d7-echo-12.service: Failed with result 'exit-code'.",
  ].join('\n');
  const crun =
    'conmon 377d17b1201b95f6cba4 <nwarn>: runtime stderr: recvfrom(PF_NETLINK): Address family not supported by protocol';
  it("systemd's failed service and socket, or the pull's own error in the journal", () => {
    expect(checkRestrictedPullFails(first(c), ['failed', 'failed']).holds).toBe(true);
    expect(checkRestrictedPullFails(first(t), ['failed', 'failed']).holds).toBe(false);
    expect(checkRestrictedPullFails(first(c), ['active', 'active']).holds).toBe(false);
    expect(checkRestrictedPullFails(first(c), ['active', 'active'], pulled).holds).toBe(true);
  });
  it("the treatment's own failure (crun) is not a refused pull, nor is an echo that came back", () => {
    expect(checkRestrictedPullFails(first(c), ['active', 'active'], crun).holds).toBe(false);
    expect(checkRestrictedPullFails(first(t), ['active', 'active'], pulled).holds).toBe(false);
  });
  it('a socket not sent to, because the service had ended, is no echo', () => {
    const [sent, ...rest] = t.sends;
    if (!sent) throw new Error('no captured send');
    const line = 'podproof-x-echo-1.service: Main process exited, code=exited, status=126/n/a';
    const cut: Send[] = [sent, ...rest.map((x) => ({ name: x.name, ended: line }))];
    const o = checkServesAll('t', cut);
    expect(o.holds).toBe(false);
    expect(o.observed).toContain('not sent');
    expect(o.observed).toContain(line);
    expect(checkRanWithoutSockets(cut, { ended: true, exitCode: 3 }).holds).toBe(false);
  });
});

describe('systemd.userns-precreated: the right failure is the user namespace podman could not make', () => {
  // the control's service stderr in the Debian 13 VM (podman 5.4, crun 1.28), NoNewPrivileges
  const refused = [
    'time="2026-11-26T13:15:08Z" level=error msg="running `/usr/bin/newuidmap 2075 0 1001 1 1 1200000 65536`: newuidmap: write to uid_map failed: Operation not permitted\\n"',
    'time="2026-11-26T13:15:08Z" level=error msg="invalid internal status, try resetting the pause process with \\"/usr/bin/podman system migrate\\": cannot set up namespace using \\"/usr/bin/newuidmap\\": exit status 1"',
  ].join('\n');
  const crun =
    'conmon 377d17b1201b95f6cba4 <nwarn>: runtime stderr: recvfrom(PF_NETLINK): Address family not supported by protocol';
  it('newuidmap refused under NoNewPrivileges', () => {
    const o = checkUsernsRefused(false, 'without it: tcp4 stopped after 3 s without an answer', refused);
    expect(o.holds).toBe(true);
    expect(o.observed).toContain('newuidmap: write to uid_map failed');
  });
  it("the treatment's answer, a runtime bug or silence are not that failure", () => {
    expect(checkUsernsRefused(true, 'answered', refused).holds).toBe(false);
    expect(checkUsernsRefused(false, 'no answer', crun).holds).toBe(false);
    expect(checkUsernsRefused(false, 'no answer', '').holds).toBe(false);
  });
});

describe('systemd.restricted-still-serves: rootless, both arms join a user namespace made before the service', () => {
  // a restricted (NoNewPrivileges) rootless service cannot make one: an earlier claim
  // (systemd.userns-precreated) may have stopped the pause process after this claim's setup
  const podman = (up: boolean) => {
    const calls: string[][] = [];
    return {
      calls,
      pauseProcessUp: () => up,
      cmd: async (args: string[]) => {
        calls.push(args);
        return {
          argv: args,
          identity: 'rootless',
          exitCode: 0,
          stdout: '',
          stderr: '',
          durationMs: 1,
        } as never;
      },
    };
  };
  const who = (name: 'rootful' | 'rootless') => ({ name }) as Identity;

  it('rootless without a pause process: podman unshare makes one first', async () => {
    const p = podman(false);
    await ensureUserNamespace({ identity: who('rootless'), podman: p });
    expect(p.calls).toEqual([['unshare', '/bin/true']]);
  });
  it('rootless with one running, or rootful: no podman call', async () => {
    for (const [name, up] of [
      ['rootless', true],
      ['rootful', false],
    ] as const) {
      const p = podman(up);
      await ensureUserNamespace({ identity: who(name), podman: p });
      expect(p.calls).toEqual([]);
    }
  });
  it('a failed podman unshare is an error, not a service that could not serve', async () => {
    const p = podman(false);
    p.cmd = async (args: string[]) => {
      p.calls.push(args);
      return {
        argv: args,
        identity: 'rootless',
        exitCode: 125,
        stdout: '',
        stderr: 'Error: newuidmap',
        durationMs: 1,
      } as never;
    };
    await expect(ensureUserNamespace({ identity: who('rootless'), podman: p })).rejects.toThrow(/unshare/);
  });
});
