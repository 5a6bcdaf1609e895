import { probeTools, probeToolsOptions } from '../apparatus/probe-tools.js';
import { describeEvidence } from '../exec/evidence.js';
import type { IdentityName } from '../exec/identity.js';
import { succeeded } from '../exec/run.js';
import { which } from '../exec/which.js';
import {
  type Arm,
  type Claim,
  type ClaimContext,
  NotObserved,
  OutputNotExplained,
  SkipClaim,
} from '../experiment/types.js';
import type { Observation } from '../experiment/verdict.js';
import {
  type ContainerSpec,
  hostVolumes,
  optionParts,
  optionValues,
  replacingOption,
  seccompProfilePaths,
  volumeOption,
  withoutOptions,
} from '../parse/container-spec.js';
import { restrictedServiceRuntimeBug } from '../parse/host.js';
import { describeMount, isReadOnly, mountAt } from '../parse/mounts.js';
import { type SeccompProbe, type SyscallAction, seccompProbe } from '../parse/seccomp-profile.js';
import { attemptOf, lastLineOf } from '../probe/attempt.js';
import type { Attempt } from '../probe/script.js';
import { probeAsService } from '../probe/service.js';
import { observeFromSide } from '../probe/side.js';
import type { ProbeSnapshot } from '../probe/snapshot.js';
import { startSpecUnit } from '../systemd/spec-unit.js';
import { systemdUnavailable } from '../systemd/transient.js';
import { checkCapSet } from './caps.js';
import { checkNoShm, checkShmMounted } from './ipc.js';
import { checkHasOtherInterface, checkLoopbackOnly } from './network.js';
import { CONTAINER_PIDS, checkOwnPidsOnly, checkSeesMarker } from './pid.js';
import { type ProbeSetup, snapshotOf } from './probe-arm.js';
import { checkMasked, checkUnmasked, existsAttempt } from './proc.js';
import { WRITE_ATTEMPTS } from './rootfs.js';
import { formatIdMap } from './userns.js';

/**
 * Options of a user's spec the probe does not run with: the harness names, attaches and removes
 * its own containers and pulls nothing (see also {@link TAKES_THE_USERS}).
 */
const HARNESS_OWN = new Set([
  '--name',
  '--rm',
  '--detach',
  '--interactive',
  '--tty',
  '--replace',
  '--pull',
  '--entrypoint',
  '--restart',
  '--cidfile',
  '--pidfile',
  '--conmon-pidfile',
  '--sdnotify',
  '--attach',
  '--sig-proxy',
  '--rmi',
  '--quiet',
]);

/** A `--volume` whose source is a named volume (not a host path): podman would make it. */
const namedVolume = (name: string, value: string) =>
  (name === '--volume' && !/^[/.]/.test(value)) ||
  (name === '--mount' && /(^|,)type=volume(,|$)/.test(value));

/**
 * Options that would take the deployed service's port, address, network alias, pod or named
 * volume (its data): left out of the probe and of podproof's copy of a user's unit alike.
 */
const TAKES_THE_USERS = new Set([
  '--publish',
  '--publish-all',
  '--pod',
  '--pod-id-file',
  '--ip',
  '--ip6',
  '--mac-address',
  '--network-alias',
]);
const leftOutOfUnit = (name: string, value: string) => TAKES_THE_USERS.has(name) || namedVolume(name, value);

/** The spec as podproof's copy of its unit runs it (pure): without what would take the user's. */
export const unitCopy = (spec: ContainerSpec): ContainerSpec => withoutOptions(spec, leftOutOfUnit);
const dropped = (name: string, value: string) => HARNESS_OWN.has(name) || leftOutOfUnit(name, value);

/** The spec's options as the probe runs them: the user's, less the harness's own (pure). */
export function probeOptions(spec: ContainerSpec): string[] {
  return withoutOptions(spec, dropped).options;
}

/** `Web.Container` -> `web-container`: the area of a derived row's id (pure). */
export function originSlug(origin: string): string {
  return (
    origin
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'spec'
  );
}

/** `CAP_NET_RAW`, `net_raw`, `ALL` -> `net_raw`, `all` (pure). */
export const capName = (c: string) => c.toLowerCase().replace(/^cap_/, '');

/** The bounding set `--cap-drop`/`--cap-add` should give from the set without them (pure). */
export function expectedBounding(
  base: readonly string[],
  drops: readonly string[],
  adds: readonly string[],
): string[] {
  const kept = drops.includes('all') ? [] : base.filter((c) => !drops.includes(c));
  return [...new Set([...kept, ...adds])];
}

/** The `/` write attempt of rootfs.read-only: EROFS on a read-only root. */
export const ROOT_WRITE = WRITE_ATTEMPTS[0] as Attempt;

