import type { ClaimResult } from '../experiment/types.js';

/** Progress for the CLI: one updating status line on a TTY, plain lines otherwise (CI logs). */
export class Progress {
  private readonly tty: boolean;
  private readonly started = performance.now();
  private done = 0;
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

  /** A claim x identity finished. */
  result(r: ClaimResult): void {
    this.done++;
    this.write(`${r.claim} (${r.identity}): ${r.verdict}`);
  }

  /** Clear the status line before the report is printed. */
  finish(): void {
    if (this.tty && this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }

  private write(text: string): void {
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    if (this.tty) {
      this.out.write(
        `\r\x1b[K[${secs} s, ${this.done} done] ${text}`.slice(0, (this.out.columns || 120) + 8),
      );
      this.shown = true;
    } else {
      this.out.write(`podproof: ${text}\n`);
    }
  }
}
