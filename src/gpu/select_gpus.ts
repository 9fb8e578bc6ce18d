import { LlemError } from "../errors/llem_error.ts";
import type { GpuInfo } from "./gpu.ts";

/** A GPU request that names no GPU of this machine (bad input: exit 2). */
export class GpuSelectionError extends LlemError {
  readonly kind = "bad_input";

  constructor(message: string, hint = 'run "llem gpus" to list this machine\'s GPUs') {
    super(message, hint);
  }
}

/** Where the GPU environment came from. */
export interface GpuEnvironment {
  /** CUDA_VISIBLE_DEVICES, if set. */
  cudaVisibleDevices?: string | undefined;
  /** SLURM_JOB_GPUS (or SLURM_STEP_GPUS), if set: the allocation's GPU indices. */
  slurmGpus?: string | undefined;
}

/** The GPU-related environment variables of a process. */
export function gpuEnvironment(env: Record<string, string | undefined>): GpuEnvironment {
  return {
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES,
    slurmGpus: env.SLURM_JOB_GPUS ?? env.SLURM_STEP_GPUS,
  };
}

/**
 * The UUIDs of the GPUs a request means. NVML's order and CUDA's order differ, so everything is
 * resolved to UUIDs. The visible set is CUDA_VISIBLE_DEVICES (indices in PCI bus order, as with
 * CUDA_DEVICE_ORDER=PCI_BUS_ID, or UUIDs), else Slurm's allocation, else every GPU. Requested integers
 * are positions in that visible set (what a CUDA program would call device N); with no restriction they
 * equal NVML indices. Requested strings are UUIDs or unique UUID prefixes. No request means all visible.
 */
export function selectGpus(
  available: readonly GpuInfo[],
  requested: readonly (number | string)[] | undefined,
  environment: GpuEnvironment = {},
): string[] {
  const visible = visibleGpus(available, environment);
  if (requested === undefined || requested.length === 0) return visible.map((g) => g.uuid);
  const chosen: string[] = [];
  for (const token of requested) {
    const gpu = typeof token === "number" ? visible[token] : byUuid(visible, token);
    if (!gpu) {
      const restricted = visible.length !== available.length;
      throw new GpuSelectionError(
        `cannot use GPU ${JSON.stringify(token)}: ${
          visible.length === 0
            ? "no GPU is visible"
            : `${restricted ? "the visible set has" : "this machine has"} ${visible.length} NVIDIA GPU${
              visible.length === 1 ? "" : "s"
            } (${typeof token === "number" ? `indices 0-${visible.length - 1}` : "no such UUID"})`
        }`,
      );
    }
    if (chosen.includes(gpu.uuid)) {
      throw new GpuSelectionError(`GPU ${JSON.stringify(token)} is listed twice`, "list each GPU once");
    }
    chosen.push(gpu.uuid);
  }
  return chosen;
}

function visibleGpus(available: readonly GpuInfo[], environment: GpuEnvironment): GpuInfo[] {
  const cuda = environment.cudaVisibleDevices;
  if (cuda !== undefined) {
    const tokens = cuda.split(",").map((t) => t.trim()).filter((t) => t !== "");
    // CUDA stops at the first invalid entry; "-1" or "" hides every GPU.
    const byPci = [...available].sort((a, b) => (a.pciBusId ?? "").localeCompare(b.pciBusId ?? ""));
    const visible: GpuInfo[] = [];
    for (const token of tokens) {
      const gpu = /^\d+$/.test(token) ? byPci[Number(token)] : byUuid(available, token);
      if (!gpu) break;
      if (!visible.includes(gpu)) visible.push(gpu);
    }
    return visible;
  }
  if (environment.slurmGpus !== undefined && environment.slurmGpus.trim() !== "") {
    const indices = environment.slurmGpus.split(",").map((t) => Number(t.trim()));
    return indices.map((i) => available.find((g) => g.index === i)).filter((g): g is GpuInfo =>
      g !== undefined
    );
  }
  return [...available];
}

function byUuid(gpus: readonly GpuInfo[], token: string): GpuInfo | undefined {
  const wanted = token.startsWith("GPU-") ? token : `GPU-${token}`;
  const exact = gpus.find((g) => g.uuid === wanted);
  if (exact) return exact;
  const prefixed = gpus.filter((g) => g.uuid.startsWith(wanted));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