/** Treatment check of `--read-only` (pure): `/` is mounted read-only and a write there fails with EROFS. */
export function checkRootReadOnly(s: ProbeSnapshot): Observation {
  const root = mountAt(s.mounts, '/');
  const a = attemptOf(s, ROOT_WRITE.name);
  if (a.exitCode >= 126) throw new OutputNotExplained(`the write did not run: ${lastLineOf(a)}`);
  const erofs = /Read-only file system/.test(a.text);
  return {
    holds: root !== undefined && isReadOnly(root) && a.exitCode !== 0 && erofs,
    observed: `/ mounted ${root ? (isReadOnly(root) ? 'ro' : 'rw') : '?'}; write: ${a.exitCode === 0 ? 'wrote' : lastLineOf(a)}`,
  };
}

/** Control check of `--read-only` (pure): without it `/` is mounted read-write. */
export function checkRootWritable(s: ProbeSnapshot): Observation {
  const root = mountAt(s.mounts, '/');
  return {
    holds: root !== undefined && !isReadOnly(root),
    observed: `/ mounted ${root ? (isReadOnly(root) ? 'ro' : 'rw') : '?'}`,
  };
}

const nnpLine = (s: ProbeSnapshot) =>
  s.noNewPrivs === undefined ? 'no NoNewPrivs line' : `NoNewPrivs: ${s.noNewPrivs ? 1 : 0}`;

/** Treatment check of `--user=UID[:GID]` (pure): the process runs with those ids. */
export function checkRunsAs(s: ProbeSnapshot, uid: number, gid: number | undefined): Observation {
  const ids = s;
  return {
    holds: ids.uid === uid && (gid === undefined || ids.gid === gid),
    observed: `uid ${ids.uid ?? '?'}, gid ${ids.gid ?? '?'}`,
  };
}

/** Control check of `--user` (pure): without it the process runs as another uid. */
export function checkRunsAsOther(s: ProbeSnapshot, uid: number): Observation {
  const ids = s;
  return {
    holds: ids.uid !== undefined && ids.uid !== uid,
    observed: `uid ${ids.uid ?? '?'}, gid ${ids.gid ?? '?'}`,
  };
}

/** A volume row's check (pure): the mount at `target` has `flag` (`ro`, `noexec`), or has not. */
export function checkMountFlag(
  s: ProbeSnapshot,
  target: string,
  flag: string,
  present: boolean,
): Observation {
  const m = mountAt(s.mounts, target);
  return {
    holds: m !== undefined && m.options.includes(flag) === present,
    observed: describeMount(m, target),
  };
}

/** The host id uid 0 in the container is (from the uid map it reports), if mapped. */
const rootOutside = (s: ProbeSnapshot) => {
  const r = s.uidMap.find((m) => m.inside === 0 && m.count > 0);
  return r?.outside;
};
const uidMapLine = (s: ProbeSnapshot) => `uid_map ${formatIdMap(s.uidMap)}`;

/**
 * `--userns=auto` treatment check (pure): uid 0 in the container is not the identity's own id
 * (`uid`: root's 0, or the rootless user's) in its parent namespace: a range of its own.
 */
export function checkRootRemapped(s: ProbeSnapshot, uid: number): Observation {
  const root = rootOutside(s);
  return { holds: root !== undefined && root !== uid, observed: `${uidMapLine(s)}: root is ${root ?? '?'}` };
}

/** Its control check (pure): without the option, uid 0 in the container is the identity's own id. */
export function checkRootIsOwn(s: ProbeSnapshot, uid: number): Observation {
  const root = rootOutside(s);
  return { holds: root === uid, observed: `${uidMapLine(s)}: root is ${root ?? '?'}` };
}

/**
 * `--userns=keep-id` treatment check (pure): the rootless user's uid in the container is the user
 * itself (0 of the rootless namespace that holds the container's).
 */
export function checkKeepsId(s: ProbeSnapshot, uid: number): Observation {
  const kept = s.uidMap.some(
    (m) => m.inside <= uid && uid < m.inside + m.count && m.outside + uid - m.inside === 0,
  );
  return { holds: kept, observed: `${uidMapLine(s)}: uid ${uid} ${kept ? 'is' : 'is not'} the user's own` };
}

/** Did the attempt get the kernel's own answer (the syscall passed seccomp)? */
const kernelAnswered = (a: { exitCode: number; text: string }, action: SyscallAction) =>
  action.kernelAnswer === 'success' ? a.exitCode === 0 : a.exitCode !== 0 && action.kernelAnswer.test(a.text);

/** The seccomp row's treatment check (pure): the action failed with the profile's errno, not the kernel's answer. */
export function checkRefusedWith(s: ProbeSnapshot, action: SyscallAction, errnoText: string): Observation {
  const a = attemptOf(s, 'seccomp');
  if (a.exitCode >= 126) throw new OutputNotExplained(`the attempt did not run: ${lastLineOf(a)}`);
  return {
    holds: a.exitCode !== 0 && a.text.includes(errnoText) && !kernelAnswered(a, action),
    observed: `${action.argv.join(' ')}: ${a.exitCode === 0 ? 'ran' : lastLineOf(a)}`,
  };
}

