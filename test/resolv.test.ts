import { describe, expect, it } from 'vitest';
import { parseResolvConf, resolvConfOf } from '../src/parse/resolv.js';

describe('resolv.conf', () => {
  it("reads podman's: the network's server first, the host's after it, the DNS domain first", () => {
    // a rootless container on a podman 4.3 network of this build machine
    const conf = parseResolvConf('search dns.podman\nnameserver 10.89.3.1\nnameserver 10.255.255.53\n');
    expect(conf).toEqual({ nameservers: ['10.89.3.1', '10.255.255.53'], search: ['dns.podman'] });
  });

  it('ignores comments and options, takes the last search line', () => {
    const conf = parseResolvConf(
      '# generated\nsearch a.example\noptions ndots:5\nnameserver 10.0.0.1 # gw\ndomain b.example\n',
    );
    expect(conf).toEqual({ nameservers: ['10.0.0.1'], search: ['b.example'] });
  });

  it('writes one that names one server and no search domain', () => {
    expect(parseResolvConf(resolvConfOf('10.89.3.1'))).toEqual({ nameservers: ['10.89.3.1'], search: [] });
  });
});
