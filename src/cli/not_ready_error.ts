/** The environment cannot do what was asked (no NVML, no driver, no daemon): exit code 3. */
export class NotReadyError extends Error {
  /** How to get ready. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotReadyError";
    this.hint = hint;
  }
}