/** Its control check (pure): without the profile, the kernel answers the same action itself. */
export function checkKernelAnswered(s: ProbeSnapshot, action: SyscallAction): Observation {
  const a = attemptOf(s, 'seccomp');
  return {
    holds: kernelAnswered(a, action),
    observed: `${action.argv.join(' ')}: ${a.exitCode === 0 ? 'ran' : lastLineOf(a)}`,
  };
}

/** The setup of a derived claim: the user's image (present for this identity) and the probe's tools. */
interface SpecSetup extends ProbeSetup {
  tools: string[];
  /** podproof's tools dir on the host (its static busybox): the side observation's attempts run it. */
  toolsDir: string;
  /** The spec's generated unit is started under systemd and observed while it runs (see {@link runsUnderSystemd}). */
  underSystemd: boolean;
  /** The identity's own uid (whose ids `--userns=keep-id` keeps). */
  uid: number;
  /** A host process alive for the whole run (the harness's own), which `--pid=host` lists. */
  marker: number;
}

/**
 * The marker, where no container's own process could have its number; else none (-1), which the
 * control never lists: such a row is inconclusive, not proven.
 */
const usableMarker = (marker: number) => (marker > CONTAINER_PIDS ? marker : -1);

/**
 * The image as the spec names it, present in this identity's storage (podproof pulls nothing),
 * and the tools that probe it whatever it holds: asked once per identity and run.
 */
async function specSetup(ctx: ClaimContext, spec: ContainerSpec): Promise<SpecSetup> {
  const present = await ctx.shared(`image ${spec.image} present`, async (made) => {
    const e = await made.podman.cmd(['image', 'exists', spec.image], {
      purpose: `${spec.image} in this storage?`,
      timeoutMs: 30_000,
    });
    if (!succeeded(e) && e.exitCode !== 1) throw new Error(`podman image exists failed: exit ${e.exitCode}`);
    return succeeded(e);
  });
  if (!present)
    throw new SkipClaim(
      `image ${spec.image} is not in ${ctx.identity.name}'s storage (${ctx.identity.user}); podproof pulls nothing: pull or build it as ${ctx.identity.user} first`,
    );
  const dir = await ctx.shared('probe tools', (made) => probeTools(made.session, made.log, made.identity));
  return {
    image: spec.image,
    tools: probeToolsOptions(dir),
    toolsDir: dir,
    uid: ctx.identity.uid,
    marker: process.pid,
    underSystemd: runsUnderSystemd(ctx, spec),
  };
}

/**
 * A Quadlet spec's rows start its generated unit under systemd where the identity has a manager
 * (and `nsenter` reads the running container from the host side); elsewhere they run the same
 * options as a `podman run` probe.
 */
const runsUnderSystemd = (ctx: ClaimContext, spec: ContainerSpec) =>
  spec.unit !== undefined &&
  !systemdUnavailable(ctx.host, ctx.identity.name) &&
  which('nsenter') !== undefined;

/** One arm of a spec row: the container of `spec` (the spec as written, or a control), its attempts, the check. */
interface SpecArm<S extends SpecSetup = SpecSetup> {
  purpose: string;
  attempts?: readonly Attempt[];
  check: (s: ProbeSnapshot, setup: S) => Observation;
  /**
   * Observed from inside only (a probe container even under systemd): an attempt whose answer is
   * the container's own (a seccomp filter refuses the container's process, not the host side).
   */
  insideOnly?: boolean;
}

/**
 * An arm's container: under systemd the spec's generated unit, started (the spec as written: one
 * unit per identity, shared by the spec's rows) and read from the host side while its own command
 * runs; else a probe container of the same options (shared by identical requests).
 */
async function specSnapshot(
  ctx: ClaimContext,
  setup: SpecSetup,
  spec: ContainerSpec,
  a: Omit<SpecArm, 'check'> & { asWritten: boolean },
): Promise<ProbeSnapshot> {
  if (!setup.underSystemd || a.insideOnly)
    return snapshotOf(
      await ctx.probe({
        image: setup.image,
        flags: probeFlags(spec, setup),
        attempts: a.attempts ?? [],
        purpose: a.purpose,
      }),
    );
  const copy = unitCopy(spec);
  const started = a.asWritten
    ? await ctx.shared(`unit of ${spec.origin} as written`, (made) =>
        startSpecUnit(made, copy, 'treatment: the unit as written'),
      )
    : await startSpecUnit(ctx, copy, a.purpose);
  try {
    return snapshotOf(
      await observeFromSide(ctx, {
        pid: started.pid,
        tools: setup.toolsDir,
        attempts: a.attempts ?? [],
        purpose: `${a.purpose}: ${started.unit} read from the host side (PID ${started.pid})`,
      }),
    );
  } finally {
    // the shared one goes at teardown, with the run
    if (!a.asWritten) await started.remove();
  }
}

