import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical_json.ts";
import { ENVIRONMENT_FIELDS, type ExperimentConfig } from "./experiment_config.ts";

/** The part of an experiment that defines what is measured: the config without environment fields. */
export function measurementView(config: ExperimentConfig): Record<string, unknown> {
  // Copy rather than delete: deleting properties slows every later access to the object.
  const view: Record<string, unknown> = {};
  for (const key in config) {
    if (!ENVIRONMENT_KEYS.has(key)) view[key] = config[key as keyof ExperimentConfig];
  }
  return view;
}

const ENVIRONMENT_KEYS: ReadonlySet<string> = new Set(ENVIRONMENT_FIELDS);

/** The environment fields of an experiment: where and how it runs. */
export function environmentView(config: ExperimentConfig): Record<string, unknown> {
  return Object.fromEntries(ENVIRONMENT_FIELDS.map((field) => [field, config[field]]));
}

/** First 16 hex digits of SHA-256 over the concatenated text parts. */
export function sha256Hex16(parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex").slice(0, 16);
}

/** `measurement_config_hash`: same on every machine for the same measurement, whatever runs it. */
export function measurementConfigHash(config: ExperimentConfig): string {
  return sha256Hex16([canonicalJson(measurementView(config))]);
}

/** `study_design_hash`: over the ordered list of unique experiments' measurement views. */
export function studyDesignHash(configs: readonly ExperimentConfig[]): string {
  return sha256Hex16([canonicalJson(configs.map(measurementView))]);
}
