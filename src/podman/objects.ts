/** The kinds of podman objects a session labels, and what a teardown lists to find them. */
export type ObjectKind = 'pod' | 'container' | 'volume' | 'network' | 'image' | 'secret';

export const OBJECT_KINDS: readonly ObjectKind[] = [
  'pod',
  'container',
  'volume',
  'network',
  'image',
  'secret',
];

/** podman's global flags that take no value (every other global flag before the verb takes one). */
const BOOLEAN_GLOBALS = new Set(['--remote', '-r', '--syslog', '--noout']);

/** `args` without podman's global flags: the verb first (pure). */
export function withoutGlobalFlags(args: readonly string[]): string[] {
  let i = 0;
  while (i < args.length && args[i]?.startsWith('-')) {
    const flag = args[i] as string;
    i += flag.includes('=') || BOOLEAN_GLOBALS.has(flag) ? 1 : 2;
  }
  return args.slice(i);
}

const positionals = (args: readonly string[]) => args.filter((a) => !a.startsWith('-'));

/**
 * `podman run --rm --rmi`'s stderr says its image was not removed (pure): podman logs that and
 * keeps the container's exit code ("failed removing image: ... in use", "image not known").
 */
export function imageRemovalFailed(stderr: string): boolean {
  return /removing image|image not known|image is in use/i.test(stderr);
}

/**
 * The kinds of labelled objects a session's podman commands may have left, in the order they ran
 * (pure): a kind whose every object made by name was removed by a command that succeeded is not
 * among them, nor a kind no command made. Containers always are (any run or unit makes them, and
 * a `run --rm` cut short leaves one); a `run --rmi` that succeeded and said nothing of its image
 * removed the image it ran. Commands it does not know make nothing it looks for: pulled
 * images carry no session label, fixtures carry their own.
 */
export function kindsLeft(
  commands: readonly { args: readonly string[]; ok: boolean; stderr?: string }[],
): Set<ObjectKind> {
  const made = new Map<ObjectKind, Set<string>>();
  const left = new Set<ObjectKind>(['container']);
  const make = (kind: ObjectKind, name: string | undefined) => {
    if (!name || name.startsWith('-')) left.add(kind);
    else made.set(kind, (made.get(kind) ?? new Set()).add(name));
  };
  const remove = (kind: ObjectKind, names: readonly string[]) => {
    for (const n of names) made.get(kind)?.delete(n);
  };
  for (const { args, ok, stderr } of commands) {
    const [verb, sub, ...rest] = withoutGlobalFlags(args);
    if (verb === 'network' && sub === 'create') make('network', rest[rest.length - 1]);
    else if (verb === 'network' && (sub === 'rm' || sub === 'remove') && ok)
      remove('network', positionals(rest));
    else if (verb === 'secret' && sub === 'create')
      // a flag could take the next word as its value: then the name is not known
      make('secret', rest.some((a) => a.startsWith('-')) ? undefined : rest[0]);
    else if (verb === 'secret' && sub === 'rm' && ok) remove('secret', positionals(rest));
    else if (verb === 'commit') make('image', args[args.length - 1]);
    else if ((verb === 'rmi' || (verb === 'image' && sub === 'rm')) && ok)
      remove('image', positionals(verb === 'rmi' ? [sub ?? '', ...rest] : rest));
    else if (verb === 'run' && ok && args.includes('--rmi') && !imageRemovalFailed(stderr ?? ''))
      // the image run is one of the words: a made image's name is never another flag's value
      remove('image', args);
    else if (
      verb === 'build' ||
      verb === 'import' ||
      verb === 'load' ||
      (verb === 'image' && sub === 'build')
    )
      left.add('image');
    else if (verb === 'pod' && sub !== 'ps' && sub !== 'inspect' && sub !== 'exists') left.add('pod');
    else if (verb === 'volume' && sub === 'create') left.add('volume');
    else if ((verb === 'run' || verb === 'create') && args.some((a) => /^--pod(=|$)/.test(a)))
      left.add('pod');
  }
  for (const [kind, names] of made) if (names.size) left.add(kind);
  return left;
}
