import type { EngineId } from "../config/engine_id.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";

/** What llem knows about one engine: its id, default image, and how its options reach the harness. */
export interface EngineDefinition {
  id: EngineId;
  displayName: string;
  /** Pinned default container image (a tag, never "latest"). */
  defaultImage: string;
  /** Python package whose version the adapter reports. */
  pythonPackage: string;
  /** The `engine_options` of the harness's `configure` message for this experiment. */
  engineOptions(config: ExperimentConfig): Record<string, unknown>;
}
