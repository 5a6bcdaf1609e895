/**
 * A seccomp profile (the OCI/Docker JSON podman's `--security-opt seccomp=FILE` takes), read for
 * one question (pure): which probe action it refuses, and with which errno.
 */

/** An action of the probe and every syscall a libc may make for it (x86_64 and arm64 alike). */
export interface SyscallAction {
  name: string;
  syscalls: string[];
  /** The probe's attempt: its argv in the container. */
  argv: string[];
  /**
   * What the kernel itself answers when seccomp lets the syscall through, whatever the user,
   * mounts or image (seccomp decides before any of them is looked at).
   */
  kernelAnswer: 'success' | RegExp;
}

/** Actions the probe can take with busybox alone, changing nothing. */
export const SECCOMP_ACTIONS: SyscallAction[] = [
  // mkdir("/proc"), there in every container: the kernel says EEXIST before it checks a
  // permission or a read-only mount (busybox makes no syscall for "/")
  { name: 'mkdir', syscalls: ['mkdir', 'mkdirat'], argv: ['mkdir', '/proc'], kernelAnswer: /File exists/ },
  { name: 'uname', syscalls: ['uname'], argv: ['uname', '-a'], kernelAnswer: 'success' },
];

/** strerror() of the errnos a profile usually returns, as busybox prints them. */
const ERRNO_TEXT: Record<number, string> = {
  1: 'Operation not permitted',
  13: 'Permission denied',
  22: 'Invalid argument',
  38: 'Function not implemented',
  95: 'Operation not supported',
};

interface Rule {
  names?: string[];
  name?: string;
  action?: string;
  errnoRet?: number;
  args?: unknown[] | null;
  includes?: Record<string, unknown>;
  excludes?: Record<string, unknown>;
}

/** What a profile refuses that the probe can try: the action, and the text of its errno. */
export type SeccompProbe = { action: SyscallAction; errno: number; errnoText: string } | { why: string };

const conditional = (r: Rule) =>
  (Array.isArray(r.args) && r.args.length > 0) ||
  Object.keys(r.includes ?? {}).length > 0 ||
  Object.keys(r.excludes ?? {}).length > 0;

/**
 * The first of {@link SECCOMP_ACTIONS} whose every syscall the profile answers with one errno
 * (unconditionally: a rule with argument, capability or architecture conditions leaves it open).
 */
export function seccompProbe(profileText: string): SeccompProbe {
  let profile: { defaultAction?: string; defaultErrnoRet?: number; syscalls?: Rule[] };
  try {
    profile = JSON.parse(profileText);
  } catch (err) {
    return { why: `not JSON: ${(err as Error).message}` };
  }
  if (typeof profile?.defaultAction !== 'string') return { why: 'no defaultAction' };
  const rules = Array.isArray(profile.syscalls) ? profile.syscalls : [];
  const answer = (syscall: string): { errno?: number; open?: boolean } => {
    const named = rules.filter((r) => (r.names ?? (r.name ? [r.name] : [])).includes(syscall));
    if (named.some(conditional)) return { open: true };
    const rule = named[0];
    const action = rule?.action ?? profile.defaultAction;
    if (action !== 'SCMP_ACT_ERRNO') return {};
    // a rule's errno defaults to EPERM; defaultErrnoRet is the default action's alone
    return { errno: rule ? (rule.errnoRet ?? 1) : (profile.defaultErrnoRet ?? 1) };
  };
  for (const action of SECCOMP_ACTIONS) {
    const answers = action.syscalls.map(answer);
    const errnos = new Set(answers.map((a) => a.errno));
    const errno = answers[0]?.errno;
    if (errno === undefined || errnos.size !== 1 || answers.some((a) => a.open)) continue;
    const errnoText = ERRNO_TEXT[errno];
    if (errnoText) return { action, errno, errnoText };
  }
  return {
    why: `it refuses none of ${SECCOMP_ACTIONS.map((a) => a.syscalls.join('/')).join(', ')} outright with a known errno (the syscalls podproof's probe can try)`,
  };
}