/** A spec row's arm (see {@link specSnapshot}). */
function specArm<S extends SpecSetup>(
  spec: ContainerSpec,
  asWritten: boolean,
  a: SpecArm<S>,
): Arm<S, ProbeSnapshot> {
  return {
    setting: a.purpose,
    observe: (ctx, setup) => specSnapshot(ctx, setup, spec, { ...a, asWritten }),
    check: a.check,
  };
}

/** What a derived row's source says: the spec as given. */
const sourceOf = (spec: ContainerSpec) =>
  `${spec.origin} (image ${spec.image}): ${spec.options.join(' ') || 'no options'}`;

/** A probe container of `spec`: its options as the probe runs them, and the tools' mount. */
const probeFlags = (spec: ContainerSpec, setup: SpecSetup) => [...probeOptions(spec), ...setup.tools];

/**
 * How a spec's rows share the host: a `--userns=auto` container made beside others can deadlock
 * podman 4.3 (podman#16062, as the catalog's userns claims): such a spec's rows run alone and
 * their arms one after the other; any other spec's arms run at once.
 */
const runsAlone = (spec: ContainerSpec) =>
  optionValues(spec, '--userns').some((v) => v.startsWith('auto'))
    ? { exclusive: true, concurrentArms: false }
    : { concurrentArms: true };

/** A row of a spec: its id, title, and the options its control leaves out. */
interface Derived {
  what: string;
  title: string;
  /** The option(s) under test, as the report's setting names them. */
  setting: string;
  /** The control: the spec less these options... */
  drop?: (name: string, value: string) => boolean;
  /** ...or this spec (the option set to its documented opposite: a volume `rw`, not `ro`). */
  controlSpec?: ContainerSpec;
  /** Where the setting applies (default both). */
  identities?: IdentityName[];
  attempts?: Attempt[];
  /** See {@link SpecArm.insideOnly}. */
  insideOnly?: boolean;
  treatment: (s: ProbeSnapshot, setup: SpecSetup) => Observation;
  control: (s: ProbeSnapshot, setup: SpecSetup) => Observation;
}

/** A claim of `spec` from a {@link Derived} row: the spec as written, and without the setting. */
function derivedClaim(spec: ContainerSpec, d: Derived): Claim<SpecSetup> {
  const control = d.controlSpec ?? withoutOptions(spec, d.drop ?? (() => false));
  return {
    id: `${originSlug(spec.origin)}.${d.what}`,
    title: `${spec.origin}: ${d.title}`,
    source: sourceOf(spec),
    identities: d.identities ?? ['rootful', 'rootless'],
    ...runsAlone(spec),
    setup: (ctx) => specSetup(ctx, spec),
    treatment: specArm(spec, true, {
      purpose: `treatment: ${d.setting}`,
      attempts: d.attempts ?? [],
      check: d.treatment,
      insideOnly: d.insideOnly,
    }),
    control: specArm(control, false, {
      purpose: d.controlSpec ? `control: ${controlSetting(spec, control)}` : `control: without ${d.setting}`,
      attempts: d.attempts ?? [],
      check: d.control,
      insideOnly: d.insideOnly,
    }),
  };
}

interface CapsSetup extends SpecSetup {
  /** The spec without its capability options: the control, and the base of the expectation. */
  base: ProbeSnapshot;
}

const isCapOption = (name: string) => name === '--cap-drop' || name === '--cap-add';

/** The capability row: the bounding set is the one without the options, less drops, plus adds. */
function capsClaim(spec: ContainerSpec, drops: string[], adds: string[]): Claim<CapsSetup> {
  const base = withoutOptions(spec, isCapOption);
  const setting = spec.options.filter((o) => isCapOption(optionParts(o).name)).join(' ');
  const bounding = (s: ProbeSnapshot) => s.capabilities?.bounding;
  return {
    id: `${originSlug(spec.origin)}.capabilities`,
    title: `${spec.origin}: ${setting} leaves exactly the capabilities it names`,
    source: sourceOf(spec),
    identities: ['rootful', 'rootless'],
    ...runsAlone(spec),
    async setup(ctx) {
      const s = await specSetup(ctx, spec);
      const b = await specSnapshot(ctx, s, base, {
        purpose: `control: without ${setting}`,
        asWritten: false,
      });
      return { ...s, base: b };
    },
    treatment: specArm<CapsSetup>(spec, true, {
      purpose: `treatment: ${setting}`,
      check: (s, { base: b }) =>
        checkCapSet(
          setting,
          bounding(s),
          expectedBounding(bounding(b) ?? [], drops, adds),
          'in the bounding set',
        ),
    }),
    control: {
      setting: `control: without ${setting}`,
      observe: async (_ctx, { base: b }) => b,
      check: (s) => {
        const have = bounding(s) ?? [];
        const want = expectedBounding(have, drops, adds);
        const same = want.length === have.length && want.every((c) => have.includes(c));
        return {
          holds: !same,
          observed: `without them: ${have.length} in the bounding set${same ? `, the same as ${setting} asks` : ''}`,
        };
      },
    },
  };
}

