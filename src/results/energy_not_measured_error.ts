import { LlemError } from "../errors/llem_error.ts";

/**
 * A window whose energy could not be measured on some GPU (no counter and no covering power samples, or a
 * counter that went backwards): such a run has no result, rather than a result with an invented figure.
 */
export class EnergyNotMeasuredError extends LlemError {
  readonly kind = "measurement_failed";
  /** Each unmeasured GPU's UUID and why. */
  readonly gpus: { uuid: string; reason: string }[];

  constructor(gpus: { uuid: string; reason: string }[]) {
    super(`energy could not be measured on ${gpus.map((g) => `GPU ${g.uuid} (${g.reason})`).join(", ")}`);
    this.gpus = gpus;
  }
}
