import { canonicalJson } from "./canonical_json.ts";
import { ConfigError, type ConfigProblem } from "./config_error.ts";
import { createHash } from "node:crypto";
import { environmentView, measurementView } from "./config_hash.ts";
import { checkCrossFieldRules, type RuleViolation } from "./cross_field_rules.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import type { ExecutionConfig } from "./execution_config.ts";
import { type ExperimentConfig, experimentSchema } from "./experiment_config.ts";
import type { StudyExpansion } from "./expand_study.ts";
import { GROUPABLE_ORDERS, groupBySession } from "./group_by_session.ts";
import { orderRuns, type RunSlot, seedFromDesignHash } from "./order_runs.ts";
import { valueAtPath } from "./value_at_path.ts";
import { zodProblems } from "./zod_problems.ts";

/** A declared point that cannot run, and why. */
export interface SkippedPoint {
  /** 0-based declaration index. */
  index: number;
  engine: string;
  model: string;
  /** Values the sweep set for this point. */
  swept: Record<string, unknown>;
  reasons: RuleViolation[];
}

/** One unique experiment of the plan. */
export interface PlannedExperiment {
  /** 1-based id in the order experiments were declared. */
  id: number;
  measurement_config_hash: string;
  engine: string;
  model: string;
  /** Values the sweep set for this experiment (of its first declaration). */
  swept: Record<string, unknown>;
  /** Declared indices that resolved to this same config. */
  members: number[];
  /** The resolved config, defaults applied. */
  config: ExperimentConfig;
}

/** One run in execution order. */
export interface PlannedRun {
  /** 1-based position in execution order. */
  index: number;
  /** 0-based cycle. */
  cycle: number;
  /** Id of the experiment this run measures. */
  experiment: number;
  measurement_config_hash: string;
  engine: string;
  model: string;
  /** 1-based session: consecutive runs that can share one loaded model. */
  session: number;
  /** Pause before this run, from the execution gaps. */
  gap_before_seconds: number;
  /** Which gap precedes this run: none (the first run), an experiment gap or a cycle gap. */
  gap_kind: "none" | "experiment" | "cycle";
}

/** The least wall time the plan can take, from configured waits alone (inference itself excluded). */
export interface WallTimeLowerBound {
  total_seconds: number;
  experiment_gaps_seconds: number;
  cycle_gaps_seconds: number;
  thermal_floor_seconds: number;
  warmup_seconds: number;
  baseline_seconds: number;
}

/** Everything `llem plan` knows about a study before anything runs. */
export interface StudyPlan {
  study_name: string;
  config_file: string;
  study_design_hash: string;
  funnel: {
    declared: number;
    invalid: number;
    valid: number;
    duplicates: number;
    unique: number;
    cycles: number;
    runs: number;
  };
  sweep: { axes: number; groups: number };
  execution: ExecutionConfig;
  /** Seed the shuffle order uses (configured or derived from the design hash); null for other orders. */
  effective_shuffle_seed: number | null;
  /** Dotted keys whose values differ between the unique experiments. */
  varying_keys: string[];
  experiments: PlannedExperiment[];
  skipped: SkippedPoint[];
  runs: PlannedRun[];
  /** Engine sessions (model loads) the runs need. */
  sessions: number;
  /**
   * by_model_load: the experiments that load the model alike run next to each other (orders sequential,
   * interleave and reverse, with reuse_sessions); as_declared: in the order the study declares them.
   */
  session_grouping: "by_model_load" | "as_declared";
  /** Sessions the runs would need in the declared order of experiments. */
  sessions_as_declared: number;
  wall_time_lower_bound: WallTimeLowerBound;
  warnings: string[];
}

/**
 * Most runs a study may have: 100,000 runs of even ten seconds each take eleven days. The count is checked
 * from the number of unique experiments and cycles before any run is built, so an absurd study is a clear
 * error, not an out-of-memory.
 */
export const MAX_RUNS = 100_000;

