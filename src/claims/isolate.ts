import { clientImage } from '../apparatus/images.js';
import { type NetworkSink, sinkAndNetwork } from '../apparatus/network-sink.js';
import { type Claim, type ClaimContext, OutputNotExplained, SkipClaim } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { attemptRun, type Client, classifyRun } from './egress.js';
import { describeInterfaces } from './network.js';
import { plainNetworks } from './plain-networks.js';
import { type ProbeSetup, probeArm } from './probe-arm.js';

/** netavark's (and CNI's) option that drops traffic between this bridge and the others. */
export const ISOLATE = '--opt=isolate=true';

/** The client to the other network's sink by IP literal (no name: no DNS query leaves the network). */
export function crossAttempt(client: Client, sink: NetworkSink): Attempt {
  const url = `http://${sink.ip}:${sink.port}/`;
  return {
    name: 'cross',
    argv:
      client === 'curl'
        ? ['curl', '-4', '-v', '-sS', '--connect-timeout', '3', '--max-time', '6', '--noproxy', '*', url]
        : ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${sink.ip} ${sink.port}`],
  };
}

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** Is the IPv4 `ip` inside `cidr` (pure)? */
export function inCidr(ip: string, cidr: string): boolean {
  const [net = '', bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !/^\d+\.\d+\.\d+\.\d+$/.test(net) || !(prefix >= 0 && prefix <= 32))
    return false;
  const mask = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
  return (toInt(ip) & mask) >>> 0 === (toInt(net) & mask) >>> 0;
}

/**
 * The client's result, and whether the probe is on a network of its own: an interface besides
 * the loopback device, none of whose addresses lies in the sink's subnet. A client that crashed,
 * or failed in any way a firewall does not make, is a harness error.
 */
function crossRun(s: ProbeSnapshot, client: Client, sink: NetworkSink) {
  const result = classifyRun(client, attemptRun(s, 'cross'), sink.token);
  if (!['reached', 'dropped'].includes(result.kind))
    throw new OutputNotExplained(`the client did not run as expected: ${result.detail}`);
  const others = s.interfaces.filter((i) => !i.loopback);
  const onSinkNet = others.some((i) => i.addresses.some((a) => inCidr(sink.ip, a)));
  return { result, separate: others.length > 0 && !onSinkNet };
}

const where = (s: ProbeSnapshot, separate: boolean) =>
  `probe ${describeInterfaces(s)}${separate ? '' : " (on the sink's network)"}`;

/** Treatment check (pure): from another isolated network, the sink's IP gets no answer. */
export function checkIsolated(s: ProbeSnapshot, client: Client, sink: NetworkSink): Observation {
  const { result, separate } = crossRun(s, client, sink);
  return {
    holds: separate && result.kind === 'dropped',
    observed: `${where(s, separate)}; sink ${sink.ip}:${sink.port} on the other network: ${result.kind} (${result.detail})`,
  };
}

/** Control check (pure): between two networks without the option, the same client reaches the sink. */
export function checkCrossReaches(s: ProbeSnapshot, client: Client, sink: NetworkSink): Observation {
  const { result, separate } = crossRun(s, client, sink);
  return {
    holds: separate && result.kind === 'reached',
    observed: `${where(s, separate)}; sink on the other network: ${result.kind} (${result.detail})`,
  };
}

/** Two networks made with the same flags: the sink's and the probe's. */
interface NetworkPair {
  sink: NetworkSink;
  probeNetwork: string;
}

interface IsolateSetup extends ProbeSetup {
  client: Client;
  isolated: NetworkPair;
  open: NetworkPair;
}

async function networkPair(ctx: ClaimContext, image: string, flags: string[]): Promise<NetworkPair> {
  const { sink, other } = await sinkAndNetwork(ctx, image, flags);
  return { sink, probeNetwork: other };
}

/** An arm's probe: on the pair's probe network, the client tries the sink on the other network. */
const crossArm = (
  arm: 'treatment' | 'control',
  pairOf: (s: IsolateSetup) => NetworkPair,
  check: (s: ProbeSnapshot, client: Client, sink: NetworkSink) => Observation,
) =>
  probeArm<IsolateSetup>({
    purpose: (setup) =>
      `${arm}: --network=${pairOf(setup).probeNetwork} to the sink on ${pairOf(setup).sink.network}`,
    setting:
      arm === 'treatment'
        ? 'treatment: two networks made with isolate=true'
        : 'control: two default networks',
    flags: (setup) => [`--network=${pairOf(setup).probeNetwork}`],
    attempts: (setup) => [crossAttempt(setup.client, pairOf(setup).sink)],
    check: (s, setup) => check(s, setup.client, pairOf(setup).sink),
  });

export const isolateOption: Claim<IsolateSetup> = {
  id: 'network.isolate-option',
  title: 'containers on two podman networks made with isolate=true cannot reach each other by IP',
  source:
    'podman-network-create(1) --opt isolate; by default podman networks route to each other (podman#5805): only the option blocks it',
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  // alone per identity, host-wide: with three runs at once, another run's network changes left
  // two isolate=true networks routed to each other for a moment (netavark 1.4, rootful: the
  // treatment reached the sink, a refutation of a healthy host; suites/concurrent.test.ts)
  exclusive: true,
  // its control joins the run's plain networks (made again if an exclusive claim removed them)
  keepsApparatus: true,
  async setup(ctx) {
    const { client, spec } = clientImage();
    const image = await ctx.image(spec);
    let isolated: NetworkPair;
    try {
      isolated = await networkPair(ctx, image, [ISOLATE]);
    } catch (err) {
      const message = (err as Error).message;
      if (/could not create a podman network/.test(message) && /isolate/.test(message))
        throw new SkipClaim(`this podman's network backend does not take ${ISOLATE}: ${message}`);
      throw err;
    }
    const { sink, other } = await plainNetworks(ctx);
    return { client, image, isolated, open: { sink, probeNetwork: other } };
  },
  treatment: crossArm('treatment', (s) => s.isolated, checkIsolated),
  control: crossArm('control', (s) => s.open, checkCrossReaches),
  note: (_ctx, setup) => `client: ${setup.client}`,
};

export const isolateClaims: Claim[] = [isolateOption];
