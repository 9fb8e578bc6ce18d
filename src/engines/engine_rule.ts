import type { EngineRuleInput, RuleViolation } from "./engine_definition.ts";

/** One broken rule. */
export function violation(rule: string, path: string, message: string, hint: string): RuleViolation {
  return { rule, path, message, hint };
}

/** Every rule of `rules` that `input` breaks. */
export function brokenRules<Options>(
  input: EngineRuleInput<Options>,
  rules: readonly ((input: EngineRuleInput<Options>) => RuleViolation | undefined)[],
): RuleViolation[] {
  return rules.map((rule) => rule(input)).filter((found) => found !== undefined);
}

/** Longest request in tokens: prompt (as configured) plus output. */
export function requestTokens(input: Pick<EngineRuleInput<unknown>, "generation" | "dataset">): number {
  const prompt = input.dataset.source === "synthetic"
    ? input.dataset.input_len_tokens
    : input.generation.max_input_tokens ?? 0;
  return prompt + input.generation.max_new_tokens;
}

/** Parallel sizes with the engines' own default (1) for unset ones. */
export function parallelSizes(
  options: { tensor_parallel_size: number | null; pipeline_parallel_size: number | null },
): { tensor: number; pipeline: number } {
  return { tensor: options.tensor_parallel_size ?? 1, pipeline: options.pipeline_parallel_size ?? 1 };
}

/** The experiment's GPUs must be exactly what one replica spans. */
export function parallelismRule(
  engine: string,
  sizes: { tensor: number; pipeline: number },
  gpus: readonly unknown[],
): RuleViolation | undefined {
  const needed = sizes.tensor * sizes.pipeline;
  return needed !== gpus.length
    ? violation(
      `${engine}-parallelism-gpus`,
      `${engine}.tensor_parallel_size`,
      `tensor_parallel_size x pipeline_parallel_size = ${needed} GPU(s), but gpus lists ${gpus.length}`,
      `list ${needed} GPU(s) in gpus, or change the parallel sizes`,
    )
    : undefined;
}

/** Half-precision dtypes. */
export const FLOAT_TYPES: ReadonlySet<string> = new Set(["float16", "bfloat16"]);
