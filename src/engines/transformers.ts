import type { EngineDefinition } from "./engine_definition.ts";

/** Hugging Face transformers: eager PyTorch generation, static batches. */
export const transformers: EngineDefinition = {
  id: "transformers",
  displayName: "Hugging Face transformers",
  defaultImage: "huggingface/transformers-pytorch-gpu:4.46.3",
  pythonPackage: "transformers",
  engineOptions: (config) => ({ ...(config.transformers ?? {}) }),
};
