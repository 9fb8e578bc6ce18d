import { type CpuEnergySource, noCpuEnergy } from "../cpu/cpu_energy.ts";
import type { StudyPlan } from "../config/build_plan.ts";
import type { GpuInfo, GpuSystem } from "../gpu/gpu.ts";
import type { StartSampler } from "../gpu/sampler.ts";
import type { SamplePhase } from "../gpu/sampler_protocol.ts";
import { type SecondsClock, SimulatedGpu } from "../gpu/simulated_gpu.ts";
import { SimulatedSampler } from "../gpu/simulated_sampler.ts";
import type { StudyEvent } from "./study_events.ts";

/** What `llem demo` writes into its manifest and every result (environment.simulated, a warning). */
export const DEMO_SIMULATION = "llem demo: a simulated GPU (a power model) and the test engine (no model)";

/** NVML's clock-event reason bit for a software power cap. */
const SW_POWER_CAP = 0x4n;

/** The simulated GPU's idle draw and its draw at full load, watts; its power limit. */
const IDLE_W = 61;
const LOAD_SPAN_W = 250;
const POWER_LIMIT_W = 350;
/** Where the throttle event caps power, watts. */
const CAPPED_W = 230;

/** The demo's world: a simulated GPU system, a sampler over it, and the events that drive its load. */
export interface SimulatedWorld {
  gpuSystem: GpuSystem;
  startSampler: StartSampler;
  /** No CPU counters: a simulated study measures no CPU. */
  cpuEnergy: CpuEnergySource;
  /** Tell the world what the study does (the run that starts sets the load of the next window). */
  observe(event: StudyEvent): void;
}

/**
 * One simulated GPU whose draw follows the study: idle between windows; under load (warmup and the
 * measured window) a draw that grows with the run's batch size, a few percent apart from run to run; and
 * once, in the second cycle's largest batch, a software power cap that holds the draw below its load. The
 * energy counter updates every 20 ms, as a real one does. Power, temperature and utilisation are of the
 * model, never of a GPU: DEMO_SIMULATION says so in every file.
 */
export function simulatedWorld(plan: StudyPlan, clock: SecondsClock): SimulatedWorld {
  const gpu = new SimulatedGpu(clock, { info: simulatedGpuInfo(), watts: IDLE_W });
  gpu.counterUpdateSeconds = 0.02;
  gpu.temperatureAt = (t) => 32 + 0.12 * gpu.powerAt(t);
  const largestBatch = Math.max(...plan.experiments.map((e) => e.config.generation.batch_size));
  let load = { watts: IDLE_W, capped: false };
  let capped: { from: number; to: number } | null = null;
  gpu.clockEventReasonsAt = (t) => capped && t >= capped.from && t < capped.to ? SW_POWER_CAP : 0n;
  // Utilisation follows the draw at that time (samples are taken lazily, after the load may have moved on).
  gpu.utilizationAt = (t) => Math.min(99, Math.round((100 * (gpu.powerAt(t) - IDLE_W)) / LOAD_SPAN_W));
  const onPhase = (phase: SamplePhase) => {
    const busy = phase === "warmup" || phase === "measure";
    const now = clock.nowSeconds();
    if (capped && capped.to === Infinity && !busy) capped.to = now;
    if (busy && load.capped && phase === "measure") capped = { from: now, to: Infinity };
    gpu.draw(busy ? (load.capped && phase === "measure" ? CAPPED_W : load.watts) : IDLE_W);
  };
  return {
    gpuSystem: {
      driverVersion: "simulated",
      cudaDriverVersion: null,
      libraryPath: "simulated (llem demo: no NVML library)",
      gpus: [gpu],
      close() {},
    },
    cpuEnergy: noCpuEnergy("a simulated study (llem demo) measures no CPU energy"),
    startSampler: (start) =>
      Promise.resolve(new SimulatedSampler({ gpus: [gpu] }, { ...start, clock, onPhase })),
    observe(event) {
      if (event.type !== "run_started") return;
      const run = plan.runs.find((planned) => planned.index === event.run);
      const experiment = plan.experiments.find((e) => e.id === run?.experiment);
      const batch = experiment?.config.generation.batch_size ?? 1;
      load = {
        watts: loadWatts(batch) * (1 + 0.03 * jitter(event.run)),
        capped: event.cycle === 1 && batch === largestBatch && loadWatts(batch) > CAPPED_W,
      };
    },
  };
}

/** Draw under load at a batch size: most of the GPU's span is reached by batch 8. */
export function loadWatts(batchSize: number): number {
  return IDLE_W + LOAD_SPAN_W * (1 - Math.exp(-batchSize / 3));
}

/** A fixed number in [-1, 1] per run, so that cycles differ a little and always alike. */
function jitter(run: number): number {
  const x = Math.sin(run * 12.9898) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

function simulatedGpuInfo(): GpuInfo {
  return {
    index: 0,
    uuid: "GPU-5e1a7ed0-0000-4000-8000-000000000000",
    pciBusId: null,
    name: "Simulated GPU (llem demo)",
    memoryTotalBytes: 80 * 1024 ** 3,
    computeCapability: null,
    powerLimitWatts: POWER_LIMIT_W,
    enforcedPowerLimitWatts: POWER_LIMIT_W,
    persistenceMode: null,
    migMode: null,
    capabilities: {
      energyCounter: true,
      instantPowerField: true,
      clockEventReasons: true,
      utilization: true,
    },
  };
}
