// scripts/prepare-host names packages as each distribution does: the tools the catalog runs,
// under Debian's and Fedora's own package names (a wrong name fails the whole install there).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const script = readFileSync(new URL('../scripts/prepare-host', import.meta.url), 'utf8');
const list = (name: string) => {
  const m = new RegExp(`${name}=\\(([^)]*)\\)`).exec(script);
  if (!m) throw new Error(`no ${name} in scripts/prepare-host`);
  return (m[1] ?? '').split(/\s+/).filter(Boolean);
};

/** What the catalog and its apparatus run, and the package that ships it on each distribution. */
const TOOLS: { tool: string; debian: string; fedora: string }[] = [
  { tool: 'podman', debian: 'podman', fedora: 'podman' },
  { tool: 'newuidmap, newgidmap', debian: 'uidmap', fedora: 'shadow-utils' },
  { tool: 'slirp4netns', debian: 'slirp4netns', fedora: 'slirp4netns' },
  { tool: 'busybox (the fixture images)', debian: 'busybox-static', fedora: 'busybox' },
  { tool: 'socat (the echo clients)', debian: 'socat', fedora: 'socat' },
  {
    tool: 'a registry (trust, signed, pull-blocked)',
    debian: 'docker-registry',
    fedora: 'docker-distribution',
  },
  { tool: 'gpg (image.signed-only)', debian: 'gnupg', fedora: 'gnupg2' },
  { tool: 'curl (the egress client)', debian: 'curl', fedora: 'curl' },
  { tool: 'ip', debian: 'iproute2', fedora: 'iproute' },
  { tool: 'netavark, aardvark-dns', debian: 'netavark', fedora: 'netavark' },
  { tool: 'fuse-overlayfs', debian: 'fuse-overlayfs', fedora: 'fuse-overlayfs' },
];

describe('scripts/prepare-host packages', () => {
  it.each(TOOLS)('$tool: Debian $debian, Fedora $fedora', ({ debian, fedora }) => {
    expect(list('want_pkgs')).toContain(debian);
    expect(list('want_rpms')).toContain(fedora);
  });
  it('names no binary as if it were a package', () => {
    for (const wrong of ['newuidmap', 'newgidmap', 'registry', 'gpg', 'ip'])
      expect(list('want_rpms')).not.toContain(wrong);
  });
});
