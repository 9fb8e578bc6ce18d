import type { ExperimentConfig } from "../config/experiment_config.ts";
import { mulberry32, shuffle } from "../config/order_runs.ts";
import type { Workload } from "../engines/harness_protocol.ts";

/** The first `n` prompts in dataset order, or shuffled with the seed (Fisher-Yates) before taking n. */
export function selectPrompts(
  prompts: readonly string[],
  dataset: { n_prompts: number; order: "as_given" | "shuffled"; seed: number },
): string[] {
  const chosen = dataset.order === "shuffled" ? shuffle(prompts, mulberry32(dataset.seed)) : prompts;
  return chosen.slice(0, dataset.n_prompts);
}

/**
 * What a window asks the engine to do: synthetic prompts (made by the harness with the model's own
 * tokenizer) or the given prompts, and the generation settings.
 */
export function buildWorkload(
  config: ExperimentConfig,
  options: {
    /** The dataset's prompts, or null for synthetic ones. */
    prompts: readonly string[] | null;
    /** How many requests (the warmup asks fewer); defaults to dataset.n_prompts. */
    count?: number;
  },
): Workload {
  const generation = config.generation;
  const { prompts } = options;
  const count = options.count ?? config.dataset.n_prompts;
  return {
    ...(prompts === null
      ? {
        synthetic: {
          n_prompts: count,
          input_len_tokens: config.dataset.input_len_tokens,
          seed: config.dataset.seed,
        },
      }
      : { prompts: prompts.slice(0, count) }),
    batch_size: generation.batch_size,
    max_new_tokens: generation.max_new_tokens,
    max_input_tokens: generation.max_input_tokens,
    ignore_eos: generation.ignore_eos,
    decoding: { ...generation.decoding },
    latency_profiling: config.measurement.latency_profiling,
  };
}
