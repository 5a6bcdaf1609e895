/**
 * What Quadlet generates for a `.container` file, read back (pure): the `podman run` arguments of
 * the service's `ExecStart=`, so a proof of a Quadlet unit is a proof of what systemd would run.
 */

/** Split a systemd command line into words: "double" and 'single' quotes, backslash escapes (pure). */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '\\' && i + 1 < line.length && quote !== "'") {
      word += line[++i];
      inWord = true;
    } else if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in ${JSON.stringify(line)}`);
  if (inWord) words.push(word);
  return words;
}

/** The units of `quadlet -dryrun` output: `---NAME---` headers, each followed by its text (pure). */
export function generatedUnits(dryrun: string): Map<string, string> {
  const units = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name) units.set(name, lines.join('\n'));
  };
  for (const line of dryrun.split('\n')) {
    const header = /^---(.+)---$/.exec(line.trim());
    if (header) {
      flush();
      name = header[1];
      lines = [];
    } else if (name) lines.push(line);
  }
  flush();
  return units;
}

/**
 * The `podman run` arguments (after `run`) of a generated service's `ExecStart=` (pure), or
 * undefined when it has none that runs podman. Continuation lines (a trailing backslash) are joined.
 */
export function execStartRunArgs(unit: string): string[] | undefined {
  const joined = unit.replace(/\\\n/g, ' ');
  const line = /^ExecStart=(.*)$/m.exec(joined)?.[1];
  if (!line) return undefined;
  const words = splitCommandLine(line.replace(/^[-@:+!]+/, ''));
  const run = words.indexOf('run');
  if (run < 0 || !/(^|\/)podman$/.test(words[0] ?? '')) return undefined;
  return words.slice(run + 1);
}

/** The `Key=value` lines of a unit file's `[Service]` section (pure). */
export function serviceSettings(unitFile: string): string[] {
  let inService = false;
  const out: string[] = [];
  for (const raw of unitFile.split('\n')) {
    const line = raw.trim();
    if (/^\[.+\]$/.test(line)) inService = line === '[Service]';
    else if (inService && line && !/^[#;]/.test(line)) out.push(line);
  }
  return out;
}

/**
 * The first line of a unit file systemd could not read (pure): not a `[Section]`, a `Key=value`,
 * a comment or blank, nor the continuation of a line ending in a backslash. 1-based.
 */
export function malformedUnitLine(unitFile: string): { line: number; text: string } | undefined {
  let continued = false;
  const lines = unitFile.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] ?? '').trim();
    const wasContinued = continued;
    continued = text.endsWith('\\');
    if (wasContinued || !text || /^[#;]/.test(text)) continue;
    if (/^\[[^\]]+\]$/.test(text) || /^[A-Za-z][\w-]*\s*=/.test(text)) continue;
    return { line: i + 1, text };
  }
  return undefined;
}

/** The 1-based line of `key=` in a unit file, for an error that names the key only (pure). */
export function lineOfKey(unitFile: string, key: string): number | undefined {
  const i = unitFile
    .split('\n')
    .findIndex((l) => new RegExp(`^\\s*${key.replace(/\W/g, '\\$&')}\\s*=`).test(l));
  return i < 0 ? undefined : i + 1;
}
