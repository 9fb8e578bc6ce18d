import type { z } from "zod";
import type { EngineId } from "./engine_id.ts";

/** A combination of values that cannot run, with the fix. */
export interface RuleViolation {
  /** Stable rule id, for grouping skipped points. */
  rule: string;
  /** Dotted key the rule points at. */
  path: string;
  /** What is wrong, with the values involved. */
  message: string;
  /** How to fix it. */
  hint: string;
}

/** What an engine's cross-field rules look at: its own options and the shared fields they constrain. */
export interface EngineRuleInput<Options> {
  options: Options;
  gpus: readonly unknown[];
  generation: { dtype: string; batch_size: number; max_new_tokens: number; max_input_tokens: number | null };
  dataset: { source: string; input_len_tokens: number };
}

/** How an engine batches requests (engines/README.md): llem's static batches, or the engine's own scheduler. */
export type Batching = "static" | "continuous" | "single_call";

/**
 * What llem knows about one engine, in one module per engine (`src/engines/<id>.ts`): config, plan, results
 * and `init` compose these rather than switch on engine names.
 */
export interface EngineDefinition<Options = Record<string, unknown>> {
  id: EngineId;
  displayName: string;
  /** Pinned default container image (a tag, never "latest"). */
  defaultImage: string;
  /** Python package whose version the adapter reports. */
  pythonPackage: string;
  /**
   * Variables that keep the engine itself from calling out when it has no network (besides the Hugging Face
   * switches every engine gets): usage statistics it would otherwise try to send. Empty when it sends none.
   */
  offlineEnv: Readonly<Record<string, string>>;
  /** The engine version the adapter was checked against, and how (shown by `llem engines`). */
  checked: { version: string; how: string };
  /** The options of the experiment's `<id>:` section; null values leave the engine's own default. */
  optionsSchema: z.ZodType<Options>;
  batching: Batching;
  /**
   * The options that take effect when the model loads: consecutive runs that differ only in others share
   * one session (one model load).
   */
  loadOptions(options: Options): Record<string, unknown>;
  /** GPUs one model replica spans: tensor x pipeline parallel sizes (unset sizes are the engine's 1). */
  parallelism(options: Options): { tensor: number; pipeline: number };
  /** Combinations of this engine's options (and the shared fields) that cannot run. */
  rules(input: EngineRuleInput<Options>): RuleViolation[];
  /** What `llem init --study` suggests sweeping for this engine. */
  starterSweep: { batchSizes: readonly number[]; lines: readonly string[] };
}
