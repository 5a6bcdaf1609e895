import { BEGIN, END } from './script.js';

/** One file the probe printed: its text and the exit code of `cat`. */
export interface Section {
  text: string;
  exitCode: number;
}

/** Split the probe's output into sections by name (pure). Text before or between sections is ignored. */
export function parseSections(output: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  let current: { name: string; lines: string[] } | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(`${BEGIN} `)) {
      current = { name: line.slice(BEGIN.length + 1).trim(), lines: [] };
      continue;
    }
    if (current && line.startsWith(`${END} `)) {
      const rest = line.slice(END.length + 1).trim();
      const rcAt = rest.lastIndexOf(' ');
      const name = rest.slice(0, rcAt);
      if (name === current.name) {
        // the script prints an extra newline so a file without one still ends its line
        const lines = current.lines;
        if (lines.length && lines[lines.length - 1] === '') lines.pop();
        sections.set(name, { text: lines.join('\n'), exitCode: Number(rest.slice(rcAt + 1)) });
        current = undefined;
        continue;
      }
    }
    current?.lines.push(line);
  }
  return sections;
}
