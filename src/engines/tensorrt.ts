import type { EngineDefinition } from "./engine_definition.ts";

/** TensorRT-LLM's LLM API (PyTorch backend by default). */
export const tensorrt: EngineDefinition = {
  id: "tensorrt",
  displayName: "TensorRT-LLM",
  defaultImage: "nvcr.io/nvidia/tensorrt-llm/release:1.0.0",
  pythonPackage: "tensorrt_llm",
  engineOptions: (config) => ({ ...(config.tensorrt ?? {}) }),
};
