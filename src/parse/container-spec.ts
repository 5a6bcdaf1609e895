/**
 * A user's container as one typed value: the image, and the `podman run` options that make it,
 * from a `podman run` argument list, a builder, or a Quadlet unit's generated command. Pure: no
 * file or process here.
 */
export interface ContainerSpec {
  /** Where it came from, for row ids and titles: `run`, `web.container`, `app`. */
  origin: string;
  image: string;
  /** `podman run` options, each one `--name=value` or `--flag` element, in the order given. */
  options: string[];
  /** The command after the image (kept for the record: a probe runs podproof's own). */
  command: string[];
  /** A Quadlet unit's `[Service]` lines (`NoNewPrivileges=yes`): listed, not run by a probe. */
  unitSettings?: string[];
  /**
   * The service Quadlet generated for it (a `.container` file): where the identity has a systemd
   * manager, its rows start this unit (under a podproof name) and observe it while it runs.
   */
  unit?: string;
  /** Files the options name, by path, as read when the spec was loaded (a seccomp profile). */
  files?: Record<string, string>;
}

/** The seccomp profile files the spec names (`--security-opt seccomp=FILE`), pure. */
export function seccompProfilePaths(spec: ContainerSpec): string[] {
  return optionValues(spec, '--security-opt')
    .map((v) => /^seccomp[=:](.+)$/.exec(v)?.[1] ?? '')
    .filter((p) => p && p !== 'unconfined');
}

/** A spec that cannot be read: the argument (or file line) it could not read, and why. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/** `podman run` options that take no value (podman 3.4 to 5.8; `--flag=false` is read as given). */
const BOOLEAN_OPTIONS = new Set([
  '--detach',
  '--disable-content-trust',
  '--env-host',
  '--help',
  '--http-proxy',
  '--init',
  '--interactive',
  '--no-healthcheck',
  '--no-hosts',
  '--oom-kill-disable',
  '--passwd',
  '--privileged',
  '--publish-all',
  '--quiet',
  '--read-only',
  '--read-only-tmpfs',
  '--replace',
  '--rm',
  '--rmi',
  '--sig-proxy',
  '--tls-verify',
  '--tty',
]);

/** One-letter options: boolean ones, and those that take a value. */
const SHORT_BOOLEAN: Record<string, string> = {
  d: '--detach',
  i: '--interactive',
  t: '--tty',
  P: '--publish-all',
  q: '--quiet',
};
const SHORT_VALUE: Record<string, string> = {
  a: '--attach',
  c: '--cpu-shares',
  e: '--env',
  h: '--hostname',
  l: '--label',
  m: '--memory',
  p: '--publish',
  u: '--user',
  v: '--volume',
  w: '--workdir',
};
/** Spellings podman takes for one option. */
const ALIASES: Record<string, string> = { '--net': '--network' };

/**
 * Read `podman run` arguments (without `podman run` itself) with podman's option grammar:
 * `--opt value`, `--opt=value`, `-v value`, `-it`; the first argument that is not an option is
 * the image, the rest its command (pure). Unknown long options are kept as given: with a value
 * when one follows that is not an option (podman's own parser decides in the end: the probe runs
 * them through it).
 */
export function fromRunArgs(args: readonly string[], origin = 'run'): ContainerSpec {
  const options: string[] = [];
  let i = 0;
  const nextValue = (name: string): string => {
    const value = args[i + 1];
    if (value === undefined) throw new SpecError(`${name} needs a value`);
    i += 2;
    return value;
  };
  while (i < args.length) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const raw = eq < 0 ? arg : arg.slice(0, eq);
      const name = ALIASES[raw] ?? raw;
      if (eq >= 0) {
        options.push(`${name}=${arg.slice(eq + 1)}`);
        i++;
      } else if (BOOLEAN_OPTIONS.has(name)) {
        options.push(name);
        i++;
      } else options.push(`${name}=${nextValue(name)}`);
      continue;
    }
    // -it, -dit: a cluster of one-letter booleans; -v X, -vX, -v=X: one that takes a value
    const letters = arg.slice(1);
    if ([...letters].every((l) => l in SHORT_BOOLEAN)) {
      for (const l of letters) options.push(SHORT_BOOLEAN[l] as string);
      i++;
      continue;
    }
    const first = letters[0] as string;
    const long = SHORT_VALUE[first];
    if (!long) throw new SpecError(`unknown option ${arg}`);
    const rest = letters.slice(1).replace(/^=/, '');
    if (rest) {
      options.push(`${long}=${rest}`);
      i++;
    } else options.push(`${long}=${nextValue(arg)}`);
  }
  const image = args[i];
  if (image === undefined) throw new SpecError('no image: podman run [options] IMAGE [COMMAND...]');
  return { origin, image, options, command: args.slice(i + 1) };
}

/** `--name=value` split (pure); a boolean option's value is `true` unless written `=false`. */
export function optionParts(option: string): { name: string; value: string } {
  const eq = option.indexOf('=');
  return eq < 0
    ? { name: option, value: 'true' }
    : { name: option.slice(0, eq), value: option.slice(eq + 1) };
}

