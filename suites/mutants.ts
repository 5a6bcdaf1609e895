/**
 * The mutation table: broken hosts every claim must catch, one module per claim area in
 * suites/breakages/ (beside the area's claims in src/claims/ by name). Each breakage is a podman
 * wrapper (arguments dropped, replaced or added; podman handed to a daemon or to systemd; the bash
 * library is suites/wrapper.ts) or real configuration fed through CONTAINERS_CONF /
 * CONTAINERS_STORAGE_CONF in temp files (never /etc). A breakage is caught when the claim is
 * `refuted`, or `inconclusive` where it removes the control's contrast (its row says so);
 * `proven` on a broken host is a survivor.
 */

import { apiBreakages } from './breakages/api.js';
import { capsBreakages } from './breakages/caps.js';
import { devicesBreakages } from './breakages/devices.js';
import { imageBreakages } from './breakages/image.js';
import { ipcBreakages } from './breakages/ipc.js';
import type { Mutant } from './breakages/kit.js';
import { loginuidBreakages } from './breakages/loginuid.js';
import { lsmBreakages } from './breakages/lsm.js';
import { networkBreakages } from './breakages/network.js';
import { nnpBreakages } from './breakages/nnp.js';
import { pidBreakages } from './breakages/pid.js';
import { procBreakages } from './breakages/proc.js';
import { rootfsBreakages } from './breakages/rootfs.js';
import { rootlessBreakages } from './breakages/rootless.js';
import { runlabelBreakages } from './breakages/runlabel.js';
import { seccompBreakages } from './breakages/seccomp.js';
import { secretsBreakages } from './breakages/secrets.js';
import { sysBreakages } from './breakages/sys.js';
import { systemdBreakages } from './breakages/systemd.js';
import { trustBreakages } from './breakages/trust.js';
import { usernsBreakages } from './breakages/userns.js';
import { volumeBreakages } from './breakages/volume.js';

export type { Mutant, MutantEnv, WrapperEdit } from './breakages/kit.js';

export const MUTANTS: Mutant[] = [
  ...networkBreakages,
  ...capsBreakages,
  ...usernsBreakages,
  ...pidBreakages,
  ...rootlessBreakages,
  ...ipcBreakages,
  ...devicesBreakages,
  ...procBreakages,
  ...sysBreakages,
  ...rootfsBreakages,
  ...volumeBreakages,
  ...seccompBreakages,
  ...lsmBreakages,
  ...nnpBreakages,
  ...loginuidBreakages,
  ...runlabelBreakages,
  ...systemdBreakages,
  ...secretsBreakages,
  ...trustBreakages,
  ...imageBreakages,
  ...apiBreakages,
];
