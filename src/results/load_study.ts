import { z } from "zod";
import { LlemError } from "../errors/llem_error.ts";
import type { Manifest, ManifestRun } from "./manifest_schema.ts";
import { ManifestUnreadable, readManifest } from "./manifest_store.ts";
import { type ExperimentResult, experimentResultSchema, RESULT_SCHEMA_VERSION } from "./result_schema.ts";
import { resolveInside, RESULT_FILE, STUDY_ARTEFACTS_DIR } from "./study_layout.ts";

/** A study file that cannot be read as what it should be (a truncated Parquet file): bad input, exit 2. */
export class ResultsUnreadable extends LlemError {
  readonly kind = "bad_input";
}

/** What a study's plan says of each experiment, as _study-artefacts/plan.json keeps it. */
const storedPlanSchema = z.object({
  study_name: z.string(),
  /** Each run's experiment and session, in execution order: what a sharded study is split by. */
  runs: z.array(z.object({ index: z.int().min(1), experiment: z.int().min(1), session: z.int().min(1) }))
    .default([]),
  varying_keys: z.array(z.string()),
  experiments: z.array(z.object({
    id: z.int().min(1),
    measurement_config_hash: z.string(),
    config: z.record(z.string(), z.unknown()),
  })),
});

/** The plan a study was started with: its name, the keys its sweep varies, and each experiment's config. */
export type StoredPlan = z.output<typeof storedPlanSchema>;

/** One run of a loaded study: its manifest entry, and its result when it completed and reads as one. */
export interface LoadedRun {
  entry: ManifestRun;
  result: ExperimentResult | null;
  /** Why a completed run has no result here (a damaged result.json, another schema version); else null. */
  problem: string | null;
}

/** A study as `llem results` reads it: summaries only (no Parquet file is opened). */
export interface LoadedStudy {
  dir: string;
  manifest: Manifest;
  plan: StoredPlan;
  runs: LoadedRun[];
}

/**
 * Read a study directory's manifest, plan and every completed run's result.json, each checked against
 * its schema. A directory that is not a study is ManifestUnreadable (exit 2, naming it); a completed run
 * whose result cannot be read keeps its reason, so a partial study shows what is missing.
 */
export function loadStudy(dir: string): LoadedStudy {
  const manifest = readManifest(dir);
  const plan = readStoredPlan(dir);
  const runs = manifest.experiments.map((entry): LoadedRun => {
    if (entry.status !== "completed") return { entry, result: null, problem: null };
    const read = readResult(resolveInside(dir, `${entry.dir}/${RESULT_FILE}`));
    return "problem" in read
      ? { entry, result: null, problem: read.problem }
      : { entry, result: read.result, problem: null };
  });
  return { dir, manifest, plan, runs };
}

/** The plan a study was started with, as _study-artefacts/plan.json keeps it; ManifestUnreadable (exit 2) if not. */
export function readStoredPlan(dir: string): StoredPlan {
  const path = resolveInside(dir, `${STUDY_ARTEFACTS_DIR}/plan.json`);
  let data: unknown;
  try {
    data = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    throw new ManifestUnreadable(
      `cannot read "${path}", the plan of the study: ${(error as Error).message}`,
      "name a study directory llem wrote, whole (results/<study>_<time>), or restore the file from a copy",
      { cause: error },
    );
  }
  const parsed = storedPlanSchema.safeParse(data);
  if (!parsed.success) {
    throw new ManifestUnreadable(`"${path}" is not an llem plan:\n${z.prettifyError(parsed.error)}`, null);
  }
  return parsed.data;
}

function readResult(path: string): { result: ExperimentResult } | { problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    return {
      problem: error instanceof Deno.errors.NotFound
        ? `${RESULT_FILE} is missing`
        : `${RESULT_FILE} cannot be read: ${(error as Error).message.split("\n")[0]}`,
    };
  }
  const version = (data as { schema_version?: unknown } | null)?.schema_version;
  const parsed = experimentResultSchema.safeParse(data);
  if (parsed.success) return { result: parsed.data };
  return {
    problem: version !== undefined && version !== RESULT_SCHEMA_VERSION
      ? `${RESULT_FILE} is of schema ${JSON.stringify(version)}; this llem reads ${RESULT_SCHEMA_VERSION}`
      : `${RESULT_FILE} is not a valid result: ${z.prettifyError(parsed.error).split("\n")[0]}`,
  };
}