/** What the control spec has that the spec has not, for the report (pure). */
const controlSetting = (spec: ContainerSpec, control: ContainerSpec) =>
  control.options.filter((o) => !spec.options.includes(o)).join(' ') || 'without the setting';

/** `seccomp=FILE` (not `unconfined`): a profile of the user's. */
const isSeccompOption = (value: string) =>
  /^seccomp[=:]/.test(value) && !/^seccomp[=:]unconfined$/.test(value);

/** `--security-opt=mask=A:B` -> its paths (pure). */
const maskPaths = (value: string) => /^mask=(.+)$/.exec(value)?.[1]?.split(':').filter(Boolean);

/** `/srv/data` -> `srv-data`, for a volume row's id (pure). */
const pathSlug = (path: string) => path.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'root';

/** The rows of settings that restrict what the container sees: IPC, volumes, masks, user namespace. */
function visibilityRows(spec: ContainerSpec, take: (option: string) => void): Derived[] {
  const rows: Derived[] = [];
  if (optionValues(spec, '--ipc').at(-1) === 'none') {
    take('--ipc');
    rows.push({
      what: 'ipc-none',
      title: '--ipc=none gives the container no /dev/shm',
      setting: '--ipc=none',
      drop: (name) => name === '--ipc',
      treatment: checkNoShm,
      control: checkShmMounted,
    });
  }
  // a volume's ro or noexec: its control is the same volume rw or exec (mount flags, no write:
  // the directory is the user's)
  const opposite: Record<string, string> = { ro: 'rw', noexec: 'exec' };
  for (const v of hostVolumes(spec))
    for (const flag of ['ro', 'noexec'] as const) {
      if (!v.flags.includes(flag)) continue;
      take(v.option);
      const control = replacingOption(
        spec,
        v.option,
        volumeOption(
          v,
          v.flags.map((f) => (f === flag ? (opposite[flag] as string) : f)),
        ),
      );
      rows.push({
        what: `volume-${pathSlug(v.target)}-${flag}`,
        title: `the volume at ${v.target} is mounted ${flag}`,
        setting: v.option,
        controlSpec: control,
        treatment: (s) => checkMountFlag(s, v.target, flag, true),
        control: (s) => checkMountFlag(s, v.target, flag, false),
      });
    }
  const masks = optionValues(spec, '--security-opt').flatMap((v) => maskPaths(v) ?? []);
  if (masks.length)
    rows.push({
      what: 'mask',
      title: `mask hides ${masks.join(', ')} in the container`,
      setting: `--security-opt=mask=${masks.join(':')}`,
      drop: (name, value) => name === '--security-opt' && maskPaths(value) !== undefined,
      attempts: [existsAttempt(masks)],
      treatment: (s) => checkMasked(s, masks),
      control: (s) => checkUnmasked(s, masks, ''),
    });
  const pid = spec.options.filter((o) => optionParts(o).name === '--pid').at(-1);
  if (pid !== undefined && optionParts(pid).value === 'private') {
    take('--pid');
    rows.push({
      what: 'pid',
      title:
        "--pid=private gives the container a PID namespace of its own: the host's processes are not listed",
      setting: pid,
      // the documented opposite: the default is private too, so leaving it out shows nothing
      controlSpec: replacingOption(spec, pid, '--pid=host'),
      treatment: (s, { marker }) => checkOwnPidsOnly(s, usableMarker(marker)),
      control: (s, { marker }) => checkSeesMarker(s, usableMarker(marker)),
    });
  }
  const userns = optionValues(spec, '--userns').at(-1);
  const mode = userns?.split(':')[0];
  if (mode === 'auto' || mode === 'keep-id') {
    take('--userns');
    rows.push(
      mode === 'auto'
        ? {
            what: 'userns',
            title: `--userns=${userns} runs the container's root as an id of its own, not the identity's`,
            setting: `--userns=${userns}`,
            drop: (name) => name === '--userns',
            treatment: (s, { uid }) => checkRootRemapped(s, uid),
            control: (s, { uid }) => checkRootIsOwn(s, uid),
          }
        : {
            what: 'userns',
            title: `--userns=${userns} keeps the user's own uid in the container`,
            setting: `--userns=${userns}`,
            drop: (name) => name === '--userns',
            // rootful podman has no user of its own to keep (4.x refuses keep-id there)
            identities: ['rootless'],
            treatment: (s, { uid }) => checkKeepsId(s, uid),
            control: (s, { uid }) => {
              const kept = checkKeepsId(s, uid);
              return { ...kept, holds: !kept.holds };
            },
          },
    );
  }
  return rows;
}

