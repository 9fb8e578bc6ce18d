import type { EngineId } from "./engine_id.ts";
import type { EngineDefinition } from "./engine_definition.ts";
import { tensorrt } from "./tensorrt.ts";
import { transformers } from "./transformers.ts";
import { vllm } from "./vllm.ts";

/** Every engine, by id: the same id as `engine:`, `engines/<id>/` and `src/engines/<id>.ts`. */
export const ENGINES: Readonly<Record<EngineId, EngineDefinition>> = { transformers, vllm, tensorrt };

/** The harness version this host ships (engines/harness.py's HARNESS_VERSION; a test keeps them equal). */
export const HARNESS_VERSION = "0.1.0";
