import { GpuSampler } from "../gpu/gpu_sampler.ts";
import type { TaggedSample } from "../gpu/sampler_protocol.ts";
import { gpuEnvironment, selectGpus } from "../gpu/select_gpus.ts";
import { THROTTLE_REASONS } from "../measure/throttle_summary.ts";
import type { Command } from "./command.ts";
import { formatTable } from "./format_table.ts";
import { GPUS_OPTION, NVML_LIBRARY_OPTION, openGpus } from "./open_gpus.ts";
import { parseGpuList, parsePositiveNumber } from "./parse_option_values.ts";
import { EXIT } from "./exit_code.ts";

/** Per-GPU running state of the monitor. */
interface GpuState {
  index: number;
  name: string;
  firstEnergyJoules: number | null;
  integratedJoules: number;
  last: TaggedSample | null;
}

/** `llem monitor`: live power, energy since start, temperature, clocks and throttle reasons. */
export const monitorCommand: Command = {
  name: "monitor",
  usage: "[--gpus LIST] [--interval MS] [--duration S] [--json]",
  description:
    "Sample the GPUs and show, per GPU, power now, energy since the monitor started (energy counter " +
    "where the GPU has one, else integrated power), temperature, SM and memory clocks and active throttle " +
    "reasons. On a terminal the table redraws in place; otherwise (or with --json) one JSON line per sample.",
  positionals: [],
  options: [
    GPUS_OPTION,
    { name: "interval", type: "string", value: "MS", description: "sampling interval, 1 to 10000 ms (100)" },
    { name: "duration", type: "string", value: "S", description: "stop after S seconds (run until Ctrl-C)" },
    { name: "json", type: "boolean", description: "JSON lines even on a terminal" },
    NVML_LIBRARY_OPTION,
  ],
  examples: [
    ["llem monitor", "watch every GPU until Ctrl-C"],
    ["llem monitor --gpus 0 --interval 10 --duration 5 --json > trace.jsonl", "5 s of 100 Hz samples"],
  ],
  async run(args, io) {
    const intervalMs = parsePositiveNumber("--interval", args.values.interval, 100);
    const durationSeconds = args.values.duration === undefined
      ? Infinity
      : parsePositiveNumber("--duration", args.values.duration, 0);
    const system = openGpus(args.values["nvml-library"] as string | undefined, io.env);
    const states = new Map<string, GpuState>();
    let uuids: string[];
    try {
      uuids = selectGpus(
        system.gpus.map((g) => g.info),
        parseGpuList(args.values.gpus as string | undefined),
        gpuEnvironment(io.env),
      );
      for (const uuid of uuids) {
        const gpu = system.gpus.find((g) => g.info.uuid === uuid)!;
        states.set(uuid, {
          index: gpu.info.index,
          name: gpu.info.name,
          firstEnergyJoules: null,
          integratedJoules: 0,
          last: null,
        });
      }
    } finally {
      system.close();
    }
    const jsonLines = args.values.json === true || !Deno.stdout.isTerminal();
    const sampler = await GpuSampler.start({ libraryPath: system.libraryPath, uuids, intervalMs });
    let interrupted = false;
    const onSignal = () => interrupted = true;
    Deno.addSignalListener("SIGINT", onSignal);
    const startedMs = Date.now();
    let drawnLines = 0;
    try {
      while (!interrupted && !sampler.failure && (Date.now() - startedMs) / 1000 < durationSeconds) {
        await new Promise((resolve) => setTimeout(resolve, jsonLines ? Math.max(intervalMs, 200) : 500));
        for (const sample of sampler.drain()) {
          const state = states.get(sample.uuid)!;
          accumulate(state, sample);
          if (jsonLines) io.out(JSON.stringify(lineOf(state, sample)) + "\n");
        }
        if (!jsonLines) {
          const text = table(states);
          io.out(`${drawnLines ? `\x1b[${drawnLines}A\x1b[J` : ""}${text}`);
          drawnLines = text.split("\n").length - 1;
        }
      }
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
    if (sampler.failure) throw sampler.failure;
    const timing = await sampler.stop();
    for (const sample of sampler.drain()) {
      const state = states.get(sample.uuid)!;
      accumulate(state, sample);
      if (jsonLines) io.out(JSON.stringify(lineOf(state, sample)) + "\n");
    }
    io.err(
      `sampled ${timing.rounds} rounds, mean interval ${timing.meanIntervalMs.toFixed(2)} ms, ` +
        `jitter median ${timing.medianJitterMs.toFixed(2)} ms / p99 ${timing.p99JitterMs.toFixed(2)} ms, ` +
        `${timing.errorCount} read error(s)\n`,
    );
    return interrupted ? EXIT.interrupted : EXIT.ok;
  },
};

function accumulate(state: GpuState, sample: TaggedSample): void {
  if (state.firstEnergyJoules === null && sample.energyJoules !== null) {
    state.firstEnergyJoules = sample.energyJoules;
  }
  const previous = state.last;
  if (previous && previous.powerWatts !== null && sample.powerWatts !== null) {
    state.integratedJoules += (previous.powerWatts + sample.powerWatts) / 2 *
      (sample.timeSeconds - previous.timeSeconds);
  }
  state.last = sample;
}

function energySinceStart(state: GpuState): { joules: number; method: string } {
  const last = state.last;
  if (state.firstEnergyJoules !== null && last?.energyJoules != null) {
    return { joules: last.energyJoules - state.firstEnergyJoules, method: "counter" };
  }
  return { joules: state.integratedJoules, method: "integrated" };
}

function reasons(bits: bigint | null): string[] {
  if (bits === null) return [];
  return Object.entries(THROTTLE_REASONS).filter(([, bit]) => (bits & bit) !== 0n).map(([name]) => name);
}

function lineOf(state: GpuState, sample: TaggedSample) {
  const energy = energySinceStart(state);
  return {
    time_s: sample.timeSeconds,
    gpu: state.index,
    uuid: sample.uuid,
    power_w: sample.powerWatts,
    power_source: sample.powerSource,
    energy_since_start_j: energy.joules,
    energy_method: energy.method,
    temperature_c: sample.temperatureCelsius,
    sm_clock_mhz: sample.smClockMhz,
    memory_clock_mhz: sample.memoryClockMhz,
    utilization_gpu_pct: sample.utilizationGpuPercent,
    memory_used_bytes: sample.memoryUsedBytes,
    clock_event_reasons: sample.clockEventReasons === null
      ? null
      : `0x${sample.clockEventReasons.toString(16)}`,
    throttle: reasons(sample.clockEventReasons),
  };
}

function table(states: Map<string, GpuState>): string {
  const rows = [...states.values()].map((state) => {
    const s = state.last;
    const energy = energySinceStart(state);
    return [
      String(state.index),
      state.name,
      s?.powerWatts == null ? "-" : `${s.powerWatts.toFixed(1)} W`,
      `${energy.joules.toFixed(1)} J (${energy.method})`,
      s?.temperatureCelsius == null ? "-" : `${s.temperatureCelsius} C`,
      s?.smClockMhz == null ? "-" : `${s.smClockMhz}/${s.memoryClockMhz ?? "-"} MHz`,
      reasons(s?.clockEventReasons ?? null).join(",") || "-",
    ];
  });
  return formatTable(
    ["gpu", "name", "power", "energy since start", "temp", "sm/mem clock", "throttle"],
    rows,
    "",
  )
    .join("\n") + "\n";
}
