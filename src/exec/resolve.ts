import { IDENTITY_NAMES, type IdentityName, type IdentityResolution, resolveIdentity } from './identity.js';
import { exec, succeeded } from './run.js';

/** Identity resolution as podproof uses it (checks `sudo -n` only when not root). */
export async function resolveIdentities(
  rootlessUser?: string,
): Promise<Record<IdentityName, IdentityResolution>> {
  const isRoot = process.getuid?.() === 0;
  const sudoAllowed = isRoot
    ? false
    : succeeded(await exec(['sudo', '-n', 'true'], { timeoutMs: 10_000, purpose: 'sudo -n?' }));
  const out = {} as Record<IdentityName, IdentityResolution>;
  for (const name of IDENTITY_NAMES) out[name] = resolveIdentity(name, { sudoAllowed, rootlessUser });
  return out;
}
