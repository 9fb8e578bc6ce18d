import { LlemError } from "../errors/llem_error.ts";

/** The study was interrupted (Ctrl-C, SIGTERM): the session is stopped and the manifest says so. */
export class Interrupted extends LlemError {
  readonly kind = "interrupted";

  constructor(hint: string | null = "llem run CONFIG --resume finishes it") {
    super("the study was interrupted", hint);
  }
}

/** Throw Interrupted when `signal` has aborted. */
export function throwIfInterrupted(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted();
}

/** Wait for `request`, or throw Interrupted at an abort (the caller then kills what it was waiting on). */
export async function interruptible<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  // Once the caller stops waiting, the request's own failure (its harness killed) is nobody's: handled
  // here before anything can throw, or an abort before the wait leaves it unhandled and llem crashes.
  request.catch(() => {});
  throwIfInterrupted(signal);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Interrupted());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([request, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
