import type { RuleViolation } from "../engines/engine_definition.ts";
import { ENGINE_IDS } from "../engines/engine_id.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { violation } from "../engines/engine_rule.ts";
import type { ExperimentConfig } from "./experiment_config.ts";

export type { RuleViolation };

type Rule = (config: ExperimentConfig) => RuleViolation | undefined;

const RULES: Rule[] = [
  (c) =>
    c.dataset.source !== "synthetic" && c.dataset.path === null
      ? violation(
        "dataset-path-missing",
        "dataset.path",
        `dataset.source ${c.dataset.source} reads a file`,
        "set dataset.path",
      )
      : undefined,
  (c) =>
    c.dataset.source === "synthetic" && c.dataset.path !== null
      ? violation(
        "dataset-path-unused",
        "dataset.path",
        "dataset.path is set, but dataset.source is synthetic",
        "set dataset.source to jsonl or parquet, or remove dataset.path",
      )
      : undefined,
  (c) =>
    c.dataset.source === "synthetic" && c.generation.max_input_tokens !== null &&
      c.dataset.input_len_tokens > c.generation.max_input_tokens
      ? violation(
        "synthetic-prompt-truncated",
        "dataset.input_len_tokens",
        `synthetic prompts of ${c.dataset.input_len_tokens} tokens exceed generation.max_input_tokens (${c.generation.max_input_tokens})`,
        "lower dataset.input_len_tokens or raise generation.max_input_tokens",
      )
      : undefined,
  (c) =>
    c.measurement.methodology === "windowed" && c.measurement.window_seconds === null
      ? violation(
        "window-missing",
        "measurement.window_seconds",
        "methodology windowed needs measurement.window_seconds",
        "set measurement.window_seconds: [start, end]",
      )
      : undefined,
  (c) =>
    c.measurement.methodology !== "windowed" && c.measurement.window_seconds !== null
      ? violation(
        "window-unused",
        "measurement.window_seconds",
        `measurement.window_seconds is set, but methodology is ${c.measurement.methodology}`,
        "set measurement.methodology: windowed, or remove window_seconds",
      )
      : undefined,
  (c) => {
    const w = c.measurement.window_seconds;
    return w && w[0] >= w[1]
      ? violation(
        "window-empty",
        "measurement.window_seconds",
        `window start (${w[0]} s) is not before its end (${w[1]} s)`,
        "give [start, end] with start < end",
      )
      : undefined;
  },
  (c) =>
    c.measurement.warmup.mode === "converged" &&
      c.measurement.warmup.max_requests < c.measurement.warmup.n_requests
      ? violation(
        "warmup-cap-below-minimum",
        "measurement.warmup.max_requests",
        `warmup.max_requests (${c.measurement.warmup.max_requests}) is below warmup.n_requests (${c.measurement.warmup.n_requests})`,
        "raise max_requests or lower n_requests",
      )
      : undefined,
  (c) =>
    c.measurement.thermal_floor.max_seconds < c.measurement.thermal_floor.min_seconds
      ? violation(
        "thermal-floor-bounds",
        "measurement.thermal_floor.max_seconds",
        `thermal_floor.max_seconds (${c.measurement.thermal_floor.max_seconds}) is below min_seconds (${c.measurement.thermal_floor.min_seconds})`,
        "raise max_seconds or lower min_seconds",
      )
      : undefined,
  (c) => {
    const section = ENGINE_IDS.find((e) => e !== c.engine && c[e] !== undefined);
    return section
      ? violation(
        "engine-section-mismatch",
        section,
        `${section} options are set, but this experiment's engine is ${c.engine}`,
        `set engine: ${section}, or move the options to a ${c.engine} section`,
      )
      : undefined;
  },
];

/** Every cross-field rule the config breaks (empty when it can run). */
export function checkCrossFieldRules(config: ExperimentConfig): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const rule of RULES) {
    const found = rule(config);
    if (found) violations.push(found);
  }
  // An experiment without its engine's section has that engine's defaults.
  const engine = ENGINES[config.engine];
  const options = config[config.engine] ?? engine.optionsSchema.parse({});
  violations.push(...engine.rules({ ...config, options }));
  return violations;
}
