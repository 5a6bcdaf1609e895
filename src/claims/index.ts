import type { Claim } from '../experiment/types.js';
import { apiClaims } from './api.js';
import { capsClaims } from './caps.js';
import { devicesClaims } from './devices.js';
import { egressClaims } from './egress.js';
import { inspectClaims } from './inspect.js';
import { ipcClaims } from './ipc.js';
import { isolateClaims } from './isolate.js';
import { loginuidClaims } from './loginuid.js';
import { lsmClaims } from './lsm.js';
import { namesClaims } from './names.js';
import { networkClaims } from './network.js';
import { nnpClaims } from './nnp.js';
import { pidClaims } from './pid.js';
import { procClaims } from './proc.js';
import { rootfsClaims } from './rootfs.js';
import { rootlessClaims } from './rootless.js';
import { runlabelClaims } from './runlabel.js';
import { seccompClaims } from './seccomp.js';
import { secretsClaims } from './secrets.js';
import { signedClaims } from './signed.js';
import { sysClaims } from './sys.js';
import { systemdClaims } from './systemd.js';
import { trustClaims } from './trust.js';
import { usernsClaims } from './userns.js';
import { volumeClaims } from './volume.js';

/** Every claim podproof can prove, in report order. */
export const claims: readonly Claim[] = [
  ...networkClaims,
  ...egressClaims,
  ...isolateClaims,
  ...namesClaims,
  ...capsClaims,
  ...usernsClaims,
  ...rootlessClaims,
  ...pidClaims,
  ...ipcClaims,
  ...devicesClaims,
  ...procClaims,
  ...sysClaims,
  ...rootfsClaims,
  ...volumeClaims,
  ...seccompClaims,
  ...lsmClaims,
  ...nnpClaims,
  ...loginuidClaims,
  ...runlabelClaims,
  ...inspectClaims,
  ...secretsClaims,
  ...trustClaims,
  ...signedClaims,
  ...apiClaims,
  ...systemdClaims,
];

/** A claim by id, or undefined. */
export function findClaim(id: string, catalog: readonly Claim[] = claims): Claim | undefined {
  return catalog.find((c) => c.id === id);
}

/** Unknown ids among `ids` (for a clear CLI error); an id may name an area. */
export function unknownClaimIds(ids: readonly string[], catalog: readonly Claim[] = claims): string[] {
  return ids.filter((id) => !findClaim(id, catalog) && !catalog.some((c) => c.id.startsWith(`${id}.`)));
}

/** Claims selected by ids; an id may name an area (`network`) for all its claims. */
export function selectClaims(ids?: readonly string[], catalog: readonly Claim[] = claims): Claim[] {
  if (!ids?.length) return [...catalog];
  return catalog.filter((c) => ids.some((id) => c.id === id || c.id.startsWith(`${id}.`)));
}
