import type { Gpu } from "../gpu/gpu.ts";
import type { Command } from "./command.ts";
import { formatTable } from "./format_table.ts";
import { NVML_LIBRARY_OPTION, openGpus } from "./open_gpus.ts";
import { EXIT } from "./exit_code.ts";

/** `llem gpus`: this machine's GPUs, their limits, current power and temperature. */
export const gpusCommand: Command = {
  name: "gpus",
  usage: "[--json] [--nvml-library PATH]",
  description: "List the NVIDIA GPUs NVML sees: index, UUID, name, memory, power limit, current power and " +
    "temperature, persistence mode, and whether the GPU has an energy counter (Volta and newer).",
  positionals: [],
  options: [
    { name: "json", type: "boolean", description: "print one JSON document" },
    NVML_LIBRARY_OPTION,
  ],
  examples: [
    ["llem gpus", "the table"],
    ["llem gpus --json | jq '.gpus[].uuid'", "the UUIDs"],
  ],
  run(args, io) {
    const system = openGpus(args.values["nvml-library"] as string | undefined, io.env);
    try {
      const rows = system.gpus.map((gpu) => ({ ...gpu.info, now: current(gpu) }));
      if (args.values.json) {
        io.out(
          JSON.stringify(
            {
              driver_version: system.driverVersion,
              cuda_driver_version: system.cudaDriverVersion,
              gpus: rows.map(({ now, ...info }) => ({
                ...info,
                power_watts: now.powerWatts,
                power_source: now.source,
                temperature_celsius: now.temperatureCelsius,
              })),
            },
            null,
            2,
          ) + "\n",
        );
        return EXIT.ok;
      }
      io.out(
        `driver ${system.driverVersion}, CUDA ${
          system.cudaDriverVersion ?? "unknown"
        }, ${rows.length} GPU(s)\n`,
      );
      const table = rows.map((r) => [
        String(r.index),
        r.uuid,
        r.name,
        `${(r.memoryTotalBytes / 2 ** 30).toFixed(0)} GiB`,
        r.enforcedPowerLimitWatts === null ? "-" : `${r.enforcedPowerLimitWatts.toFixed(0)} W`,
        r.now.powerWatts === null ? "-" : `${r.now.powerWatts.toFixed(1)} W`,
        r.now.temperatureCelsius === null ? "-" : `${r.now.temperatureCelsius} C`,
        r.persistenceMode === null ? "-" : r.persistenceMode ? "on" : "off",
        r.capabilities.energyCounter ? "yes" : "no",
      ]);
      io.out(
        formatTable(
          [
            "index",
            "uuid",
            "name",
            "memory",
            "power limit",
            "power",
            "temp",
            "persistence",
            "energy counter",
          ],
          table,
          "",
        ).join("\n") + "\n",
      );
      return EXIT.ok;
    } finally {
      system.close();
    }
  },
};

function current(
  gpu: Gpu,
): { powerWatts: number | null; source: string | null; temperatureCelsius: number | null } {
  const sample = gpu.sample(performance.now() / 1000);
  return {
    powerWatts: sample.powerWatts,
    source: sample.powerSource,
    temperatureCelsius: sample.temperatureCelsius,
  };
}
