import { join } from 'node:path';
import type { Evidence } from '../exec/evidence.js';
import type { Identity } from '../exec/identity.js';
import { exec } from '../exec/run.js';
import { scaled } from '../exec/time-scale.js';
import { waitUntil } from '../exec/wait.js';
import { type Claim, type ClaimContext, isUnexplained, type Unexplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { changeMode, fileMode, pathExists } from '../host/files.js';
import { processTree, tcpListenersOf } from '../host/procs.js';
import { classifyEach } from './classify.js';

/** The local user that is not the socket's owner: `nobody` exists on every distribution. */
export const OTHER_USER = { name: 'nobody', uid: 65534, gid: 65534 };

/**
 * An HTTP client for the API socket, run by node itself (any host has it): `GET /_ping` over
 * the unix socket; prints `answer: STATUS-LINE | BODY` or `error: CODE` (EACCES, ECONNREFUSED).
 */
export const PING_JS = [
  "const s = require('net').connect(process.argv[1]); let out = '';",
  "s.on('connect', () => s.write('GET /_ping HTTP/1.0\\r\\nHost: d\\r\\n\\r\\n'));",
  "s.on('data', (d) => { out += d; });",
  "s.on('end', () => { const [head, body = ''] = out.split('\\r\\n\\r\\n'); console.log('answer: ' + head.split('\\r\\n')[0] + ' | ' + body.trim()); });",
  "s.on('error', (e) => { console.log('error: ' + e.code); process.exitCode = 2; });",
  "setTimeout(() => { console.log('error: TIMEOUT'); process.exit(3); }, 10000).unref();",
].join('\n');

/** What a ping got (pure): `ok` is podman's answer to /_ping, `denied` the kernel's EACCES. */
export function classifyPing(e: Pick<Evidence, 'stdout' | 'failure'>): 'ok' | 'denied' | 'other' {
  if (e.failure) return 'other';
  if (/^answer: HTTP\/1\.[01] 200 .*\| OK$/m.test(e.stdout)) return 'ok';
  if (/^error: EACCES$/m.test(e.stdout)) return 'denied';
  return 'other';
}

/** What one arm saw: the socket's mode, the owner's and the other user's ping, the service's TCP listeners. */
export interface ApiRun {
  mode: number;
  owner: Pick<Evidence, 'stdout' | 'failure'>;
  other: Pick<Evidence, 'stdout' | 'failure'>;
  /** `local:port` of each TCP socket the service's processes listen on. */
  tcpListeners: string[];
}

function results(run: ApiRun) {
  const pings = classifyEach(
    { owner: run.owner, other: run.other },
    classifyPing,
    'a ping failed for another reason than permissions',
  );
  if (isUnexplained(pings)) return pings;
  return {
    ...pings,
    observed: `socket mode ${(run.mode & 0o777).toString(8)}; owner: ${pings.owner}; ${OTHER_USER.name}: ${pings.other}; TCP listeners of the service: ${run.tcpListeners.join(', ') || 'none'}`,
  };
}

/** Treatment check (pure): the owner is answered, another user gets EACCES, the service listens on no TCP port. */
export function checkOwnerOnly(run: ApiRun): Observation | Unexplained {
  const r = results(run);
  if (isUnexplained(r)) return r;
  return {
    holds: r.owner === 'ok' && r.other === 'denied' && run.tcpListeners.length === 0,
    observed: r.observed,
  };
}

/** Control check (pure): the same socket made world-accessible answers the other user too. */
export function checkOthersAnswered(run: ApiRun): Observation | Unexplained {
  const r = results(run);
  if (isUnexplained(r)) return r;
  return { holds: r.owner === 'ok' && r.other === 'ok', observed: r.observed };
}

interface ApiSetup {
  socket: string;
  /** The service's process (its descendants are the service too: rootless podman re-executes itself). */
  pid: number;
}

/** Ping as the owner and as the other user, and look at the service's listeners. */
async function pingBoth(ctx: ClaimContext, s: ApiSetup, arm: string): Promise<ApiRun> {
  const ping = (as: 'owner' | 'other') =>
    as === 'owner'
      ? ctx.exec([process.execPath, '-e', PING_JS, s.socket], {
          purpose: `${arm}: /_ping as the owner`,
          timeoutMs: 20_000,
        })
      : exec(
          [
            'setpriv',
            `--reuid=${OTHER_USER.uid}`,
            `--regid=${OTHER_USER.gid}`,
            '--clear-groups',
            process.execPath,
            '-e',
            PING_JS,
            s.socket,
          ],
          // setpriv needs root: started as root (the harness itself, or sudo -n), not as the identity
          {
            identity: ctx.root,
            purpose: `${arm}: /_ping as ${OTHER_USER.name}`,
            timeoutMs: 20_000,
            log: ctx.log,
            signal: ctx.signal,
          },
        );
  const [owner, other] = [await ping('owner'), await ping('other')];
  return { mode: fileMode(s.socket), owner, other, tcpListeners: tcpListenersOf(processTree(s.pid)) };
}

/**
 * The other user's client needs root (setpriv to nobody): the harness itself, or `sudo -n`. The
 * service's TCP listeners are read from its processes' /proc entries, which only their own user
 * (or root) may read: as a normal user, that is the rootless row alone.
 */
export function apiNeeds(identity: Identity, root: Identity | undefined): string | undefined {
  if (!root)
    return `needs root (podproof run as root, or \`sudo -n\` for this user), to connect as another local user (${OTHER_USER.name}) with setpriv`;
  if (root.via !== 'self' && identity.via !== 'self')
    return `needs podproof to run as root: the service runs as ${identity.user} through sudo, and only root may read its sockets in /proc (run podproof as root for this row)`;
  return undefined;
}

export const apiSocketOwnerOnly: Claim<ApiSetup, ApiRun> = {
  id: 'api.socket-owner-only',
  title:
    "podman's API socket answers its owner only (another local user gets EACCES), and the service opens no TCP port",
  source:
    'podman-system-service(1): the socket is created for its owner; podman test/system/251-system-service.bats, 270-socket-activation.bats',
  identities: ['rootful', 'rootless'],
  needs: (_host, identity, { root }) => apiNeeds(identity, root),
  async setup(ctx) {
    // the service makes its socket here; the dir stays traversable, so the socket's own mode decides
    const dir = ctx.session.tempDir('api', { owner: ctx.identity });
    const socket = ctx.session.expectFile(join(dir, 'podman.sock'));
    const service = ctx.spawn(ctx.podman.argv(['system', 'service', '--time=0', `unix://${socket}`]), {
      purpose: 'podman system service on a socket of the harness',
    });
    if (!(await waitUntil(() => pathExists(socket), scaled(15_000), 100, ctx.signal)))
      throw new Error(`the API service did not create ${socket} within ${scaled(15_000) / 1000} s`);
    return { socket, pid: service.pid };
  },
  treatment: {
    setting: 'the socket as podman system service makes it',
    observe: (ctx, s) => pingBoth(ctx, s, 'treatment'),
    check: checkOwnerOnly,
  },
  control: {
    setting: 'the same socket made mode 0777 (anyone may use it)',
    async observe(ctx, s) {
      changeMode(s.socket, 0o777); // the documented opposite: a socket anyone may use
      return pingBoth(ctx, s, 'control');
    },
    check: checkOthersAnswered,
  },
};

export const apiClaims: Claim[] = [apiSocketOwnerOnly];
