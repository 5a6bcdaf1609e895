/** Linux capabilities by bit number (linux/capability.h; 41 as of Linux 5.9+). */
export const CAPABILITY_NAMES = [
  'chown',
  'dac_override',
  'dac_read_search',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'linux_immutable',
  'net_bind_service',
  'net_broadcast',
  'net_admin',
  'net_raw',
  'ipc_lock',
  'ipc_owner',
  'sys_module',
  'sys_rawio',
  'sys_chroot',
  'sys_ptrace',
  'sys_pacct',
  'sys_admin',
  'sys_boot',
  'sys_nice',
  'sys_resource',
  'sys_time',
  'sys_tty_config',
  'mknod',
  'lease',
  'audit_write',
  'audit_control',
  'setfcap',
  'mac_override',
  'mac_admin',
  'syslog',
  'wake_alarm',
  'block_suspend',
  'audit_read',
  'perfmon',
  'bpf',
  'checkpoint_restore',
] as const;

/** The capability sets of one process, as names (`cap_N` for bits newer than this table). */
export interface CapabilitySets {
  inheritable: string[];
  permitted: string[];
  effective: string[];
  bounding: string[];
  ambient: string[];
}

/** Names for the bits set in a hex mask such as `00000000800405fb` (pure). */
export function decodeCapMask(hex: string): string[] {
  if (!/^[0-9a-f]+$/i.test(hex)) throw new Error(`not a capability mask: ${JSON.stringify(hex)}`);
  const mask = BigInt(`0x${hex}`);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(CAPABILITY_NAMES[bit] ?? `cap_${bit}`);
  }
  return names;
}

/** Normalise `CAP_NET_RAW`, `net_raw` or `NET_RAW` to `net_raw`. */
export function capName(name: string): string {
  return name.trim().toLowerCase().replace(/^cap_/, '');
}

/** Cap{Inh,Prm,Eff,Bnd,Amb} from /proc/PID/status text (pure); undefined when a line is missing. */
export function parseCapabilities(status: string): CapabilitySets | undefined {
  const field = (name: string) => new RegExp(`^${name}:\\s*([0-9a-fA-F]+)\\s*$`, 'm').exec(status)?.[1];
  const inh = field('CapInh');
  const prm = field('CapPrm');
  const eff = field('CapEff');
  const bnd = field('CapBnd');
  if (inh === undefined || prm === undefined || eff === undefined || bnd === undefined) return undefined;
  const amb = field('CapAmb'); // since Linux 4.3
  return {
    inheritable: decodeCapMask(inh),
    permitted: decodeCapMask(prm),
    effective: decodeCapMask(eff),
    bounding: decodeCapMask(bnd),
    ambient: amb === undefined ? [] : decodeCapMask(amb),
  };
}

/** `NoNewPrivs:` and `Seccomp:` from /proc/PID/status. */
export function parseSecurityStatus(status: string): {
  noNewPrivs?: boolean;
  seccomp?: number;
  uid?: number;
  gid?: number;
} {
  const field = (key: string) => new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(status)?.[1];
  const nnp = field('NoNewPrivs');
  const sec = field('Seccomp');
  const uid = field('Uid');
  const gid = field('Gid');
  return {
    noNewPrivs: nnp === undefined ? undefined : nnp === '1',
    seccomp: sec === undefined ? undefined : Number(sec),
    uid: uid === undefined ? undefined : Number(uid),
    gid: gid === undefined ? undefined : Number(gid),
  };
}
