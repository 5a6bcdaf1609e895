import { BUSYBOX } from '../apparatus/images.js';
import type { NetworkSink } from '../apparatus/network-sink.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { attemptOf, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { inCidr } from './isolate.js';
import { describeInterfaces } from './network.js';
import { plainNetworks } from './plain-networks.js';
import { type ProbeSetup, probeArm } from './probe-arm.js';

/** What the container's own network's DNS server said about the sink's name. */
export type Lookup =
  | { kind: 'answered'; server: string; addresses: string[] }
  /** The server knows no such name: an answer, not a lost query. */
  | { kind: 'nxdomain'; server: string }
  /** No answer at all (a dropped or refused query): says nothing about what the server knows. */
  | { kind: 'no-answer'; server: string; detail: string }
  | { kind: 'unexpected'; detail: string };

/** Printed before the lookup: the server the container asked (its default gateway). */
const SERVER = 'podproof-dns-server';

/**
 * Ask the container's own network's DNS server (its default gateway, where aardvark-dns or
 * dnsname's dnsmasq listens) for the sink's absolute name, A record only. The same script in
 * both arms; nothing else is asked, and a name in the network's DNS domain is never forwarded.
 */
export function lookupAttempt(sink: NetworkSink): Attempt {
  return {
    name: 'lookup',
    argv: [
      'sh',
      '-c',
      [
        `gw=$(ip route | sed -n 's/^default via \\([0-9.]*\\).*/\\1/p' | head -n 1)`,
        '[ -n "$gw" ] || { echo "podproof: no default route"; exit 3; }',
        `echo "${SERVER} $gw"`,
        `exec nslookup -type=a ${sink.fqdn} "$gw"`,
      ].join('\n'),
    ],
  };
}

/** Classify busybox nslookup's output (pure). */
export function classifyLookup(text: string, exitCode: number): Lookup {
  const server = new RegExp(`^${SERVER} (\\S+)`, 'm').exec(text)?.[1];
  const last = lastLineOf({ text, exitCode });
  if (!server || exitCode >= 126) return { kind: 'unexpected', detail: last };
  if (/NXDOMAIN/.test(text)) return { kind: 'nxdomain', server };
  if (/timed out|no servers could be reached|REFUSED|SERVFAIL|Connection refused/i.test(text))
    return { kind: 'no-answer', server, detail: last };
  // the answer section follows the server's own "Address: GW:53" line
  const answer = text
    .split(/^Name:/m)
    .slice(1)
    .join('\n');
  const addresses = [...answer.matchAll(/^Address:\s*(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1] as string);
  if (exitCode === 0 && addresses.length) return { kind: 'answered', server, addresses };
  return { kind: 'unexpected', detail: last };
}

/** The lookup, where the probe sits, and whether the server it asked is its own network's gateway. */
function lookupRun(s: ProbeSnapshot) {
  const a = attemptOf(s, 'lookup');
  const lookup = classifyLookup(a.text, a.exitCode);
  if (lookup.kind === 'unexpected')
    throw new OutputNotExplained(`the lookup did not run as expected: ${lookup.detail}`);
  const gateway = s.routes.find((r) => r.destination === '0.0.0.0' && r.prefix === 0)?.gateway;
  return { lookup, ownServer: gateway !== undefined && gateway === lookup.server };
}

const onSinkNetwork = (s: ProbeSnapshot, sink: NetworkSink) =>
  s.interfaces.some((i) => !i.loopback && i.addresses.some((a) => inCidr(sink.ip, a)));

const describe = (s: ProbeSnapshot, lookup: Lookup, ownServer: boolean) =>
  `probe ${describeInterfaces(s)}; asked ${'server' in lookup ? lookup.server : '?'}${ownServer ? " (its network's gateway)" : ' (not its default gateway)'}: ${
    lookup.kind === 'answered'
      ? `answered ${lookup.addresses.join(', ')}`
      : lookup.kind === 'no-answer'
        ? `no answer (${lookup.detail})`
        : lookup.kind
  }`;

/**
 * Treatment check (pure): a probe on another network asked its own network's DNS server, which
 * answered that the sink's name does not exist (NXDOMAIN: an answer, not a lost query).
 */
export function checkNameUnknown(s: ProbeSnapshot, sink: NetworkSink): Observation {
  const { lookup, ownServer } = lookupRun(s);
  const elsewhere = !onSinkNetwork(s, sink) && s.interfaces.some((i) => !i.loopback);
  return {
    holds: elsewhere && ownServer && lookup.kind === 'nxdomain',
    observed: `${describe(s, lookup, ownServer)}${elsewhere ? '' : " (on the sink's network)"}`,
  };
}

/** Control check (pure): on the sink's own network, the same question gets the sink's address. */
export function checkNameResolves(s: ProbeSnapshot, sink: NetworkSink): Observation {
  const { lookup, ownServer } = lookupRun(s);
  return {
    holds: ownServer && lookup.kind === 'answered' && lookup.addresses.includes(sink.ip),
    observed: describe(s, lookup, ownServer),
  };
}

/** Did the control's server not answer at all (aardvark-dns reloading)? Asked again then. */
export function lookupDropped(s: ProbeSnapshot): boolean {
  const a = attemptOf(s, 'lookup');
  return classifyLookup(a.text, a.exitCode).kind === 'no-answer';
}

interface NamesSetup extends ProbeSetup {
  sink: NetworkSink;
  /** A second network of the harness's own, with its own DNS. */
  other: string;
}

/** An arm's probe: on `network`, ask that network's DNS for the sink's name. */
const lookupArm = (arm: 'treatment' | 'control', networkOf: (s: NamesSetup) => string, setting: string) =>
  probeArm<NamesSetup>({
    purpose: (setup) => `${arm}: --network=${networkOf(setup)} asks its own DNS for the sink's name`,
    setting,
    flags: (setup) => [`--network=${networkOf(setup)}`],
    attempts: (setup) => [lookupAttempt(setup.sink)],
    check: (s, setup) => (arm === 'treatment' ? checkNameUnknown : checkNameResolves)(s, setup.sink),
    // aardvark-dns drops questions while it reloads: a control may ask again, never the treatment
    askAgainWhen: arm === 'control' ? lookupDropped : undefined,
  });

export const separateNames: Claim<NamesSetup> = {
  id: 'network.separate-names',
  title:
    'a container cannot resolve the name of a container on another podman network; on the same network it can',
  source:
    "article: `ping cnet1` from net2: bad address; each network's DNS (aardvark-dns, CNI dnsname) answers for its own members only. IP traffic between networks is not blocked by default (podman#5805): see network.isolate-option",
  identities: ['rootful', 'rootless'],
  concurrentArms: true,
  async setup(ctx) {
    const [image, { sink, other }] = await Promise.all([ctx.image(BUSYBOX), plainNetworks(ctx)]);
    return { image, sink, other };
  },
  treatment: lookupArm('treatment', (s) => s.other, 'treatment: a container on another network'),
  control: lookupArm('control', (s) => s.sink.network, "control: a container on the sink's network"),
  note: (_ctx, setup) => `sink ${setup.sink.fqdn} at ${setup.sink.ip}`,
};

export const namesClaims: Claim[] = [separateNames];
