import { LlemError } from "./llem_error.ts";

/** A mistake in what was asked: a flag, an argument, a path given on the command line (exit 2). */
export class UsageError extends LlemError {
  readonly kind = "bad_input";
}
