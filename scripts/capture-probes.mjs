#!/usr/bin/env node
// Development helper: store the probe outputs of a `prove --json` report under
// test/captured/claims/, so unit tests can feed every claim's checks both arms' real output.
// Usage: node dist/cli.js prove --json r.json && node scripts/capture-probes.mjs r.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const dir = new URL('../test/captured/claims/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
const meta = {};
const ARMS_AS_EVIDENCE = [
  'network.separate-names',
  'secrets.not-committed',
  'trust.policy',
  'api.socket-owner-only',
  'image.inspect-without-run',
  'image.signed-only',
];
for (const r of report.results) {
  // the sinks a claim started, by network: their token and address (network.isolate-option has two)
  const sinks = {};
  for (const e of r.evidence) {
    const net = e.argv.find((a) => a.startsWith('--network='))?.slice('--network='.length);
    const token = e.argv.join(' ').match(/podproof-sink-[0-9a-f]{12}/);
    if (net && token && e.purpose?.startsWith('sink: start')) sinks[net] = { ...sinks[net], token: token[0] };
    const inspected = e.argv.join(' ').match(/NetworkSettings.Networks "([^"]+)"/);
    if (inspected && e.purpose === 'sink: its address and gateway')
      sinks[inspected[1]] = { ...sinks[inspected[1]], ip: e.stdout.trim().split(/\s+/)[0] };
  }
  // claims whose checks read their arms' commands as they are: every treatment/control command
  if (ARMS_AS_EVIDENCE.includes(r.claim)) {
    meta[`${r.claim}.${r.identity}.evidence`] = r.evidence
      .filter((e) => /^(treatment|control)/.test(e.purpose ?? ''))
      .map(({ purpose, argv, exitCode, stdout, stderr, failure }) => ({
        purpose,
        argv,
        exitCode,
        stdout,
        stderr,
        failure,
      }));
    const net = Object.keys(sinks)[0];
    if (net) meta[`${r.claim}.${r.identity}.sink`] = { network: net, ...sinks[net] };
  }
  for (const e of r.evidence) {
    const crossTo = /^(treatment|control): .* to the sink on (\S+)$/.exec(e.purpose ?? '');
    if (crossTo && sinks[crossTo[2]])
      meta[`${r.claim}.${r.identity}.${crossTo[1]}`] = { ...sinks[crossTo[2]], port: 8080 };
    const token = e.argv.join(' ').match(/podproof-sink-[0-9a-f]{12}/);
    if (token && e.purpose?.startsWith('sink: start')) meta[`${r.claim}.${r.identity}`] = { token: token[0] };
    if (r.claim === 'systemd.pull-blocked' && /^(treatment|control):/.test(e.purpose ?? '')) {
      const { exitCode, stdout, stderr, failure } = e;
      meta[`${r.claim}.${r.identity}.${e.purpose.split(':')[0]}`] = { exitCode, stdout, stderr, failure };
    }
    // socat's evidence for the socket-activation claims: one send per socket, per arm
    const send =
      /^(treatment|control): (tcp4|tcp6|unix|udp4|udp6|container interfaces|tcp4 with --pull=always)$/.exec(
        e.purpose ?? '',
      );
    if (r.claim.startsWith('systemd.') && send) {
      const key = `${r.claim}.${r.identity}.${send[1]}`;
      const { exitCode, stdout, stderr, failure, signal, answered } = e;
      meta[key] ??= [];
      meta[key].push({ name: send[2], e: { exitCode, stdout, stderr, failure, signal, answered } });
    }
    if (r.claim === 'systemd.restricted-still-serves' && e.purpose === 'control: is-failed')
      meta[`${r.claim}.${r.identity}.states`] = e.stdout.trim().split('\n');
    const secret = `${e.argv.join(' ')} ${e.stdout}`.match(/podproof-secret-[0-9a-f]{12}/);
    if (secret) meta[`${r.claim}.${r.identity}.token`] = secret[0];
    const runlabelArm = /^(treatment|control): (runlabel|marker)/.exec(e.purpose ?? '');
    if (r.claim === 'runlabel.display' && runlabelArm) {
      const key = `${r.claim}.${r.identity}.${runlabelArm[1]}`;
      meta[key] ??= {};
      if (runlabelArm[2] === 'runlabel') {
        const { exitCode, stdout, stderr } = e;
        Object.assign(meta[key], {
          runlabel: { exitCode, stdout, stderr },
          image: e.argv.at(-1),
          marker: e.argv.find((a) => a.startsWith('--opt1='))?.slice('--opt1='.length),
        });
      } else meta[key].markerCheck = { exitCode: e.exitCode };
    }
    if (e.purpose === 'spec: read config.json')
      meta[`${r.claim}.${r.identity}.maskedPaths`] = JSON.parse(e.stdout).linux?.maskedPaths;
    if (!e.stdout.includes('@@podproof-begin')) continue;
    const arm = e.purpose
      .replace(/ to the sink on podproof-\w+-net-\d+/, '')
      .replace(/podproof-\w+-net-\d+/g, 'NET')
      .replace(/[^a-zA-Z0-9=]+/g, '-')
      .replace(/-+$/, '');
    const file = `${r.claim}.${r.identity}.${arm}.txt`;
    writeFileSync(join(dir, file), e.stdout.replace(/podproof-\w+-(net|sink)-\d+/g, 'podproof-SESSION-$1'));
    console.log(file);
  }
}
writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
