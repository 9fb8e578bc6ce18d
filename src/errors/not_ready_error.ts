import { LlemError } from "./llem_error.ts";

/** The environment cannot do what was asked (no NVML, no driver, no daemon): exit code 3. */
export class NotReadyError extends LlemError {
  readonly kind = "not_ready";
}
