// What the VM run must show (pure, apart from reading its output folder): the guest's plan, and
// the acceptance checks over what it wrote.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USERNS_REFUSED } from '../src/systemd/userns.js';

/** The steps the guest runs, in order, across its reboots (vm/guest/boot, vm/guest/reboot). */
export const STEPS: readonly string[] = [
  'prepare',
  'prove',
  'reboot-treatment',
  'reboot-check-treatment',
  'reboot-control',
  'reboot-check-control',
  'quadlet',
];

/**
 * The plan file the guest sources (pure). Values are single-quoted shell words. `timeScale`
 * becomes the guest's PODPROOF_TIME_SCALE (a VM under TCG runs many times slower).
 * `proveArgs` go to both runs of `prove`, `userArgs` (default: the same) to the normal user's.
 * `waivers` (a checkout path, or none) goes to both runs; `rebootRuntime` (none: podman's
 * default) is the reboot test's OCI runtime. Both are for the stock-crun image (vm/image.ts).
 */
export function planText({
  steps = STEPS,
  proveArgs = '',
  userArgs = proveArgs,
  timeScale = 1,
  waivers = '',
  rebootRuntime = '',
  hostLock = '',
}: {
  steps?: readonly string[] | undefined;
  proveArgs?: string | undefined;
  userArgs?: string | undefined;
  timeScale?: number;
  waivers?: string;
  rebootRuntime?: string;
  /** PODPROOF_HOST_LOCK for the guest's runs (issue 26's host-wide lock). */
  hostLock?: string | undefined;
} = {}): string {
  const quote = (s: unknown) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const vars = {
    STEPS: steps.join(' '),
    PROVE_ARGS: proveArgs,
    USER_ARGS: userArgs,
    TIME_SCALE: timeScale,
    WAIVERS: waivers,
    REBOOT_RUNTIME: rebootRuntime,
    HOST_LOCK: hostLock,
  };
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}\n`)
    .join('');
}

/**
 * What the image's crun source means for the guest's plan (pure): Debian 13's own crun 1.21
 * refutes the restricted-service rows (containers/crun#1828), so only there are they waived and
 * does the reboot test run its container with runc, which shows the one setting it changes.
 */
export function crunPlan(crun: string): { waivers: string; rebootRuntime: string } {
  return crun === 'trixie'
    ? { waivers: 'vm/waivers-trixie-crun.json', rebootRuntime: 'runc' }
    : { waivers: '', rebootRuntime: '' };
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/** One arm of the reboot test, as the guest wrote it. */
export interface RebootArm {
  served: boolean;
  detail: string;
}

/** A row of a guest's report, as the checks read it. */
export interface VmRow {
  claim: string;
  identity: string;
  verdict: string;
  reason: string;
  waiver?: { reason: string; expires: string };
  evidence?: { purpose?: string }[];
}

/**
 * The hardened example's rows not observed on its running unit (pure): each but the seccomp row
 * (whose answer is the container's own filter, seen from inside) and the `[Service]` rows must cite
 * a read from the host side.
 */
export function notOnTheRunningUnit(rows: readonly VmRow[]): string[] {
  return rows
    .filter((r) => r.claim.startsWith('hardened-container.') && !/\.(seccomp|service-.*)$/.test(r.claim))
    .filter((r) => !(r.evidence ?? []).some((e) => /read from the host side/.test(e.purpose ?? '')))
    .map((r) => `quadlet: ${r.claim} (${r.identity}) was not observed on the running unit`);
}

/** Everything the guest left in the output folder. */
export interface GuestOutput {
  done: boolean;
  failed?: string | undefined;
  reports: Record<'root' | 'user', { results: VmRow[] } | undefined>;
  cleanCheck?: string | undefined;
  reboot?: { treatment?: RebootArm; control?: RebootArm } | undefined;
  /** The Quadlet step (issue 23): its exit code, and its report, when it ran; as root and as the normal user. */
  quadlet?: { rc: string; report?: { results: VmRow[] } | undefined } | undefined;
  quadletUser?: { rc: string; report?: { results: VmRow[] } | undefined } | undefined;
}

/** A Quadlet run's exit code and report, where it ran. */
const quadletStep = (dir: string, rc: string, report: string) =>
  existsSync(join(dir, rc))
    ? { rc: readText(join(dir, rc)) ?? '', report: readJson<{ results: VmRow[] }>(join(dir, report)) }
    : undefined;

/** Everything the guest left in the output folder. */
export function readGuestOutput(dir: string): GuestOutput {
  return {
    done: existsSync(join(dir, 'done')),
    failed: readText(join(dir, 'failed')),
    reports: {
      root: readJson<{ results: VmRow[] }>(join(dir, 'vm-root.json')),
      user: readJson<{ results: VmRow[] }>(join(dir, 'vm-user.json')),
    },
    cleanCheck: readText(join(dir, 'clean-check.rc')),
    reboot: readJson<GuestOutput['reboot']>(join(dir, 'reboot.json')),
    quadlet: quadletStep(dir, 'quadlet.rc', 'vm-quadlet.json'),
    quadletUser: quadletStep(dir, 'quadlet-user.rc', 'vm-quadlet-user.json'),
  };
}

/**
 * The acceptance checks (pure): the guest finished, both reports exist and hold no refuted,
 * inconclusive or error row but those a waiver (vm/waivers-trixie-crun.json, stock crun only) accepts, rootful `systemd.*`,
 * rootful `lsm.MODULE-confined` of the kind's module and `network.egress-blocked` are proven (or waived), nothing
 * was left behind, and the reboot test served with its oneshot and failed without it.
 */
export function checkVmReports(
  guest: GuestOutput,
  /** The kind's security module: its confinement claim must be proven as root. */
  securityModule: 'apparmor' | 'selinux' = 'apparmor',
  /**
   * A targeted plan (CI's part for a kind): the reboot test is required only when the plan has
   * its steps, and the rows a kind is for only where the runs proved any of them.
   */
  plan: { steps: readonly string[]; targeted: boolean } = { steps: STEPS, targeted: false },
): {
  problems: string[];
  skipped: string[];
  waived: string[];
} {
  const problems: string[] = [];
  const skipped: string[] = [];
  const waived: string[] = [];
  let mustRows = 0;
  if (guest.failed) problems.push(`the guest failed: ${guest.failed}`);
  if (!guest.done) problems.push('the guest did not finish its steps');
  for (const [who, report] of Object.entries(guest.reports)) {
    if (!report) {
      problems.push(`no report from the ${who} run`);
      continue;
    }
    for (const r of report.results) {
      if (r.verdict === 'skipped') skipped.push(`${who}: ${r.claim} (${r.identity}): ${r.reason}`);
      else if (r.verdict !== 'proven' && r.waiver)
        waived.push(
          `${who}: ${r.claim} (${r.identity}) ${r.verdict}, waived until ${r.waiver.expires}: ${r.waiver.reason}`,
        );
      else if (r.verdict !== 'proven')
        problems.push(`${who}: ${r.claim} (${r.identity}) ${r.verdict}: ${r.reason}`);
    }
    // what this host kind is for: rootful systemd (PID 1 here), egress under pasta, and rootful
    // confinement by the kind's security module (Debian's kernel boots with AppArmor), unless waived
    const must = report.results.filter(
      (r) =>
        !r.waiver &&
        (((r.claim.startsWith('systemd.') || r.claim === `lsm.${securityModule}-confined`) &&
          r.identity === 'rootful') ||
          r.claim === 'network.egress-blocked'),
    );
    mustRows += must.length;
    for (const r of must)
      if (r.verdict !== 'proven')
        problems.push(`${who}: ${r.claim} (${r.identity}) must be proven here, is ${r.verdict}`);
  }
  // one run may prove a part (PODPROOF_VM_USER_ARGS), but some run must have proved them
  if (Object.values(guest.reports).some(Boolean) && !mustRows && !plan.targeted)
    problems.push('no run proved a rootful systemd.* or an egress row');
  if (guest.cleanCheck !== '0')
    problems.push(`podproof clean --check in the VM found leftovers (exit ${guest.cleanCheck ?? 'none'})`);
  const reboot = guest.reboot;
  const rebootPlanned = plan.steps.some((step) => step.startsWith('reboot-'));
  if (!rebootPlanned && !reboot) {
    // not asked for (a targeted plan): nothing to judge
  } else if (!reboot?.treatment || !reboot?.control) problems.push('the reboot test did not finish');
  else {
    if (!reboot.treatment.served)
      problems.push(
        `reboot test: with the oneshot, the restricted service did not serve after boot (${reboot.treatment.detail})`,
      );
    if (reboot.control.served)
      problems.push(
        `reboot test: without the oneshot, the restricted service still served after boot (${reboot.control.detail})`,
      );
    // the control's failure must be the user namespace podman could not make (NoNewPrivileges
    // stops the setuid newuidmap), not any crash
    else if (!USERNS_REFUSED.test(reboot.control.detail))
      problems.push(
        `reboot test: without the oneshot the service failed, but not for the user namespace (${reboot.control.detail})`,
      );
  }
  // the examples' Quadlet files, where the step ran: every derived row proven, the hardened
  // unit's observed on the running unit (as root and as the normal user)
  for (const [step, log] of [
    [guest.quadlet, 'quadlet.log'],
    [guest.quadletUser, 'quadlet-user.log'],
  ] as const) {
    if (!step) continue;
    const rows = step.report?.results ?? [];
    if (!rows.length) problems.push(`the Quadlet step wrote no report (exit ${step.rc}; ${log})`);
    for (const r of rows)
      if (r.verdict !== 'proven')
        problems.push(`quadlet: ${r.claim} (${r.identity}) ${r.verdict}: ${r.reason}`);
    problems.push(...notOnTheRunningUnit(rows));
  }
  return { problems, skipped, waived };
}
