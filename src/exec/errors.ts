/** A bad argument from the user (unknown claim id or identity, missing image): a message, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
