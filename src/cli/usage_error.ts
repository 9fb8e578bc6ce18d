/** A mistake in the command line itself (exit code 2). */
export class UsageError extends Error {
  /** How to fix it. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = "UsageError";
    this.hint = hint;
  }
}
