import { z } from "zod";

/** The inference engines llem can drive; each id is also a folder in `engines/` and a module in `src/engines/`. */
export const ENGINE_IDS = ["transformers", "vllm", "tensorrt"] as const;

/** One inference engine id. */
export type EngineId = typeof ENGINE_IDS[number];

/** The engine of an experiment that names none. */
export const DEFAULT_ENGINE: EngineId = "transformers";

/** Zod schema of an engine id. */
export const engineIdSchema = z.enum(ENGINE_IDS);

/** Whether `value` names an engine llem knows. */
export function isEngineId(value: unknown): value is EngineId {
  return typeof value === "string" && (ENGINE_IDS as readonly string[]).includes(value);
}
