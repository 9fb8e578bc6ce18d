/**
 * What kind of ordinary condition an error reports. The CLI maps each kind to its exit code
 * (src/cli/exit_code.ts); an error that is not an LlemError is a bug in llem.
 */
export type ErrorKind =
  /** The user's input is wrong: a config, a flag, a path (exit 2). */
  | "bad_input"
  /** The machine is not ready: no driver, no daemon, a busy GPU, a folder llem cannot write (exit 3). */
  | "not_ready"
  /** A measurement or study failed: a lost GPU, a crashed engine (exit 4). */
  | "measurement_failed"
  /** The user stopped llem (exit 130). */
  | "interrupted";

/** An ordinary condition, reported as `error: <message>` and, when llem knows the fix, `hint: <hint>`. */
export abstract class LlemError extends Error {
  /** Which ordinary condition this is. */
  abstract readonly kind: ErrorKind;
  /** How to fix it, or null when llem does not know. */
  readonly hint: string | null;

  constructor(message: string, hint?: string | null, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint ?? null;
  }
}
