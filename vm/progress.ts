import { closeSync, existsSync, type FSWatcher, openSync, readSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';

/** The guest's logs in the shared output folder whose progress the host prints (vm/guest/boot). */
export const GUEST_LOGS = ['boot.log', 'prove-root.log', 'prove-user.log', 'quadlet.log', 'quadlet-user.log'];

/**
 * The lines of a guest log worth a line on the host (pure): the boot script's steps, each row's
 * verdict as `prove` prints it (`podproof: [k of N, about T s left] claim (identity): verdict`),
 * and each run's summary (`53 proven, 3 skipped in 480.2 s ...`).
 */
export function progressLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(
      (l) =>
        /^podproof-vm: /.test(l) ||
        /^podproof: \[\d+ of \d+/.test(l) ||
        /^\d+ \w+(, \d+ \w+)* in [\d.]+ s/.test(l),
    );
}

/**
 * Follow the guest's logs while the VM runs and print their progress lines as they come
 * (`print(file, line)`): the folder is shared over 9p, so the host sees each write as it lands
 * and `fs.watch` (inotify) says when; each file is read on from where it was left, whole lines
 * only. `stop()` reads what is left and ends the watch.
 */
export function followGuestLogs(dir: string, print: (file: string, line: string) => void): { stop(): void } {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  const readOn = (file: string, final = false) => {
    const path = join(dir, file);
    if (!existsSync(path)) return;
    const from = offsets.get(file) ?? 0;
    const size = statSync(path).size;
    if (size <= from) return;
    const buf = Buffer.alloc(size - from);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
    offsets.set(file, size);
    const text = (partial.get(file) ?? '') + buf.toString('utf8');
    const end = final ? text.length : text.lastIndexOf('\n') + 1;
    partial.set(file, text.slice(end));
    for (const line of progressLines(text.slice(0, end))) print(file, line);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, (_event, name) => {
      if (name && GUEST_LOGS.includes(String(name))) readOn(String(name));
    });
  } catch {
    // no inotify: the logs are still read whole after the VM, as before
  }
  return {
    stop() {
      watcher?.close();
      for (const f of GUEST_LOGS) readOn(f, true);
    },
  };
}

/** Where the guest's progress is printed: a terminal (one updating line) or a log (plain lines). */
export type ProgressOut = Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>;

/**
 * Print the guest's progress lines (`prefix` + line). On a terminal (not CI) each row's verdict
 * replaces the one before on a single status line, so a 27-minute run shows where it is without
 * scrolling; a step, a summary and a row that is neither proven nor skipped stay on their own
 * line. Elsewhere every line is printed plainly (CI logs). `done()` clears the status line.
 */
export function guestProgressPrinter(
  out: ProgressOut = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): { print(prefix: string, line: string): void; done(): void } {
  const tty = out.isTTY === true && !env.CI;
  let status = false;
  const clear = () => {
    if (status) out.write('\r\x1b[K');
    status = false;
  };
  return {
    print(prefix, line) {
      const row = /^podproof: (\[\d+ of \d+[^\]]*\] .*): (\w+)$/.exec(line);
      if (tty && row && ['proven', 'skipped'].includes(row[2] ?? '')) {
        out.write(`\r\x1b[K${prefix}${line}`.slice(0, (out.columns || 120) + 4));
        status = true;
        return;
      }
      clear();
      out.write(`${prefix}${line}\n`);
    },
    done: clear,
  };
}
