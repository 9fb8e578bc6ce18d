import type { EngineDefinition } from "./engine_definition.ts";

/** vLLM's offline engine (`vllm.LLM`). */
export const vllm: EngineDefinition = {
  id: "vllm",
  displayName: "vLLM",
  defaultImage: "vllm/vllm-openai:v0.9.2",
  pythonPackage: "vllm",
  engineOptions: (config) => ({ ...(config.vllm ?? {}) }),
};
