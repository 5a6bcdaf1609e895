import { join } from 'node:path';
import type { Identity } from '../exec/identity.js';
import { readTextIfAny } from './files.js';

/** A numeric key from storage.conf text (pure; enough TOML for `key = 123` and `key = "123"`). */
export function storageConfNumber(text: string, key: string): number | undefined {
  const m = new RegExp(`^\\s*${key.replace(/[-]/g, '\\-')}\\s*=\\s*"?(\\d+)"?`, 'm').exec(text);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** The storage.conf files podman reads for an identity, most specific first. */
export function storageConfPaths(identity: Identity): string[] {
  const system = ['/etc/containers/storage.conf', '/usr/share/containers/storage.conf'];
  return identity.uid === 0
    ? system
    : [join(identity.home, '.config', 'containers', 'storage.conf'), ...system];
}

/** `auto-userns-min-size` for an identity (podman's default is 1024). */
export function autoUsernsMinSize(identity: Identity): { size: number; from: string } {
  for (const path of storageConfPaths(identity)) {
    const text = readTextIfAny(path);
    if (text === undefined) continue;
    const size = storageConfNumber(text, 'auto-userns-min-size');
    if (size !== undefined) return { size, from: path };
    break; // the first file that exists is the one podman uses
  }
  return { size: 1024, from: 'podman default' };
}
