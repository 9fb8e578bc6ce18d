import { LlemError } from "../errors/llem_error.ts";

/** The sampler stopped for a reason other than a lost GPU (its worker crashed, NVML failed): exit 4. */
export class SamplingFailed extends LlemError {
  readonly kind = "measurement_failed";
}
