import { buildPlan, type StudyPlan } from "./build_plan.ts";
import type { ExecutionConfig } from "./execution_config.ts";
import { expandStudy } from "./expand_study.ts";
import type { ReadFile } from "./source_file.ts";

/** Command-line settings that replace what the study file says (`llem run --gpus --runner --cycles --order`). */
export interface PlanOverrides {
  /** Environment fields set on every experiment (they never change a measurement hash). */
  experiment?: { gpus?: (number | string)[]; runner?: string };
  execution?: Partial<Pick<ExecutionConfig, "n_cycles" | "order">>;
}

/** Load, validate, expand, deduplicate, hash and order a study file; throws ConfigError on bad input. */
export function planStudy(path: string, readFile: ReadFile, overrides: PlanOverrides = {}): StudyPlan {
  const expansion = expandStudy(path, readFile);
  const experiment = overrides.experiment ?? {};
  const points = Object.keys(experiment).length === 0
    ? expansion.points
    : expansion.points.map((point) => ({ ...point, raw: { ...point.raw, ...experiment } }));
  return buildPlan({ ...expansion, points, execution: { ...expansion.execution, ...overrides.execution } });
}
