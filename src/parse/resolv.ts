/** resolv.conf, as a container sees it: where its names are looked up. */
export interface ResolvConf {
  nameservers: string[];
  /** The `search` (or older `domain`) line's domains. */
  search: string[];
}

/** Parse resolv.conf text (pure): `nameserver` and `search`/`domain` lines; comments and options ignored. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [] };
  for (const raw of text.split('\n')) {
    const [key, ...values] = raw
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (key === 'nameserver' && values[0]) out.nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') out.search = values.filter(Boolean);
  }
  return out;
}

/**
 * A resolv.conf that names one server and no search domain (pure): a client given an absolute
 * name (trailing dot) asks that server and nothing else, so a query the server drops cannot go
 * on to the host's resolvers.
 */
export function resolvConfOf(nameserver: string): string {
  return `# written by podproof: the network's own DNS server only\nnameserver ${nameserver}\n`;
}
