import type { Workload } from "../src/engines/harness_protocol.ts";

/** A small window for the test engine: four synthetic prompts in batches of two, four tokens each. */
export const TEST_WORKLOAD: Workload = {
  synthetic: { n_prompts: 4, input_len_tokens: 6, seed: 1 },
  batch_size: 2,
  max_new_tokens: 4,
  max_input_tokens: null,
  ignore_eos: true,
  decoding: { temperature: 0, top_p: 1, top_k: 0, repetition_penalty: 1, seed: 42 },
  latency_profiling: false,
};
