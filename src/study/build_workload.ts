import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { Workload } from "../engines/harness_protocol.ts";

/** Mulberry32: a small seeded generator, so a shuffled dataset is the same on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first `n` prompts in dataset order, or shuffled with the seed (Fisher-Yates) before taking n. */
export function selectPrompts(
  prompts: readonly string[],
  dataset: { n_prompts: number; order: "as_given" | "shuffled"; seed: number },
): string[] {
  const chosen = [...prompts];
  if (dataset.order === "shuffled") {
    const random = seededRandom(dataset.seed);
    for (let i = chosen.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [chosen[i], chosen[j]] = [chosen[j]!, chosen[i]!];
    }
  }
  return chosen.slice(0, dataset.n_prompts);
}

/**
 * What a window asks the engine to do: synthetic prompts (made by the harness with the model's own
 * tokenizer) or the given prompts, and the generation settings.
 */
export function buildWorkload(
  config: ExperimentConfig,
  prompts: readonly string[] | null,
  n?: number,
): Workload {
  const generation = config.generation;
  const count = n ?? config.dataset.n_prompts;
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
