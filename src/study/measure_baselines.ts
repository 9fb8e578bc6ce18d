import { join } from "node:path";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { STUDY_ARTEFACTS_DIR } from "../results/study_layout.ts";
import { writeJsonAtomic } from "../results/write_atomic.ts";
import { throwIfInterrupted } from "./interrupted.ts";
import { type BaselineOutcome, type BaselineSample, resolveBaselines } from "./resolve_baselines.ts";
import { reportPhase, type StudyContext } from "./study_context.ts";

/**
 * The bare-idle baseline of every GPU the pending runs use, before any engine starts: cached and
 * spot-checked, or measured (resolveBaselines()). None when no pending run asks for a baseline. A
 * snapshot of what this attempt used goes to _study-artefacts.
 */
export async function measureBaselines(
  context: Omit<StudyContext, "baselines">,
  pending: { configs: readonly ExperimentConfig[]; gpus: readonly Gpu[] },
): Promise<Map<string, BaselineOutcome>> {
  const baselines = new Map<string, BaselineOutcome>();
  const wanted = pending.configs.find((config) => config.measurement.baseline.enabled);
  if (!wanted) return baselines;
  for (const gpu of pending.gpus) {
    const busy = gpu.runningProcesses();
    if (busy.length) {
      context.record.warn(
        null,
        `GPU ${gpu.info.uuid} had process(es) ${busy.map((p) => p.pid).join(", ")} during the idle baseline`,
      );
    }
  }
  // One policy for the study: the first pending run's (baselines are per GPU, not per experiment).
  const policy = pending.configs[0]!.measurement.baseline;
  const { clock } = context.ports;
  const outcomes = await resolveBaselines(
    pending.gpus.map((g) => ({ uuid: g.info.uuid, name: g.info.name })),
    {
      cacheDir: context.request.locations.baselineCacheDir,
      force: policy.strategy === "fresh",
      ttlSeconds: policy.cache_ttl_seconds,
      driftFraction: policy.drift_threshold,
      durationSeconds: policy.duration_seconds,
      spotCheckSeconds: policy.spot_check_seconds,
      driverVersion: context.ports.gpuSystem.driverVersion,
      measure: (uuids, seconds) => sampleIdle(context, { uuids, seconds }),
      onMeasure: (kind, uuids, seconds) =>
        reportPhase(context, {
          name: "baseline",
          run: null,
          detail: `${
            kind === "full" ? "measuring" : "spot-checking"
          } idle power of ${uuids.length} GPU(s) for ${seconds} s`,
        }),
      nowMs: () => clock.now().getTime(),
      signal: context.ports.signal,
    },
  );
  throwIfInterrupted(context.ports.signal);
  writeJsonAtomic(
    // The pid too: the shards of a sharded study share this folder and may measure in the same millisecond.
    join(context.record.dir, STUDY_ARTEFACTS_DIR, `baseline_cache_${clock.now().getTime()}_${Deno.pid}.json`),
    outcomes,
  );
  for (const outcome of outcomes) {
    baselines.set(outcome.uuid, outcome);
    for (const warning of outcome.warnings) context.record.warn(null, `baseline ${outcome.uuid}: ${warning}`);
  }
  return baselines;
}

/** Sample idle GPUs for `seconds`, labelled baseline; their samples by UUID. */
async function sampleIdle(
  context: Omit<StudyContext, "baselines">,
  idle: { uuids: string[]; seconds: number },
): Promise<Map<string, BaselineSample[]>> {
  const { stream, ports } = context;
  stream.pump();
  const collection = stream.collect(idle.uuids);
  try {
    stream.setPhase("baseline");
    await ports.clock.sleep(idle.seconds, ports.signal);
    stream.setPhase("idle");
    // A baseline cut short is no baseline: it must not reach the cache.
    throwIfInterrupted(ports.signal);
    await stream.flush();
  } finally {
    collection.close();
  }
  // Only the samples taken in the baseline phase: a batch handed over late may hold earlier ones.
  const baseline = collection.samples.filter((s) => s.phase === "baseline");
  return new Map(idle.uuids.map((uuid) => [uuid, baseline.filter((s) => s.uuid === uuid)]));
}
