import { cpuDomainEnergy, type CpuReading } from "../cpu/cpu_energy.ts";
import type { PlannedRun } from "../config/build_plan.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { Gpu } from "../gpu/gpu.ts";
import type { TaggedSample } from "../gpu/sampler_protocol.ts";
import { counterUpdatePeriod } from "../measure/counter_update_period.ts";
import { windowEnergy } from "../measure/window_energy.ts";
import type {
  BaselineMethod,
  CpuMeasurement,
  ExperimentMeasurement,
  GpuMeasurement,
  MeasurementEnvironment,
  ThermalFloorRecord,
} from "../results/experiment_measurement.ts";
import { TIMESERIES_FILE } from "../results/study_layout.ts";
import type { OpenSession } from "./engine_session.ts";
import type { WindowMeasurement } from "./measure_window.ts";
import type { StudyContext } from "./study_context.ts";

/** What a finished window of a run adds up to, before it becomes a result. */
export interface MeasuredRun {
  run: PlannedRun;
  /** The run's directory name (its experiment id in result.json). */
  dir: string;
  config: ExperimentConfig;
  gpus: readonly Gpu[];
  session: OpenSession;
  window: WindowMeasurement;
  /** The run's samples (its GPUs), every phase. */
  samples: readonly TaggedSample[];
  /** The run's CPU energy readings (the window's edges among them). */
  cpuReadings: readonly CpuReading[];
  thermalFloor: ThermalFloorRecord | null;
  /** Warnings of the run beyond the window's (a thermal floor not reached, dropped samples). */
  warnings: string[];
  startTime: Date;
  endTime: Date;
}

/** The input of buildExperimentResult(): a measured run with its GPUs' energy, baselines and environment. */
export function experimentMeasurementOf(context: StudyContext, measured: MeasuredRun): ExperimentMeasurement {
  const { config, session, window } = measured;
  return {
    experimentId: measured.dir,
    measurementConfigHash: measured.run.measurement_config_hash,
    cycle: measured.run.cycle,
    config,
    engineVersion: session.harness.hello.engine_version,
    window: { startSeconds: window.startSeconds, endSeconds: window.endSeconds },
    done: window.done,
    loaded: session.loaded,
    warmup: session.warmup,
    gpus: measured.gpus.map((gpu, i) => gpuMeasurement(context, { measured, gpu, i })),
    cpu: cpuMeasurement(context, measured),
    baselineMethod: baselineMethod(context, measured),
    thermalFloor: measured.thermalFloor,
    warnings: [...window.warnings, ...measured.warnings],
    timeseriesFile: config.measurement.timeseries ? TIMESERIES_FILE : null,
    environment: measurementEnvironment(context, session),
    startTime: measured.startTime,
    endTime: measured.endTime,
  };
}

/** One GPU's window energy (both methods), samples and idle powers. */
function gpuMeasurement(
  context: StudyContext,
  part: { measured: MeasuredRun; gpu: Gpu; i: number },
): GpuMeasurement {
  const { measured, gpu, i } = part;
  const { window, config } = measured;
  const own = measured.samples.filter((s) => s.uuid === gpu.info.uuid);
  const source = config.measurement.energy_source;
  const useCounter = source !== "power";
  const counterStart = useCounter ? window.counterStart[i]! : null;
  const counterEnd = useCounter ? window.counterEnd[i]! : null;
  const energy = windowEnergy({
    startSeconds: window.startSeconds,
    endSeconds: window.endSeconds,
    counterStart,
    counterEnd,
    // The run's counter reads (the sampler's and the window's edges) tell how often the counter updates,
    // which NVML does not say: a window shorter than ten updates is then a warning.
    counterUpdatePeriodSeconds: useCounter
      ? counterUpdatePeriod(
        [...own, ...[counterStart, counterEnd].filter((read) => read !== null)]
          .sort((a, b) => a.timeSeconds - b.timeSeconds),
      )
      : null,
    // Every power sample: the integral clips to the window itself and needs the samples either side of
    // each edge to interpolate there.
    powerSamples: own.filter((s) => s.powerWatts !== null)
      .map((s) => ({ timeSeconds: s.timeSeconds, powerWatts: s.powerWatts! })),
    integrationChosen: source === "power",
  });
  if (source === "counter" && energy.method !== "nvml_energy_counter") {
    energy.warnings.push("energy_source: counter was asked for, but this GPU has no usable energy counter");
  }
  return {
    info: gpu.info,
    energy,
    samples: own,
    idleBaselineWatts: config.measurement.baseline.enabled
      ? context.baselines.get(gpu.info.uuid)?.powerWatts ?? null
      : null,
    loadedIdleWatts: measured.session.loadedIdleWatts.get(gpu.info.uuid) ?? null,
  };
}

/** Which idle power is subtracted: the cached bare-idle baseline, or one measured by this study. */
function baselineMethod(context: StudyContext, measured: MeasuredRun): BaselineMethod | null {
  if (!measured.config.measurement.baseline.enabled) return null;
  const cached = measured.gpus.every((gpu) => context.baselines.get(gpu.info.uuid)?.status === "cached");
  return cached ? "idle_cached" : "idle_fresh";
}

function measurementEnvironment(context: StudyContext, session: OpenSession): MeasurementEnvironment {
  const { host, request, ports } = context;
  return {
    hostname: host.hostname,
    os: host.os,
    cpuModel: host.cpuModel,
    cpuGovernor: host.cpuGovernor,
    driverVersion: ports.gpuSystem.driverVersion,
    cudaDriverVersion: ports.gpuSystem.cudaDriverVersion,
    nvmlLibrary: ports.gpuSystem.libraryPath,
    runner: session.runner.runner,
    runnerReason: session.runner.reason,
    image: session.image,
    python: session.python,
    harnessVersion: session.harness.hello.harness_version,
    protocolVersion: session.harness.hello.protocol,
    llemVersion: request.llem.version,
    llemCommit: request.llem.commit,
    simulated: request.simulated ?? null,
  };
}

/** The CPU's energy over the whole window, from its edge readings and those in between; or why none. */
function cpuMeasurement(context: StudyContext, measured: MeasuredRun): CpuMeasurement {
  const source = context.ports.cpuEnergy;
  if (source.unavailableReason !== null) return { domains: [], unavailableReason: source.unavailableReason };
  const { cpuStart, cpuEnd } = measured.window;
  const from = cpuStart ? measured.cpuReadings.indexOf(cpuStart) : -1;
  const to = cpuEnd ? measured.cpuReadings.indexOf(cpuEnd) : -1;
  if (from < 0 || to < from) {
    throw new Error(`run ${measured.run.index}: the CPU energy counters were not read at the window's edges`);
  }
  const domains = cpuDomainEnergy(source.domains, measured.cpuReadings.slice(from, to + 1));
  const failed = domains.filter((d) => d.energyJoules === null).map((d) => d.domain);
  return {
    domains,
    unavailableReason: failed.length
      ? `${failed.join(", ")} could not be counted over the window (a failed read, or a counter step that ` +
        "is no wrap: one that went back, or past its reported range)"
      : null,
  };
}
