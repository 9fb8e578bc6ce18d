import { LlemError } from "../errors/llem_error.ts";

/** An NVML reading llem cannot do without (a window edge's energy counter) failed, the GPU not lost (exit 4). */
export class GpuReadFailed extends LlemError {
  readonly kind = "measurement_failed";
}