/** Validate every declared point, drop invalid ones, collapse duplicates, hash, order and cost the study. */
export function buildPlan(expansion: StudyExpansion): StudyPlan {
  const problems: ConfigProblem[] = [...expansion.problems];
  const valid: { index: number; config: ExperimentConfig; swept: Record<string, unknown> }[] = [];
  const skipped: SkippedPoint[] = [];
  for (const point of expansion.points) {
    const parsed = experimentSchema.safeParse(point.raw, { reportInput: true });
    if (!parsed.success) {
      // One by one: a spread of 200,000 problems (a mapping of unknown keys) overflows the call stack.
      const found = zodProblems(parsed.error.issues, {
        schema: experimentSchema,
        contributions: point.contributions,
      });
      for (const problem of found) problems.push(problem);
      continue;
    }
    const config = withEngineDefaults(parsed.data);
    const reasons = checkCrossFieldRules(config);
    if (reasons.length > 0) {
      skipped.push({
        index: point.index,
        engine: config.engine,
        model: config.model,
        swept: point.swept,
        reasons,
      });
    } else valid.push({ index: point.index, config, swept: point.swept });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (valid.length === 0) {
    const rules = [...new Set(skipped.flatMap((s) => s.reasons.map((r) => `${r.message} (${r.hint})`)))];
    throw new ConfigError([{
      file: expansion.file,
      line: 0,
      column: 0,
      path: "",
      message:
        `nothing to run: all ${skipped.length} declared experiment(s) are invalid: ${
          rules.slice(0, 3).join("; ")
        }` +
        (rules.length > 3 ? `; and ${rules.length - 3} more` : ""),
      hint: `run "llem plan ${expansion.file} --json" to see every skipped point and its reason`,
    }]);
  }

  const experiments: PlannedExperiment[] = [];
  const sessionKeys: string[] = [];
  const byConfig = new Map<string, PlannedExperiment>();
  // study_design_hash covers canonicalJson(list of measurement views); fed piece by piece to save memory.
  const design = createHash("sha256").update("[");
  let designChunk = ""; // hashed in ~1 MB pieces: one update per experiment costs more than the hashing
  for (const point of valid) {
    const measured = canonicalJson(measurementView(point.config));
    const digest = createHash("sha256").update(measured).digest("hex");
    // Every config comes out of the same zod schema, so plain JSON.stringify orders keys alike.
    const key = `${digest}${JSON.stringify(environmentView(point.config))}`;
    const existing = expansion.execution.deduplicate ? byConfig.get(key) : undefined;
    if (existing) {
      existing.members.push(point.index);
      continue;
    }
    const experiment: PlannedExperiment = {
      id: experiments.length + 1,
      measurement_config_hash: digest.slice(0, 16),
      engine: point.config.engine,
      model: point.config.model,
      swept: point.swept,
      members: [point.index],
      config: point.config,
    };
    designChunk += experiments.length === 0 ? measured : `,${measured}`;
    if (designChunk.length > 1 << 20) {
      design.update(designChunk);
      designChunk = "";
    }
    experiments.push(experiment);
    sessionKeys.push(sessionKey(point.config));
    byConfig.set(key, experiment);
  }

  const execution = expansion.execution;
  const tooMany = tooManyRuns(expansion.file, {
    experiments: experiments.length,
    cycles: execution.n_cycles,
  });
  if (tooMany) throw new ConfigError([tooMany]);
  const designHash = design.update(`${designChunk}]`).digest("hex").slice(0, 16);
  const seed = execution.shuffle_seed ?? seedFromDesignHash(designHash);
  const declaredSlots = orderRuns(experiments.length, {
    order: execution.order,
    cycles: execution.n_cycles,
    seed,
  });
  // Where the order allows, experiments that load the model alike run next to each other.
  const grouped = execution.reuse_sessions && GROUPABLE_ORDERS.has(execution.order);
  const position = grouped ? groupBySession(sessionKeys) : null;
  const slots = position
    ? declaredSlots.map((slot) => ({ cycle: slot.cycle, experiment: position[slot.experiment]! }))
    : declaredSlots;
  const newSession = (slot: RunSlot, previous: RunSlot) =>
    !execution.reuse_sessions || sessionKeys[slot.experiment] !== sessionKeys[previous.experiment];
  const runs: PlannedRun[] = [];
  let session = 0;
  for (const [i, slot] of slots.entries()) {
    const experiment = experiments[slot.experiment]!;
    const previous = i > 0 ? slots[i - 1]! : undefined;
    if (!previous || newSession(slot, previous)) session += 1;
    // Cycle gaps separate blocks: cycles, or under sequential order each experiment's run of cycles.
    const newBlock = previous !== undefined && execution.n_cycles > 1 &&
      (execution.order === "sequential"
        ? previous.experiment !== slot.experiment
        : previous.cycle !== slot.cycle);
    const gapKind = previous === undefined ? "none" : newBlock ? "cycle" : "experiment";
    runs.push({
      index: i + 1,
      cycle: slot.cycle,
      experiment: experiment.id,
      measurement_config_hash: experiment.measurement_config_hash,
      engine: experiment.engine,
      model: experiment.model,
      session,
      gap_before_seconds: gapKind === "none"
        ? 0
        : gapKind === "cycle"
        ? execution.cycle_gap_seconds
        : execution.experiment_gap_seconds,
      gap_kind: gapKind,
    });
  }

  const declared = expansion.points.length;
  let sessionsAsDeclared = 0;
  for (const [i, slot] of declaredSlots.entries()) {
    if (i === 0 || newSession(slot, declaredSlots[i - 1]!)) sessionsAsDeclared += 1;
  }
  const funnel = {
    declared,
    invalid: skipped.length,
    valid: valid.length,
    duplicates: valid.length - experiments.length,
    unique: experiments.length,
    cycles: execution.n_cycles,
    runs: runs.length,
  };
  return {
    study_name: expansion.name,
    config_file: expansion.file,
    study_design_hash: designHash,
    funnel,
    sweep: expansion.sweep,
    execution,
    effective_shuffle_seed: execution.order === "shuffle" ? seed : null,
    varying_keys: varyingKeys(experiments),
    experiments,
    skipped,
    runs,
    sessions: session,
    session_grouping: grouped ? "by_model_load" : "as_declared",
    sessions_as_declared: sessionsAsDeclared,
    wall_time_lower_bound: lowerBound(runs, experiments),
    warnings: planWarnings(funnel, execution, experiments),
  };
}

/** The problem of a study with more than MAX_RUNS runs, or null. */
function tooManyRuns(file: string, counts: { experiments: number; cycles: number }): ConfigProblem | null {
  const runs = counts.experiments * counts.cycles;
  if (runs <= MAX_RUNS) return null;
  const n = (value: number) => value.toLocaleString("en-US");
  return {
    file,
    line: 0,
    column: 0,
    path: "execution.n_cycles",
    message: `${n(counts.experiments)} unique experiments x ${n(counts.cycles)} cycles = ${
      n(runs)
    } runs, more than the ${n(MAX_RUNS)} runs a study may have`,
    hint: "sweep fewer values or run fewer cycles (execution.n_cycles, --cycles), or split the study",
  };
}

/** The chosen engine's options section, filled with its defaults when the config left it out. */
function withEngineDefaults(config: ExperimentConfig): ExperimentConfig {
  if (config[config.engine] !== undefined) return config;
  return { ...config, [config.engine]: ENGINES[config.engine].optionsSchema.parse({}) };
}

/** What must match for consecutive experiments to share one loaded model. */
function sessionKey(config: ExperimentConfig): string {
  return JSON.stringify({
    model: config.model,
    engine: config.engine,
    runner: config.runner,
    image: config.image,
    gpus: config.gpus,
    allow_network: config.allow_network,
    python: config.python,
    shm_size: config.shm_size,
    memory_limit: config.memory_limit,
    dtype: config.generation.dtype,
    // The harness's configure message seeds the engine with it (torch.manual_seed, vllm.LLM(seed=...)).
    seed: config.generation.decoding.seed,
    options: ENGINES[config.engine].loadOptions(config[config.engine] ?? {}),
  });
}

/**
 * Keys with more than one value among the experiments that have them. Points differ only where the
 * sweep or an `experiments:` entry set something, so only those keys are compared.
 */
function varyingKeys(experiments: PlannedExperiment[]): string[] {
  const candidates = new Set(experiments.flatMap((e) => Object.keys(e.swept)));
  candidates.delete("engine");
  candidates.delete("model");
  const varying: string[] = [];
  for (const key of candidates) {
    const values = new Set<unknown>();
    for (const experiment of experiments) {
      const value = valueAtPath(experiment.config, key);
      if (value !== undefined) {
        values.add(typeof value === "object" && value !== null ? canonicalJson(value) : value);
      }
    }
    if (values.size > 1) varying.push(key);
  }
  return varying.sort();
}

function lowerBound(runs: PlannedRun[], experiments: PlannedExperiment[]): WallTimeLowerBound {
  let experimentGaps = 0;
  let cycleGaps = 0;
  let thermal = 0;
  let warmup = 0;
  let baseline = 0;
  let previousSession = 0;
  for (const run of runs) {
    const m = experiments[run.experiment - 1]!.config.measurement;
    if (run.gap_kind === "cycle") cycleGaps += run.gap_before_seconds;
    else experimentGaps += run.gap_before_seconds;
    if (m.thermal_floor.enabled) thermal += m.thermal_floor.min_seconds;
    if (run.session !== previousSession) {
      warmup += m.warmup.min_seconds;
      if (m.baseline.enabled) {
        baseline += m.baseline.strategy === "fresh"
          ? m.baseline.duration_seconds
          : m.baseline.spot_check_seconds;
      }
      previousSession = run.session;
    }
  }
  return {
    total_seconds: experimentGaps + cycleGaps + thermal + warmup + baseline,
    experiment_gaps_seconds: experimentGaps,
    cycle_gaps_seconds: cycleGaps,
    thermal_floor_seconds: thermal,
    warmup_seconds: warmup,
    baseline_seconds: baseline,
  };
}

function planWarnings(
  funnel: StudyPlan["funnel"],
  execution: ExecutionConfig,
  experiments: PlannedExperiment[],
): string[] {
  const warnings: string[] = [];
  if (funnel.invalid * 2 > funnel.declared) {
    warnings.push(`${funnel.invalid} of ${funnel.declared} declared points are invalid; check the sweep`);
  }
  if (funnel.runs > 2000) warnings.push(`${funnel.runs} runs: this study will take a long time`);
  else if (funnel.runs > 500) warnings.push(`${funnel.runs} runs: consider a smaller sweep first`);
  if (execution.n_cycles < 3) {
    warnings.push(
      `execution.n_cycles is ${execution.n_cycles}: confidence intervals need 3 or more cycles`,
    );
  }
  if (experiments.some((e) => e.config.measurement.latency_profiling)) {
    warnings.push("latency_profiling is on for some experiments: per-token timing perturbs their energy");
  }
  return warnings;
}
