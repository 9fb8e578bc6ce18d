/**
 * llem as a library: load, validate and plan studies exactly as the CLI does.
 *
 * ```ts
 * import { loadPlan } from "./mod.ts";
 * const plan = loadPlan("examples/study.yaml");
 * console.log(plan.funnel, plan.study_design_hash);
 * ```
 */
import type { StudyPlan } from "./src/config/build_plan.ts";
import { planStudy } from "./src/config/plan_study.ts";
import { readConfigFile } from "./src/cli/read_config_file.ts";

export type {
  PlannedExperiment,
  PlannedRun,
  SkippedPoint,
  StudyPlan,
  WallTimeLowerBound,
} from "./src/config/build_plan.ts";
export { buildPlan } from "./src/config/build_plan.ts";
export { ConfigError, type ConfigProblem, formatProblem } from "./src/config/config_error.ts";
export { measurementConfigHash, studyDesignHash } from "./src/config/config_hash.ts";
export { canonicalJson } from "./src/config/canonical_json.ts";
export { type ExecutionConfig, executionSchema } from "./src/config/execution_config.ts";
export { type ExperimentConfig, experimentSchema } from "./src/config/experiment_config.ts";
export { expandStudy, type StudyExpansion } from "./src/config/expand_study.ts";
export { orderRuns, williamsSquare } from "./src/config/order_runs.ts";
export { planStudy } from "./src/config/plan_study.ts";
export type { FileContents, ReadFile } from "./src/config/source_file.ts";
export { studyFileSchema } from "./src/config/study_config.ts";

/** Plan a study file from disk; throws ConfigError (with every located problem) on bad input. */
export function loadPlan(path: string): StudyPlan {
  return planStudy(path, readConfigFile);
}
