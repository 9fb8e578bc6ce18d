import type { EnergyMethod } from "./window_energy.ts";
import { maxOf, minOf } from "./max_of.ts";

/** One GPU's energy over the measured slice. */
export interface DeviceEnergy {
  uuid: string;
  energyJoules: number;
  method: EnergyMethod | null;
}

/** Per-device figures of a run on several GPUs. */
export interface MultiGpuMetrics {
  numGpus: number;
  gpuUuids: string[];
  energyPerGpuJoules: number[];
  energyTotalJoules: number;
  /** Total energy of all GPUs per output token (tokens counted once, not per GPU); null for 0 tokens. */
  energyPerOutputTokenJoules: number | null;
  /** Each GPU's fraction of the total; null when the total is 0. */
  energyShare: number[] | null;
  /** (max − min) / mean of the per-GPU energies; null when the mean is 0. */
  energyImbalance: number | null;
}

/** How per-device energies became the run's figure. */
export interface AggregationMetadata {
  /** Energies of every GPU are summed; tokens are the run's, counted once. */
  method: "sum_over_devices";
  numDevices: number;
  deviceEnergyMethods: (EnergyMethod | null)[];
  mixedEnergyMethods: boolean;
  warnings: string[];
}

/** Share of total energy difference between GPUs above which a warning is raised. */
export const IMBALANCE_WARNING = 0.25;

/**
 * The run's energy from several GPUs: summed, with each GPU's share and the imbalance between them
 * (a tensor-parallel run should load its GPUs evenly). `metrics` is null for a single GPU; the
 * aggregation metadata is always given.
 */
export function multiGpu(
  devices: readonly DeviceEnergy[],
  options: { outputTokens: number },
): { metrics: MultiGpuMetrics | null; aggregation: AggregationMetadata } {
  const warnings: string[] = [];
  const methods = devices.map((d) => d.method);
  const mixed = new Set(methods).size > 1;
  if (mixed) {
    warnings.push(
      `GPUs were measured by different methods (${
        devices.map((d) => `${d.uuid}: ${d.method ?? "none"}`).join(", ")
      }): the sum mixes their errors`,
    );
  }
  const aggregation: AggregationMetadata = {
    method: "sum_over_devices",
    numDevices: devices.length,
    deviceEnergyMethods: methods,
    mixedEnergyMethods: mixed,
    warnings,
  };
  if (devices.length < 2) return { metrics: null, aggregation };
  const energies = devices.map((d) => d.energyJoules);
  const total = energies.reduce((a, b) => a + b, 0);
  const mean = total / energies.length;
  const imbalance = mean > 0 ? (maxOf(energies)! - minOf(energies)!) / mean : null;
  if (imbalance !== null && imbalance > IMBALANCE_WARNING) {
    warnings.push(
      `GPU energies differ by ${(100 * imbalance).toFixed(0)}% of their mean: the work was not spread evenly`,
    );
  }
  return {
    metrics: {
      numGpus: devices.length,
      gpuUuids: devices.map((d) => d.uuid),
      energyPerGpuJoules: energies,
      energyTotalJoules: total,
      energyPerOutputTokenJoules: options.outputTokens > 0 ? total / options.outputTokens : null,
      energyShare: total > 0 ? energies.map((e) => e / total) : null,
      energyImbalance: imbalance,
    },
    aggregation,
  };
}