/** The values of every `name` option, comma lists split (pure): `--cap-drop=a,b --cap-drop=c` -> a, b, c. */
export function optionValues(spec: ContainerSpec, name: string, split = false): string[] {
  return spec.options
    .map(optionParts)
    .filter((o) => o.name === name)
    .flatMap((o) => (split ? o.value.split(',') : [o.value]))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The spec without the options `drop` says (pure): the control of one setting. */
export function withoutOptions(
  spec: ContainerSpec,
  drop: (name: string, value: string) => boolean,
): ContainerSpec {
  return {
    ...spec,
    options: spec.options.filter((o) => {
      const { name, value } = optionParts(o);
      return !drop(name, value);
    }),
  };
}

/** The long options `podman run --help` lists (pure): `      --cap-add strings   Add ...`. */
export function runHelpOptions(help: string): Set<string> {
  return new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z0-9][a-z0-9-]*)/gm)].map((m) => m[1] as string));
}

/** The spec's options this podman does not know (pure), by name. */
export function unknownOptions(spec: ContainerSpec, known: ReadonlySet<string>): string[] {
  return [...new Set(spec.options.map((o) => optionParts(o).name))].filter((n) => !known.has(n));
}

/** The spec with `option` (as written) replaced by `by`, or removed when `by` is undefined (pure). */
export function replacingOption(spec: ContainerSpec, option: string, by: string | undefined): ContainerSpec {
  return {
    ...spec,
    options: spec.options.flatMap((o) => (o === option ? (by === undefined ? [] : [by]) : [o])),
  };
}

/** A `--volume` of a host path (`SRC:DST[:OPTS]`): named volumes are podman's to make. */
export interface HostVolume {
  /** The option as written (`--volume=/srv/data:/data:ro,noexec`). */
  option: string;
  source: string;
  target: string;
  /** Its options (`ro`, `noexec`, `z`, ...), in order. */
  flags: string[];
}

/** The spec's host-path volumes (pure). */
export function hostVolumes(spec: ContainerSpec): HostVolume[] {
  return spec.options.flatMap((option) => {
    const { name, value } = optionParts(option);
    const [source, target, flags] = value.split(':');
    if (name !== '--volume' || !source || !/^[/.]/.test(source) || !target) return [];
    return [{ option, source, target, flags: flags ? flags.split(',').filter(Boolean) : [] }];
  });
}

/** A volume's option with other flags (pure): none left, no `:` part. */
export const volumeOption = (v: HostVolume, flags: string[]): string =>
  `--volume=${v.source}:${v.target}${flags.length ? `:${flags.join(',')}` : ''}`;

/**
 * A container spec built in code (testcontainers style): `container(image).withNetwork('none')
 * .withCapDrop('ALL').withReadOnly().toSpec()`. Each method returns a new builder.
 */
export class ContainerBuilder {
  constructor(
    readonly image: string,
    private readonly opts: readonly string[] = [],
    private readonly origin = 'container',
    private readonly command: readonly string[] = [],
  ) {}
  private with(...more: string[]): ContainerBuilder {
    return new ContainerBuilder(this.image, [...this.opts, ...more], this.origin, this.command);
  }
  /** Name the rows this spec's claims get (`NAME.network-none`, ...). */
  named(origin: string): ContainerBuilder {
    return new ContainerBuilder(this.image, this.opts, origin, this.command);
  }
  /** The command after the image (a started container runs it; a probe runs podproof's own). */
  withCommand(...command: string[]): ContainerBuilder {
    return new ContainerBuilder(this.image, this.opts, this.origin, command);
  }
  withNetwork(mode: string): ContainerBuilder {
    return this.with(`--network=${mode}`);
  }
  withCapDrop(...caps: string[]): ContainerBuilder {
    return this.with(...caps.map((c) => `--cap-drop=${c}`));
  }
  withCapAdd(...caps: string[]): ContainerBuilder {
    return this.with(...caps.map((c) => `--cap-add=${c}`));
  }
  withReadOnly(): ContainerBuilder {
    return this.with('--read-only');
  }
  withNoNewPrivileges(): ContainerBuilder {
    return this.with('--security-opt=no-new-privileges');
  }
  withUser(user: string): ContainerBuilder {
    return this.with(`--user=${user}`);
  }
  withIpc(mode: string): ContainerBuilder {
    return this.with(`--ipc=${mode}`);
  }
  /** The PID namespace (`private` is the one podproof proves). */
  withPid(mode: string): ContainerBuilder {
    return this.with(`--pid=${mode}`);
  }
  /** A host directory as a volume, with its options (`ro`, `noexec`, ...). */
  withVolume(source: string, target: string, ...flags: string[]): ContainerBuilder {
    return this.with(`--volume=${source}:${target}${flags.length ? `:${flags.join(',')}` : ''}`);
  }
  /** Paths the container sees masked (`--security-opt=mask=A:B`). */
  withMask(...paths: string[]): ContainerBuilder {
    return this.with(`--security-opt=mask=${paths.join(':')}`);
  }
  withUserns(mode: string): ContainerBuilder {
    return this.with(`--userns=${mode}`);
  }
  /** Any other `podman run` option, as podman reads it (`--ipc=none`, `--pids-limit=100`). */
  withOption(...args: string[]): ContainerBuilder {
    return this.with(...fromRunArgs([...args, this.image]).options);
  }
  toSpec(): ContainerSpec {
    return { origin: this.origin, image: this.image, options: [...this.opts], command: [...this.command] };
  }
}

/** Start a {@link ContainerBuilder} for `image`. */
export const container = (image: string): ContainerBuilder => new ContainerBuilder(image);
