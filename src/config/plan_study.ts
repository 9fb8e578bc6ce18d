import { buildPlan, type StudyPlan } from "./build_plan.ts";
import { expandStudy } from "./expand_study.ts";
import type { ReadFile } from "./source_file.ts";

/** Load, validate, expand, deduplicate, hash and order a study file; throws ConfigError on bad input. */
export function planStudy(path: string, readFile: ReadFile): StudyPlan {
  return buildPlan(expandStudy(path, readFile));
}
