import { GpuSampler } from "../gpu/gpu_sampler.ts";
import type { TaggedSample } from "../gpu/sampler_protocol.ts";
import { gpuEnvironment, selectGpus } from "../gpu/select_gpus.ts";
import { baselineCacheDir } from "../study/baseline_cache.ts";
import { resolveBaselines } from "../study/resolve_baselines.ts";
import type { Command } from "./command.ts";
import { formatTable } from "./format_table.ts";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { GPUS_OPTION, NVML_LIBRARY_OPTION, openGpus } from "./open_gpus.ts";
import { parseGpuList, parsePositiveNumber } from "./parse_option_values.ts";
import { EXIT } from "./exit_code.ts";

/** `llem baseline`: measure (or show, after a spot check) each GPU's idle power, cached per UUID. */
export const baselineCommand: Command = {
  name: "baseline",
  usage: "[--gpus LIST] [--duration S] [--force] [--json]",
  description:
    "Measure each GPU's idle power with nothing running on it, and cache it per GPU UUID. A cached " +
    "baseline younger than --ttl is re-validated by a short spot check and re-measured when it drifted by more " +
    "than --drift. Energy-counter slope where the GPU has a counter, else the mean of power samples.",
  positionals: [],
  options: [
    GPUS_OPTION,
    { name: "duration", type: "string", value: "S", description: "seconds of a full measurement (30)" },
    {
      name: "spot-check",
      type: "string",
      value: "S",
      description: "seconds of the spot check of a cached value (5)",
    },
    {
      name: "ttl",
      type: "string",
      value: "S",
      description: "age in seconds after which a cached value expires (7200)",
    },
    {
      name: "drift",
      type: "string",
      value: "F",
      description: "relative change that invalidates a cached value (0.1)",
    },
    { name: "force", type: "boolean", description: "measure afresh, ignoring the cache" },
    { name: "json", type: "boolean", description: "print one JSON document" },
    NVML_LIBRARY_OPTION,
  ],
  examples: [
    ["llem baseline", "every GPU: cached (spot-checked) or measured"],
    ["llem baseline --gpus 0 --duration 60 --force", "a fresh 60 s baseline of GPU 0"],
  ],
  async run(args, io) {
    const duration = parsePositiveNumber("--duration", args.values.duration, 30);
    const spotCheck = parsePositiveNumber("--spot-check", args.values["spot-check"], 5);
    const ttl = parsePositiveNumber("--ttl", args.values.ttl, 7200);
    const drift = parsePositiveNumber("--drift", args.values.drift, 0.1);
    const requested = parseGpuList(args.values.gpus as string | undefined);
    const system = openGpus(args.values["nvml-library"] as string | undefined, io.env);
    let uuids: string[];
    try {
      uuids = selectGpus(system.gpus.map((g) => g.info), requested, gpuEnvironment(io.env));
      // A baseline is idle power: refuse a GPU that anything else is using.
      for (const uuid of uuids) {
        const gpu = system.gpus.find((g) => g.info.uuid === uuid)!;
        const busy = gpu.runningProcesses();
        if (busy.length > 0) {
          throw new NotReadyError(
            `GPU ${gpu.info.index} (${uuid}) is in use by process(es) ${busy.map((p) => p.pid).join(", ")}`,
            "a baseline needs an idle GPU: stop those processes, or choose other GPUs with --gpus",
          );
        }
      }
    } finally {
      system.close();
    }
    const libraryPath = system.libraryPath;
    const cacheDir = baselineCacheDir(io.env);
    const rows = await resolveBaselines(
      uuids.map((uuid) => ({ uuid, name: system.gpus.find((g) => g.info.uuid === uuid)?.info.name ?? "" })),
      {
        cacheDir,
        force: Boolean(args.values.force),
        ttlSeconds: ttl,
        driftFraction: drift,
        durationSeconds: duration,
        spotCheckSeconds: spotCheck,
        driverVersion: system.driverVersion,
        measure: (list, seconds) => measureIdle(libraryPath, list, seconds),
        onMeasure: (kind, list, seconds) =>
          io.err(
            kind === "spot_check"
              ? `spot-checking ${list.length} cached baseline(s) for ${seconds} s\n`
              : `measuring idle power of ${list.length} GPU(s) for ${seconds} s; keep them idle\n`,
          ),
      },
    );
    if (args.values.json) {
      io.out(JSON.stringify({ cache_dir: cacheDir, baselines: rows }, null, 2) + "\n");
    } else {
      io.out(
        formatTable(
          ["uuid", "name", "idle power", "method", "status", "spot check"],
          rows.map((r) => [
            r.uuid,
            r.name,
            r.powerWatts === null ? "unknown" : `${r.powerWatts.toFixed(2)} W`,
            r.method ?? "-",
            r.status === "cached" ? `cached ${Math.round(r.ageSeconds / 60)} min ago` : "measured now",
            r.spotCheckWatts === null ? "-" : `${r.spotCheckWatts.toFixed(2)} W`,
          ]),
          "",
        ).join("\n") + "\n",
      );
      for (const row of rows) {
        for (const warning of row.warnings) io.out(`warning: ${row.uuid}: ${warning}\n`);
      }
    }
    return rows.some((r) => r.powerWatts === null) ? EXIT.failed : EXIT.ok;
  },
};

/** Sample the GPUs for `seconds` and return their samples by UUID. */
async function measureIdle(
  libraryPath: string,
  uuids: string[],
  seconds: number,
): Promise<Map<string, TaggedSample[]>> {
  const sampler = await GpuSampler.start({ libraryPath, uuids, intervalMs: 100, phase: "baseline" });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await sampler.stop();
  const byGpu = new Map<string, TaggedSample[]>();
  for (const sample of sampler.drain()) {
    const list = byGpu.get(sample.uuid) ?? [];
    list.push(sample);
    byGpu.set(sample.uuid, list);
  }
  return byGpu;
}