/** A `[Service]` setting of a Quadlet unit whose effect the container's processes inherit. */
interface ServiceRow {
  what: string;
  title: string;
  /** The `[Service]` line as written. */
  line: string;
  /** The transient service's property (`systemd-run -p`) the treatment has and the control has not. */
  property: string;
  attempts?: Attempt[];
  treatment: (s: ProbeSnapshot) => Observation;
  control: (s: ProbeSnapshot) => Observation;
}

const systemdTrue = (v: string) => /^(yes|true|on|1)$/i.test(v.trim());

/** The `inet` attempt: a TCP connect on the container's own loopback, where nothing listens. */
export const INET_ATTEMPT: Attempt = { name: 'inet', argv: ['nc', '-w', '1', '127.0.0.1', '9'] };

/** Treatment check of `RestrictAddressFamilies` (pure): the socket call itself is refused (EAFNOSUPPORT). */
export function checkInetRefused(s: ProbeSnapshot): Observation {
  const a = attemptOf(s, INET_ATTEMPT.name);
  if (a.exitCode >= 126) throw new OutputNotExplained(`the attempt did not run: ${lastLineOf(a)}`);
  return {
    holds: a.exitCode !== 0 && /Address family not supported/i.test(a.text),
    observed: `AF_INET socket: ${a.exitCode === 0 ? 'connected' : lastLineOf(a)}`,
  };
}

/** Its control check (pure): without the property the kernel answers the connect itself (refused). */
export function checkInetAnswered(s: ProbeSnapshot): Observation {
  const a = attemptOf(s, INET_ATTEMPT.name);
  return {
    holds: a.exitCode !== 0 && /Connection refused/i.test(a.text),
    observed: `AF_INET socket: ${a.exitCode === 0 ? 'connected' : lastLineOf(a)}`,
  };
}

/**
 * The address families a `RestrictAddressFamilies=` line leaves a service, as far as AF_INET goes
 * (pure): an allow list without it, or a deny list (`~`) with it, refuses it; else undefined.
 */
export function refusesInet(value: string): boolean | undefined {
  const v = value.trim();
  if (v === '' || v === 'none') return undefined;
  const deny = v.startsWith('~');
  const families = v.replace(/^~/, '').split(/\s+/).filter(Boolean);
  return deny ? families.includes('AF_INET') : !families.includes('AF_INET');
}

/**
 * The `[Service]` rows of a Quadlet unit: settings systemd applies to podman's process, which
 * its container inherits (no_new_privs, a seccomp filter); the rest is listed as not proven.
 */
function serviceRows(spec: ContainerSpec, notProven: string[]): ServiceRow[] {
  const rows: ServiceRow[] = [];
  const lines = spec.unitSettings ?? [];
  const restricts = lines.filter((l) => l.startsWith('RestrictAddressFamilies='));
  const nnpOwn = optionValues(spec, '--security-opt').some((v) => /^no-new-privileges([:=]true)?$/.test(v));
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'NoNewPrivileges' && systemdTrue(value) && !nnpOwn)
      rows.push({
        what: 'no-new-privileges',
        title: 'sets NoNewPrivs for the container process (podman and the container inherit it)',
        line,
        property: 'NoNewPrivileges=yes',
        treatment: (s) => ({ holds: s.noNewPrivs === true, observed: nnpLine(s) }),
        control: (s) => ({ holds: s.noNewPrivs === false, observed: nnpLine(s) }),
      });
    else if (key === 'NoNewPrivileges' && systemdTrue(value))
      notProven.push(
        `[Service] ${line}: the container's own no-new-privileges sets the same bit; its row proves it`,
      );
    else if (key === 'RestrictAddressFamilies' && restricts.length === 1 && refusesInet(value))
      rows.push({
        what: 'restrict-address-families',
        title:
          "refuses the container's processes an AF_INET socket (EAFNOSUPPORT: the service's seccomp filter is inherited)",
        line,
        property: `RestrictAddressFamilies=${value}`,
        attempts: [INET_ATTEMPT],
        treatment: checkInetRefused,
        control: checkInetAnswered,
      });
    else if (key === 'RestrictAddressFamilies')
      notProven.push(
        `[Service] ${line}: ${restricts.length > 1 ? 'several lines add up; podproof proves one' : 'AF_INET stays allowed: podproof proves a refused AF_INET'}`,
      );
    else notProven.push(`[Service] ${line}: a setting of the systemd service, not of the container`);
  }
  return rows;
}

/**
 * A `[Service]` row: the spec's container started by a transient service of the identity's
 * manager with the property, and by the same service without it.
 */
