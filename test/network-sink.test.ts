import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listensOn, parseSinkView } from '../src/apparatus/network-sink.js';

// captured: SINK_VIEW_SCRIPT in busybox on a new rootful podman 4.3 network, before httpd listened
const captured = readFileSync(new URL('./captured/sink-view.txt', import.meta.url), 'utf8');
const LISTENING_TCP6 =
  '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0';

describe('parseSinkView', () => {
  it("reads the sink's address on its default route's interface, the gateway and the DNS", () => {
    const view = parseSinkView(captured);
    expect(view).toMatchObject({ ip: '10.89.0.2', gateway: '10.89.0.1' });
    expect(view?.resolvConf).toMatch(/^nameserver 10\.89\.0\.1$/m);
  });

  it('is not listening until a LISTEN socket on the port shows (busybox httpd binds ::)', () => {
    const view = parseSinkView(captured);
    expect(listensOn(view?.tcp ?? '', 8080)).toBe(false);
    const later = captured.replace(/(remote_address[^\n]*\n)/, `$1${LISTENING_TCP6}\n`);
    expect(listensOn(parseSinkView(later)?.tcp ?? '', 8080)).toBe(true);
    expect(listensOn(parseSinkView(later)?.tcp ?? '', 8081)).toBe(false);
  });

  it('gives nothing for output cut short, and no address without a default route', () => {
    expect(parseSinkView(captured.slice(0, captured.indexOf('search')))).toBeUndefined();
    const noDefault = captured.replace(/^eth0\t00000000\t.*\n/m, '');
    expect(parseSinkView(noDefault)).toMatchObject({ ip: undefined, gateway: undefined });
  });
});
