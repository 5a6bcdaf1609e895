/** A bad argument from the user (unknown claim id or identity, missing image): a message, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Thrown by an arm's `observe` when the experiment ran but gave nothing to judge (a probe
 * container that failed): its message is the reason as it is, without "harness error".
 */
export class NotObserved extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NotObserved';
  }
}

/**
 * Thrown by a helper deep inside a pure check (a parser of an attempt's output) that meets output
 * it cannot place; the runner reads it as the check's `unexplained()` answer. Any other throw
 * from a check is a bug in the check, reported as such.
 */
export class OutputNotExplained extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'OutputNotExplained';
  }
}