function serviceClaim(spec: ContainerSpec, d: ServiceRow): Claim<SpecSetup> {
  const arm = (which: 'treatment' | 'control', check: (s: ProbeSnapshot) => Observation) => ({
    setting:
      which === 'treatment' ? `a service with ${d.property}` : `the same service without ${d.property}`,
    observe: async (ctx: ClaimContext, setup: SpecSetup) => {
      const outcome = await probeAsService(ctx, {
        image: setup.image,
        flags: probeFlags(spec, setup),
        attempts: d.attempts ?? [],
        properties: which === 'treatment' ? [d.property] : [],
        purpose: `${which}: a service ${which === 'treatment' ? 'with' : 'without'} ${d.property}`,
      });
      // a runtime known to fail there says so beside the error (never instead of a verdict)
      const bug = outcome.ok
        ? undefined
        : restrictedServiceRuntimeBug(ctx.host.identities[ctx.identity.name]?.podman, outcome.error);
      if (bug && !outcome.ok) throw new NotObserved(`${outcome.error}; ${bug}`);
      return snapshotOf(outcome);
    },
    check: (s: ProbeSnapshot) => check(s),
  });
  return {
    id: `${originSlug(spec.origin)}.service-${d.what}`,
    title: `${spec.origin}: [Service] ${d.line} ${d.title}`,
    source: `${sourceOf(spec)}; [Service] ${d.line}`,
    identities: ['rootful', 'rootless'],
    ...runsAlone(spec),
    needs: (host, identity) => systemdUnavailable(host, identity.name),
    async setup(ctx) {
      const setup = await specSetup(ctx, spec);
      // a rootless podman under NoNewPrivileges cannot run the setuid newuidmap: it joins the
      // user namespace podproof's store already has (podman-usernamespace.service's oneshot)
      if (ctx.identity.name === 'rootless' && d.property.startsWith('NoNewPrivileges')) {
        const made = await ctx.podman.cmd(['unshare', 'true'], {
          purpose: 'the user namespace, made before the service',
        });
        if (!succeeded(made)) throw new Error(`podman unshare failed: ${describeEvidence(made)}`);
      }
      return setup;
    },
    treatment: arm('treatment', d.treatment),
    control: arm('control', d.control),
  };
}

/** What a spec becomes: a claim per setting podproof proves, and the options it does not. */
export interface SpecClaims {
  claims: Claim[];
  /** Every option of the spec no claim proves, with why: never dropped silently. */
  notProven: string[];
}

/**
 * The claims of `spec` (pure): one row per isolation setting podproof knows, whose treatment is
 * the spec as written and whose control is the spec without that one setting, observed from
 * inside by podproof's probe (its own busybox mounted into the user's image).
 */
