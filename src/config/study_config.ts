import { z } from "zod";
import { engineIdSchema } from "../engines/engine_id.ts";
import { executionSchema } from "./execution_config.ts";
import { experimentSchema } from "./experiment_config.ts";

/** Top-level keys that belong to the study, not to its experiments. */
export const STUDY_KEYS = ["name", "base", "sweep", "experiments", "execution"] as const;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const range = z.union([
  z.strictObject({ min: z.number(), max: z.number(), num: z.int().min(1) }).describe(
    "linearly spaced, inclusive",
  ),
  z.strictObject({
    log: z.strictObject({ min: z.number().gt(0), max: z.number().gt(0), num: z.int().min(1) }),
  })
    .describe("log-spaced, inclusive"),
  z.strictObject({ pow2: z.strictObject({ min: z.int().min(1), max: z.int().min(1) }) })
    .describe("powers of two between min and max"),
]);
const axis = z.union([scalar, z.array(z.union([scalar, z.array(z.unknown())])), range]);
const group = z.array(z.record(z.string(), z.unknown()));

/**
 * The study file as written: experiment fields shared by every point (all optional here, since a sweep
 * may supply them), plus the study keys. Each expanded point is validated against `experimentSchema`.
 */
export const studyFileSchema = experimentSchema.partial().extend({
  engine: z.union([engineIdSchema, z.array(engineIdSchema).min(1)]).optional()
    .describe("inference engine, or a list of engines to sweep"),
  name: z.string().min(1).max(100).optional().describe("study name, used in the results folder name"),
  base: z.string().min(1).optional().describe(
    "experiment file whose fields this file extends, relative to it",
  ),
  sweep: z.record(z.string(), z.union([axis, group])).optional().describe(
    "dotted key -> list of values (an axis) or group name -> list of mappings (alternatives); crossed",
  ),
  experiments: z.array(z.record(z.string(), z.unknown())).optional()
    .describe("explicit experiments, each merged onto the shared fields and run after the sweep"),
  execution: executionSchema,
});
