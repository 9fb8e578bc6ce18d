/** What the harness reports of the model's config.json (`loaded.model_info`); each may be unknown. */
export interface FlopsModelInfo {
  parameters: number | null;
  layers: number | null;
  hidden_size: number | null;
  vocab_size: number | null;
}

/** The token counts of one request. */
export interface FlopsRequest {
  input_tokens: number;
  output_tokens: number;
}

/** How much to trust a FLOPs estimate. */
export type FlopsConfidence = "high" | "medium" | "low";

/** A FLOPs estimate for a window, with how it was made. */
export interface FlopsEstimate {
  /** Estimated floating-point operations over every request of the window; 0 when it cannot be estimated. */
  totalFlops: number;
  method: string;
  confidence: FlopsConfidence;
  /** Parameters counted in the 2·N term. */
  nonEmbeddingParameters: number | null;
  /** total / output tokens; null when either is 0. */
  flopsPerOutputToken: number | null;
  /** total / input tokens; null when either is 0. */
  flopsPerInputToken: number | null;
  /** total / duration; null when either is 0. */
  flopsPerSecond: number | null;
  notes: string[];
}

/** Embedding share of the parameters under which tied versus untied embeddings change little. */
const SMALL_EMBEDDING_SHARE = 0.05;

/**
 * Forward-pass FLOPs of a window from the model's shape (Kaplan et al. 2020, "Scaling Laws for Neural
 * Language Models", table 1): 2·N per token processed, N the non-embedding parameters
 * (parameters − vocab·hidden), plus 2·layers·context·hidden per token for attention over its context.
 * Every request processes its input (prefill) and its output (decode) tokens; with causal attention
 * token number p (1-based) attends to p positions, so a request of T = input + output tokens adds
 * 2·layers·hidden·T(T+1)/2. Padding, speculative tokens and recomputation are not counted: this is the
 * useful work, a reference for comparisons, not a hardware counter.
 */
export function flopsEstimate(
  model: FlopsModelInfo,
  requests: readonly FlopsRequest[],
  options: { durationSeconds: number },
): FlopsEstimate {
  const notes: string[] = [];
  let inputTokens = 0;
  let outputTokens = 0;
  let contextSum = 0; // Σ over requests of T(T+1)/2
  for (const r of requests) {
    inputTokens += r.input_tokens;
    outputTokens += r.output_tokens;
    const t = r.input_tokens + r.output_tokens;
    contextSum += t * (t + 1) / 2;
  }
  const tokens = inputTokens + outputTokens;
  const { parameters, layers, hidden_size: hidden, vocab_size: vocab } = model;
  let nonEmbedding: number | null = null;
  let confidence: FlopsConfidence = "low";
  const method: string[] = [];
  if (parameters !== null && parameters > 0) {
    if (vocab !== null && hidden !== null && vocab * hidden < parameters) {
      const embedding = vocab * hidden;
      nonEmbedding = parameters - embedding;
      method.push("2·(parameters − vocab·hidden) per input and output token");
      const share = embedding / parameters;
      confidence = share < SMALL_EMBEDDING_SHARE ? "high" : "medium";
      notes.push(
        `one vocab·hidden matrix (${(100 * share).toFixed(1)}% of parameters) is subtracted: with untied ` +
          "embeddings the output projection stays in N (it does compute per token); with tied embeddings " +
          "its 2·vocab·hidden per token is left out",
      );
    } else {
      nonEmbedding = parameters;
      method.push("2·parameters per input and output token (vocab or hidden size unknown)");
      notes.push("embedding parameters could not be separated: the estimate counts them as compute");
    }
  } else {
    notes.push("the model's parameter count is unknown: no FLOPs estimate");
  }
  let attention = 0;
  if (nonEmbedding !== null) {
    if (layers !== null && hidden !== null) {
      attention = 2 * layers * hidden * contextSum;
      method.push("+ 2·layers·position·hidden per token (causal attention)");
    } else {
      confidence = "low";
      notes.push("layers or hidden size unknown: the attention term is left out");
    }
  }
  const totalFlops = nonEmbedding === null ? 0 : 2 * nonEmbedding * tokens + attention;
  const per = (divisor: number) => totalFlops > 0 && divisor > 0 ? totalFlops / divisor : null;
  return {
    totalFlops,
    method: nonEmbedding === null ? "unavailable" : `${method.join(" ")} (Kaplan et al. 2020)`,
    confidence,
    nonEmbeddingParameters: nonEmbedding,
    flopsPerOutputToken: per(outputTokens),
    flopsPerInputToken: per(inputTokens),
    flopsPerSecond: per(options.durationSeconds),
    notes,
  };
}
