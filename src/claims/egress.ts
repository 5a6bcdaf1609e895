import { existsSync } from 'node:fs';
import { describeEvidence, type Evidence, lastLine } from '../exec/evidence.js';
import { which } from '../exec/which.js';
import { BUSYBOX, CURL } from '../fixtures/images.js';
import { loopbackSink } from '../fixtures/sink.js';
import type { Claim, ClaimContext } from './types.js';
import { decide, type Side } from './verdict.js';

/** What a client run inside a container amounted to. */
export type ClientResult =
  | { kind: 'reached'; detail: string }
  | { kind: 'unreachable'; detail: string }
  | { kind: 'unresolved'; detail: string }
  | { kind: 'refused'; detail: string }
  | { kind: 'unexpected'; detail: string };

export type Client = 'curl' | 'nc';

/**
 * Classify a client's run (pure). Only the expected failures count as blocked: "Network is
 * unreachable" for an IP literal, "Could not resolve host"/"bad address" for a name. A crash, a
 * timeout, a missing binary or any other exit is `unexpected` (a harness error, never proof).
 */
export function classifyClient(client: Client, e: Evidence, token: string): ClientResult {
  const text = `${e.stdout}\n${e.stderr}`;
  const detail = `${client}: ${e.failure ?? (e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`)}${lastLine(e.stderr) ? `: ${lastLine(e.stderr)}` : ''}`;
  if (e.failure || e.signal || e.exitCode === null) return { kind: 'unexpected', detail };
  if (e.exitCode === 0 && e.stdout.includes(token))
    return { kind: 'reached', detail: `${client}: got the sink's token` };
  if (/Network is unreachable/.test(text)) return { kind: 'unreachable', detail };
  if (/Could not resolve host|bad address/.test(text)) return { kind: 'unresolved', detail };
  if (/Connection refused/.test(text)) return { kind: 'refused', detail };
  return { kind: 'unexpected', detail };
}

/** The address inside the container that reaches the host's loopback, and the network that provides it. */
export function controlNetwork(hasSlirp4netns: boolean): { flags: string[]; target: string } | undefined {
  // slirp4netns forwards 10.0.2.2 to the host's 127.0.0.1 with allow_host_loopback (rootful and rootless)
  return hasSlirp4netns
    ? { flags: ['--network=slirp4netns:allow_host_loopback=true'], target: '10.0.2.2' }
    : undefined;
}

/** A name that can never resolve (RFC 6761 `.invalid`); tried only inside --network=none. */
const UNRESOLVABLE = 'podproof-sink.invalid';

function clientArgv(client: Client, host: string, port: number): string[] {
  return client === 'curl'
    ? ['curl', '-v', '-sS', '--max-time', '10', '--noproxy', '*', `http://${host}:${port}/`]
    : ['nc', '-w', '5', host, String(port)];
}

async function runClient(
  ctx: ClaimContext,
  image: string,
  client: Client,
  flags: string[],
  host: string,
  port: number,
  purpose: string,
) {
  return ctx.podman.run({
    image,
    command: clientArgv(client, host, port),
    flags: ['--http-proxy=false', ...flags],
    purpose,
    input: client === 'nc' ? 'GET / HTTP/1.0\r\n\r\n' : undefined,
    timeoutMs: 60_000,
  });
}

export const egressBlocked: Claim = {
  id: 'network.egress-blocked',
  title: 'a client in a --network=none container can neither connect out nor resolve a name',
  source: '`curl` from a --network=none container: (6) Could not resolve host; to an IP: network unreachable',
  identities: ['rootful', 'rootless'],
  async run(ctx) {
    // the curl image copies the host's curl; without it, busybox nc is the client
    const client: Client = CURL.binaries.every((b) => existsSync(b)) ? 'curl' : 'nc';
    const image = await ctx.image(client === 'curl' ? CURL : BUSYBOX);
    const net = controlNetwork(which('slirp4netns') !== undefined);
    if (!net)
      return { verdict: 'skipped', reason: 'no network that reaches the host loopback (needs slirp4netns)' };
    const sink = await loopbackSink();
    try {
      // treatment first, alone, so any connection the sink sees during it is the treatment's
      const [toIp, toName] = await Promise.all([
        runClient(ctx, image, client, ['--network=none'], net.target, sink.port, 'treatment: connect'),
        runClient(ctx, image, client, ['--network=none'], UNRESOLVABLE, sink.port, 'treatment: resolve'),
      ]);
      const leaked = sink.connections;
      const ip = classifyClient(client, toIp, sink.token);
      const name = classifyClient(client, toName, sink.token);
      let treatment: Side;
      const unexpected = [ip, name].find((r) => r.kind === 'unexpected');
      if (unexpected) treatment = { ok: false, error: unexpected.detail };
      else {
        const holds = ip.kind === 'unreachable' && name.kind === 'unresolved' && leaked === 0;
        treatment = {
          ok: true,
          value: {
            holds,
            observed: `to ${net.target}:${sink.port}: ${ip.kind} (${ip.detail}); to ${UNRESOLVABLE}: ${name.kind}${leaked ? `; the sink saw ${leaked} connection(s)` : ''}`,
          },
        };
      }
      const ctl = await runClient(
        ctx,
        image,
        client,
        net.flags,
        net.target,
        sink.port,
        `control: ${net.flags.join(' ')}`,
      );
      const reached = classifyClient(client, ctl, sink.token);
      const control: Side =
        reached.kind === 'unexpected' && ctl.failure
          ? { ok: false, error: describeEvidence(ctl) }
          : {
              ok: true,
              value: {
                holds: reached.kind === 'reached' && sink.connections > leaked,
                observed: `${net.flags.join(' ')} to ${net.target}:${sink.port} -> 127.0.0.1:${sink.port}: ${reached.kind} (${reached.detail})`,
              },
            };
      const outcome = decide(treatment, control);
      outcome.reason += ` [client: ${client}]`;
      return outcome;
    } finally {
      await sink.close();
    }
  },
};

export const egressClaims: Claim[] = [egressBlocked];
