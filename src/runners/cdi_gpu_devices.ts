import { join } from "node:path";
import { parse } from "yaml";

/** The folders CDI specs are read from by default (CDI's own defaults, which Podman uses). */
export const CDI_SPEC_DIRS = ["/etc/cdi", "/var/run/cdi"] as const;

/** The CDI kind of NVIDIA GPUs, as `nvidia-ctk cdi generate` writes it: devices `nvidia.com/gpu=NAME`. */
export const NVIDIA_GPU_KIND = "nvidia.com/gpu";

/** What the CDI specs on this machine say about NVIDIA GPUs. */
export interface CdiGpuDevices {
  /** Device names of kind nvidia.com/gpu (nvidia-ctk names each GPU by UUID and index, and `all`). */
  names: string[];
  /** The spec files that define them. */
  files: string[];
  /** Spec files that could not be read or parsed, each with why. */
  unreadable: string[];
}

/**
 * The nvidia.com/gpu devices the CDI specs (`*.json`, `*.yaml`, `*.yml`) in `dirs` define: what Podman can
 * resolve `--device nvidia.com/gpu=UUID` to. A folder that does not exist has none.
 */
export function cdiGpuDevices(dirs: readonly string[] = CDI_SPEC_DIRS): CdiGpuDevices {
  const found: CdiGpuDevices = { names: [], files: [], unreadable: [] };
  for (const file of dirs.flatMap(specFiles)) {
    let spec: unknown;
    try {
      // YAML is a superset of JSON: one parser reads both kinds of spec.
      spec = parse(Deno.readTextFileSync(file));
    } catch (error) {
      found.unreadable.push(`${file}: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    const names = gpuNames(spec);
    if (names.length === 0) continue;
    found.names.push(...names.filter((name) => !found.names.includes(name)));
    found.files.push(file);
  }
  return found;
}

/** The spec files in `dir`, sorted; none when it does not exist or cannot be listed. */
function specFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)]
      .filter((entry) => !entry.isDirectory && /\.(json|ya?ml)$/.test(entry.name))
      .map((entry) => join(dir, entry.name))
      .sort();
  } catch {
    return [];
  }
}

/** The device names of a parsed spec, when its kind is nvidia.com/gpu. */
function gpuNames(spec: unknown): string[] {
  const { kind, devices } = (spec ?? {}) as { kind?: unknown; devices?: unknown };
  if (kind !== NVIDIA_GPU_KIND || !Array.isArray(devices)) return [];
  return devices.flatMap((device) => {
    const name = (device as { name?: unknown } | null)?.name;
    return typeof name === "string" ? [name] : [];
  });
}
