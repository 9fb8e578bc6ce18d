import { z } from "zod";

/** The harness protocol version this host speaks (engines/README.md). */
export const PROTOCOL_VERSION = 2;

const requestRecord = z.object({
  index: z.int().min(0),
  input_tokens: z.int().min(0),
  output_tokens: z.int().min(0),
  start_s: z.number(),
  first_token_s: z.number().nullable(),
  end_s: z.number(),
  token_times_s: z.array(z.number()).optional(),
});

/** One per-request record of a window, on the harness's clock. */
export type RequestRecord = z.output<typeof requestRecord>;

const nullableInt = z.int().min(0).nullable();

/** Messages the harness sends; unknown fields are ignored, as the spec says. */
export const harnessMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    protocol: z.int(),
    harness_version: z.string(),
    engine: z.string(),
    engine_version: z.string().nullable(),
    python: z.string(),
  }),
  z.object({
    type: z.literal("loaded"),
    load_seconds: z.number().min(0),
    model_info: z.object({
      parameters: nullableInt,
      layers: nullableInt,
      hidden_size: nullableInt,
      vocab_size: nullableInt,
      dtype: z.string().nullable(),
    }),
    memory_bytes: nullableInt,
    observed_params: z.record(z.string(), z.unknown()),
  }),
  z.object({ type: z.literal("idle_done") }),
  z.object({
    type: z.literal("warmup_done"),
    iterations: z.int().min(0),
    latencies_s: z.array(z.number().min(0)),
    converged: z.boolean(),
    final_cv: z.number().min(0).nullable(),
    seconds: z.number().min(0),
  }),
  z.object({
    type: z.literal("ready"),
    window_id: z.string(),
    n_requests: z.int().min(0),
    input_tokens: z.int().min(0),
  }),
  z.object({
    type: z.literal("finished"),
    window_id: z.string(),
    finished_s: z.number(),
    finished_unix_s: z.number(),
  }),
  z.object({
    type: z.literal("done"),
    window_id: z.string(),
    started_s: z.number(),
    finished_s: z.number(),
    /** Wall-clock (Unix seconds) twin of finished_s: lets the host measure its window-edge skew. */
    finished_unix_s: z.number().optional(),
    capture: z.enum(["streaming", "per_batch", "none"]),
    requests: z.array(requestRecord),
  }),
  z.object({ type: z.literal("bye") }),
  z.object({ type: z.literal("log"), level: z.enum(["debug", "info", "warning"]), message: z.string() }),
  z.object({
    type: z.literal("error"),
    error_type: z.string(),
    message: z.string(),
    traceback: z.string(),
    fatal: z.boolean(),
    in_reply_to: z.string().nullable(),
  }),
]);

/** A message from the harness. */
export type HarnessMessage = z.output<typeof harnessMessageSchema>;

const workload = z.object({
  prompts: z.array(z.string()).optional(),
  synthetic: z.object({ n_prompts: z.int().min(1), input_len_tokens: z.int().min(1), seed: z.int().min(0) })
    .optional(),
  batch_size: z.int().min(1),
  max_new_tokens: z.int().min(1),
  max_input_tokens: z.int().min(1).nullable(),
  ignore_eos: z.boolean(),
  decoding: z.object({
    temperature: z.number().min(0),
    top_p: z.number(),
    top_k: z.int().min(0),
    repetition_penalty: z.number(),
    seed: z.int().min(0),
  }),
  latency_profiling: z.boolean(),
});

/** What one window (or the warmup) asks the engine to do. */
export type Workload = z.output<typeof workload>;

/** Messages the host sends. */
export const hostMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("configure"),
    model: z.string(),
    engine_options: z.record(z.string(), z.unknown()),
    dtype: z.string(),
    seed: z.int().min(0),
  }),
  z.object({ type: z.literal("idle"), seconds: z.number().min(0) }),
  z.object({
    type: z.literal("warmup"),
    mode: z.enum(["fixed", "converged"]),
    n_requests: z.int().min(0),
    max_requests: z.int().min(1),
    cv_threshold: z.number().min(0),
    window: z.int().min(1),
    min_seconds: z.number().min(0),
    workload,
  }),
  z.object({ type: z.literal("prepare"), window_id: z.string(), workload }),
  z.object({ type: z.literal("go"), window_id: z.string() }),
  z.object({ type: z.literal("shutdown") }),
]);

/** A message to the harness. */
export type HostMessage = z.output<typeof hostMessageSchema>;

/** A harness line that is not a valid message: not JSON, not an object, or not in the schema. */
export class ProtocolViolation extends Error {
  readonly line: string;

  constructor(line: string, reason: string) {
    super(
      `harness sent an invalid message (${reason}): ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`,
    );
    this.name = "ProtocolViolation";
    this.line = line;
  }
}

/** Parse one line from the harness; throws ProtocolViolation. */
export function parseHarnessLine(line: string): HarnessMessage {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    throw new ProtocolViolation(line, "not JSON");
  }
  const parsed = harnessMessageSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProtocolViolation(line, `${issue.path.join(".") || "message"}: ${issue.message}`);
  }
  return parsed.data;
}
