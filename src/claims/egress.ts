import { clientImage } from '../apparatus/images.js';
import { type NetworkSink, resolvConfVolume } from '../apparatus/network-sink.js';
import { describeExit, type Evidence } from '../exec/evidence.js';
import { type Claim, OutputNotExplained } from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import { type Attempt, NOT_TRIED_RC } from '../probe/script.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { describeInterfaces } from './network.js';
import { plainNetworks } from './plain-networks.js';
import { type ProbeSetup, probeArm } from './probe-arm.js';

/** What a client run inside a container amounted to. */
export type ClientResult =
  | { kind: 'reached'; detail: string }
  | { kind: 'unreachable'; detail: string }
  | { kind: 'unresolved'; detail: string }
  | { kind: 'refused'; detail: string }
  /** No answer within the client's connect timeout, or EHOSTUNREACH: what a firewall DROP/REJECT gives. */
  | { kind: 'dropped'; detail: string }
  | { kind: 'not-tried'; detail: string }
  | { kind: 'unexpected'; detail: string };

export type Client = 'curl' | 'nc';

/** A client's run, as a process or as a probe attempt: exit code (null: no normal exit) and its output. */
export interface ClientRun {
  exitCode: number | null;
  /** stdout and stderr. */
  output: string;
  /** Why it did not exit normally (timeout, signal, missing binary), if so. */
  failure?: string;
}

/**
 * Classify a client's run (pure). Only the expected failures count as blocked: "Network is
 * unreachable" for an IP literal, "Could not resolve host"/"bad address" for a name. A crash
 * (exit >= 128 from the shell), a timeout, a missing binary or any other exit is `unexpected`
 * (a harness error, never proof).
 */
export function classifyRun(client: Client, run: ClientRun, token: string): ClientResult {
  const last = lastNonEmpty(run.output);
  const detail = `${client}: ${run.failure ?? `exit ${run.exitCode}`}${last ? `: ${last}` : ''}`;
  if (run.failure || run.exitCode === null) return { kind: 'unexpected', detail };
  if (run.exitCode === NOT_TRIED_RC)
    return { kind: 'not-tried', detail: 'not tried: the container has a network' };
  if (run.exitCode === 0 && run.output.includes(token))
    return { kind: 'reached', detail: `${client}: got the sink's token` };
  if (run.exitCode >= 126) return { kind: 'unexpected', detail };
  if (/Network is unreachable/.test(run.output)) return { kind: 'unreachable', detail };
  if (/Could not resolve host|bad address/.test(run.output)) return { kind: 'unresolved', detail };
  if (/Connection refused/.test(run.output)) return { kind: 'refused', detail };
  if (/Connection timed out|Timeout was reached|No route to host|nc: timed out/.test(run.output))
    return { kind: 'dropped', detail };
  return { kind: 'unexpected', detail };
}

/** {@link classifyRun} for a process's evidence (a client run with `podman run`). */
export function classifyClient(client: Client, e: Evidence, token: string): ClientResult {
  return classifyRun(
    client,
    {
      exitCode: e.exitCode,
      output: `${e.stdout}\n${e.stderr}`,
      failure: e.failure || e.signal ? describeExit(e) : undefined,
    },
    token,
  );
}

function lastNonEmpty(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  return (lines[lines.length - 1] ?? '').trim().slice(0, 300);
}

