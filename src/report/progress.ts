import type { ClaimResult } from '../experiment/types.js';

/** Progress for the CLI: one updating status line on a TTY, plain lines otherwise (CI logs). */
export class Progress {
  private readonly tty: boolean;
  private readonly started = performance.now();
  private done = 0;
  private total: number | undefined;
  private shown = false;

  constructor(
    private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'> = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.tty = out.isTTY === true && !env.CI;
  }

  /** A phase: building fixtures, detecting the host, running. */
  line(text: string): void {
    this.write(text);
  }

  /** How many claim x identity rows the run has. */
  plan(rows: number): void {
    this.total = rows;
  }

  /** A claim x identity finished. */
  result(r: ClaimResult): void {
    this.done++;
    this.write(`${this.count()}${r.claim} (${r.identity}): ${r.verdict}`);
  }

  /** `[k of N, about S s left] ` once the plan is known (pure over the counts and the time so far). */
  private count(): string {
    if (!this.total) return '';
    const elapsed = (performance.now() - this.started) / 1000;
    return `[${this.done} of ${this.total}${leftText(elapsed, this.done, this.total)}] `;
  }

  /** Clear the status line before the report is printed. */
  finish(): void {
    if (this.tty && this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }

  private write(text: string): void {
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    if (this.tty) {
      this.out.write(`\r\x1b[K[${secs} s] ${text}`.slice(0, (this.out.columns || 120) + 8));
      this.shown = true;
    } else {
      this.out.write(`podproof: ${text}\n`);
    }
  }
}

/**
 * An estimate of the time left, from the rows done so far (pure): `, about N s left`, or nothing
 * before the first row or after the last.
 */
export function leftText(elapsedS: number, done: number, total: number): string {
  if (done <= 0 || done >= total) return '';
  return `, about ${Math.max(1, Math.round((elapsedS / done) * (total - done)))} s left`;
}