export function specClaims(spec: ContainerSpec): SpecClaims {
  const claims: Claim[] = [];
  const proven = new Set<string>();
  const take = (name: string) => proven.add(name);
  const networks = optionValues(spec, '--network');
  if (networks.at(-1) === 'none') {
    take('--network');
    claims.push(
      derivedClaim(spec, {
        what: 'network-none',
        title: '--network=none leaves only the loopback interface',
        setting: '--network=none',
        drop: (name) => name === '--network',
        treatment: checkLoopbackOnly,
        control: checkHasOtherInterface,
      }),
    );
  }
  const drops = optionValues(spec, '--cap-drop', true).map(capName);
  const adds = optionValues(spec, '--cap-add', true).map(capName);
  if ((drops.length || adds.length) && !adds.includes('all')) {
    take('--cap-drop');
    take('--cap-add');
    claims.push(capsClaim(spec, drops, adds));
  }
  const readOnly = optionValues(spec, '--read-only');
  if (readOnly.length && readOnly.at(-1) !== 'false') {
    take('--read-only');
    claims.push(
      derivedClaim(spec, {
        what: 'read-only',
        title: '--read-only mounts the root filesystem read-only (a write there fails with EROFS)',
        setting: '--read-only',
        drop: (name) => name === '--read-only',
        attempts: [ROOT_WRITE],
        treatment: checkRootReadOnly,
        control: checkRootWritable,
      }),
    );
  }
  const nnp = (value: string) => /^no-new-privileges([:=]true)?$/.test(value);
  if (optionValues(spec, '--security-opt').some(nnp)) {
    claims.push(
      derivedClaim(spec, {
        what: 'no-new-privileges',
        title: 'no-new-privileges sets NoNewPrivs for the container process',
        setting: '--security-opt=no-new-privileges',
        drop: (name, value) => name === '--security-opt' && nnp(value),
        treatment: (s) => ({ holds: s.noNewPrivs === true, observed: nnpLine(s) }),
        control: (s) => ({ holds: s.noNewPrivs === false, observed: nnpLine(s) }),
      }),
    );
  }
  const user = optionValues(spec, '--user').at(-1);
  const ids = user ? /^(\d+)(?::(\d+))?$/.exec(user) : null;
  if (ids) {
    take('--user');
    const uid = Number(ids[1]);
    const gid = ids[2] === undefined ? undefined : Number(ids[2]);
    claims.push(
      derivedClaim(spec, {
        what: 'user',
        title: `--user=${user} runs the container's process as uid ${uid}${gid === undefined ? '' : `, gid ${gid}`}`,
        setting: `--user=${user}`,
        drop: (name) => name === '--user',
        treatment: (s) => checkRunsAs(s, uid, gid),
        control: (s) => checkRunsAsOther(s, uid),
      }),
    );
  }
  for (const row of visibilityRows(spec, take)) claims.push(derivedClaim(spec, row));
  const notProven: string[] = [];
  const profile = seccompProfilePaths(spec).at(-1);
  if (profile) {
    const text = spec.files?.[profile];
    const found: SeccompProbe = text === undefined ? { why: 'the file was not read' } : seccompProbe(text);
    if ('why' in found) notProven.push(`--security-opt=seccomp=${profile}: ${found.why}`);
    else
      claims.push(
        derivedClaim(spec, {
          what: 'seccomp',
          title: `the seccomp profile ${profile} refuses ${found.action.name} (${found.action.syscalls.join('/')}) with "${found.errnoText}"`,
          setting: `--security-opt=seccomp=${profile}`,
          drop: (name, value) => name === '--security-opt' && isSeccompOption(value),
          attempts: [{ name: 'seccomp', argv: found.action.argv }],
          insideOnly: true,
          treatment: (s) => checkRefusedWith(s, found.action, found.errnoText),
          control: (s) => checkKernelAnswered(s, found.action),
        }),
      );
  }
  if (adds.includes('all')) {
    take('--cap-add');
    take('--cap-drop');
    notProven.push("--cap-add=all: the full set is the kernel's, not a list podproof can check");
  }
  if (user && !ids) {
    take('--user');
    notProven.push(`--user=${user}: a name's uid comes from the image's passwd; give UID[:GID]`);
  }
  for (const option of spec.options) {
    const { name, value } = optionParts(option);
    if (proven.has(name) || proven.has(option)) continue;
    if (name === '--security-opt' && (nnp(value) || maskPaths(value) || (profile && isSeccompOption(value))))
      continue;
    if (dropped(name, value))
      notProven.push(
        !spec.unit
          ? `${option}: not used by the probe (the harness's own, or it would change the host)`
          : leftOutOfUnit(name, value)
            ? `${option}: left out of podproof's copy of the unit and of the probe (it would take the deployed service's port, address, pod or volume)`
            : `${option}: not a setting podproof proves (kept as generated in the unit started under systemd; a probe container leaves it out)`,
      );
    else if (name === '--network') notProven.push(`${option}: podproof proves --network=none only`);
    else if (name === '--pid')
      notProven.push(
        value === 'host'
          ? `${option}: the host's PID namespace, which isolates nothing (see what it leaves open)`
          : `${option}: another PID namespace; podproof proves --pid=private only`,
      );
    else notProven.push(`${option}: not a setting podproof proves yet`);
  }
  for (const row of serviceRows(spec, notProven)) claims.push(serviceClaim(spec, row));
  return { claims, notProven };
}

/**
 * What a spec leaves open on this host (pure): for each setting podproof knows that the spec does
 * not set, what its container showed (`s`: a snapshot of the spec as written), never a fixed text.
 */
export function leftOpen(spec: ContainerSpec, s: ProbeSnapshot): string[] {
  const open: string[] = [];
  const set = (name: string) => optionValues(spec, name).length > 0;
  const others = s.interfaces.filter((i) => !i.loopback);
  if (optionValues(spec, '--network').at(-1) !== 'none' && others.length)
    open.push(
      `network: ${others.map((i) => `${i.name} ${i.addresses.join(' ')}`.trim()).join(', ')} besides lo`,
    );
  const bounding = s.capabilities?.bounding;
  if (!set('--cap-drop') && bounding)
    open.push(
      `capabilities: ${bounding.length} in the bounding set (${[...bounding].sort().join(', ')}); NET_RAW ${bounding.includes('net_raw') ? 'among them' : 'not among them'}`,
    );
  const root = mountAt(s.mounts, '/');
  if (root && !isReadOnly(root)) open.push('root filesystem: mounted read-write');
  if (s.noNewPrivs === false) open.push('NoNewPrivs: 0 (a setuid binary in the image can raise its user)');
  if (s.uid === 0) open.push("user: uid 0 (the image's root)");
  const userns = optionValues(spec, '--userns').at(-1);
  if (rootOutside(s) === 0 && (userns === undefined || userns === 'host'))
    open.push(`user namespace: ${uidMapLine(s)} (uid 0 in the container is the host's uid 0)`);
  // an isolated PID namespace lists the probe's own few processes
  if (s.pids.length > 5) open.push(`processes: ${s.pids.length} visible (another PID namespace's)`);
  return open;
}