/** The client command: curl (IPv4 only, so a name asks for an A record alone) or busybox nc. */
export function clientArgv(client: Client, host: string, port: number): string[] {
  return client === 'curl'
    ? ['curl', '-4', '-v', '-sS', '--max-time', '10', '--noproxy', '*', `http://${host}:${port}/`]
    : ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} ${port}`];
}

/** The two connection attempts: the sink by IP literal and by its container name (absolute, in the network's DNS domain). */
export function egressAttempts(client: Client, sink: NetworkSink, guard: boolean): Attempt[] {
  return [
    { name: 'ip', argv: clientArgv(client, sink.ip, sink.port), onlyWithoutNetwork: guard },
    { name: 'name', argv: clientArgv(client, sink.fqdn, sink.port), onlyWithoutNetwork: guard },
  ];
}

export const attemptRun = (s: ProbeSnapshot, name: string): ClientRun => {
  const a = s.attempts[name];
  return a
    ? { exitCode: a.exitCode, output: a.text }
    : { exitCode: null, output: '', failure: 'did not run' };
};

/** A client that crashed or timed out is a harness error, never evidence: throw it as such. */
function results(s: ProbeSnapshot, client: Client, token: string) {
  const ip = classifyRun(client, attemptRun(s, 'ip'), token);
  const name = classifyRun(client, attemptRun(s, 'name'), token);
  // without a network a connect cannot time out: a timeout there is not the expected failure
  const bad = [ip, name].find((r) => r.kind === 'unexpected' || r.kind === 'dropped');
  if (bad) throw new OutputNotExplained(`the client did not run as expected: ${bad.detail}`);
  return { ip, name };
}

/**
 * Treatment check (pure): the mechanism and its effect, seen from inside one container. No
 * interface but the loopback device, no route through any other, the sink's IP literal
 * unreachable and its name unresolvable.
 */
export function checkEgressBlocked(s: ProbeSnapshot, client: Client, token: string): Observation {
  const others = s.interfaces.filter((i) => !i.loopback);
  const loName = s.interfaces.find((i) => i.loopback)?.name ?? 'lo';
  const routes = [
    ...s.routes.map((r) => ({ iface: r.iface, dest: `${r.destination}/${r.prefix}` })),
    ...s.routes6.map((r) => ({ iface: r.iface, dest: `${r.destination}/${r.prefix}` })),
  ].filter((r) => r.iface !== loName);
  const { ip, name } = results(s, client, token);
  const holds =
    others.length === 0 && routes.length === 0 && ip.kind === 'unreachable' && name.kind === 'unresolved';
  return {
    holds,
    observed: [
      `interfaces: ${describeInterfaces(s)}`,
      routes.length
        ? `routes: ${routes.map((r) => `${r.dest} dev ${r.iface}`).join(', ')}`
        : 'no route but loopback',
      `sink IP: ${ip.kind} (${ip.detail})`,
      `sink name: ${name.kind} (${name.detail})`,
    ].join('; '),
  };
}

/**
 * Did only the name fail, the IP literal reaching the sink (pure)? aardvark-dns before 1.11 drops
 * every query while it reloads, and each container start or stop in any of its networks makes it
 * reload (containers/aardvark-dns#389): such a control is asked again.
 */
export function onlyNameFailed(s: ProbeSnapshot, client: Client, token: string): boolean {
  const ip = classifyRun(client, attemptRun(s, 'ip'), token);
  const name = classifyRun(client, attemptRun(s, 'name'), token);
  return ip.kind === 'reached' && name.kind === 'unresolved';
}

/** Control check (pure): the same client in the sink's network reaches it by IP and by name. */
export function checkEgressReaches(s: ProbeSnapshot, client: Client, token: string): Observation {
  const { ip, name } = results(s, client, token);
  return {
    holds: ip.kind === 'reached' && name.kind === 'reached',
    observed: `sink IP: ${ip.kind} (${ip.detail}); sink name: ${name.kind} (${name.detail})`,
  };
}

interface EgressSetup extends ProbeSetup {
  client: Client;
  sink: NetworkSink;
}

export const egressBlocked: Claim<EgressSetup> = {
  id: 'network.egress-blocked',
  title: 'a client in a --network=none container can neither connect out nor resolve a name',
  source: '`curl` from a --network=none container: (6) Could not resolve host; to an IP: network unreachable',
  identities: ['rootful', 'rootless'],
  async setup(ctx) {
    // the curl image copies the host's curl; without it, busybox nc is the client
    const { client, spec } = clientImage();
    const image = await ctx.image(spec);
    // the run's podman network of the harness's own with an HTTP sink in it: the control reaches it by IP
    // and by container name (the network's DNS); the treatment differs only in --network=none
    const { sink } = await plainNetworks(ctx);
    return { client, image, sink };
  },
  treatment: probeArm({
    purpose: 'treatment: --network=none',
    // both arms get the same resolv.conf: the network's DNS server, and no resolver off this machine
    flags: ({ sink }) => ['--network=none', resolvConfVolume(sink)],
    // the client runs only if podman really left the container without a network
    attempts: ({ client, sink }) => egressAttempts(client, sink, true),
    check: (s, { client, sink }) => checkEgressBlocked(s, client, sink.token),
  }),
  control: probeArm({
    purpose: ({ sink }) => `control: --network=${sink.network}`,
    setting: "control: the sink's podman network",
    flags: ({ sink }) => [`--network=${sink.network}`, resolvConfVolume(sink)],
    attempts: ({ client, sink }) => egressAttempts(client, sink, false),
    check: (s, { client, sink }) => checkEgressReaches(s, client, sink.token),
    askAgainWhen: (s, { client, sink }) => onlyNameFailed(s, client, sink.token),
  }),
  note: (_ctx, setup) =>
    `client: ${setup.client}; sink ${setup.sink.fqdn} at ${setup.sink.ip}:${setup.sink.port}`,
};

export const egressClaims: Claim[] = [egressBlocked];
