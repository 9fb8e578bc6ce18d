import { tensorrtOptionsSchema } from "../engines/tensorrt.ts";
import { transformersOptionsSchema } from "../engines/transformers.ts";
import { vllmOptionsSchema } from "../engines/vllm.ts";

export { tensorrtOptionsSchema, transformersOptionsSchema, vllmOptionsSchema };

/** Each engine's options schema, by engine id (each defined in its engine's module, src/engines/<id>.ts). */
export const ENGINE_OPTIONS_SCHEMAS = {
  transformers: transformersOptionsSchema,
  vllm: vllmOptionsSchema,
  tensorrt: tensorrtOptionsSchema,
} as const;
