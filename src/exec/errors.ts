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
