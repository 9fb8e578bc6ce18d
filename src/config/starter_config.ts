import { stringify } from "yaml";
import type { z } from "zod";
import { ENGINE_IDS, type EngineId } from "../engines/engine_id.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { executionSchema } from "./execution_config.ts";
import { experimentSchema } from "./experiment_config.ts";
import { defOf, objectKeys, unwrapSchema } from "./schema_at_path.ts";

/** What `llem init` should write. */
export interface StarterOptions {
  model: string;
  engine: EngineId;
  /** A study with a sweep and execution settings, rather than one experiment. */
  study: boolean;
}

/**
 * A commented starter config: every key with its description and default, generated from the same
 * schema that validates it, so the two cannot drift. `llem plan` accepts it as is.
 */
export function starterConfig(options: StarterOptions): string {
  const lines: string[] = [];
  if (options.study) {
    lines.push("# llem study: shared experiment fields, a sweep over some of them, and how to execute it.");
    lines.push("# Preview it with: llem plan <this file>    Schema: llem schema study");
    lines.push("");
    lines.push("# study name, used in the results folder name");
    lines.push(`name: ${scalar(`${options.engine}-sweep`)}`);
  } else {
    lines.push("# llem experiment: one model, one engine, one workload, and how to measure it.");
    lines.push("# Preview it with: llem plan <this file>    Schema: llem schema experiment");
  }
  lines.push("# Values shown are the defaults; delete any line to keep its default.");
  lines.push("");
  const overrides: Record<string, unknown> = { model: options.model, engine: options.engine };
  const shape = experimentShape();
  for (const [key, field] of Object.entries(shape)) {
    if ((ENGINE_IDS as readonly string[]).includes(key) && key !== options.engine) continue;
    emitField(lines, key, field, overrides[key], "");
  }
  if (options.study) {
    lines.push("# Lists of values are axes, crossed with each other. Lists of mappings are groups of");
    lines.push("# alternatives ({} = keep the shared value). Keys starting with an engine id apply to that");
    lines.push("# engine only. Ranges: {min, max, num}, {log: {min, max, num}}, {pow2: {min, max}}.");
    lines.push("sweep:");
    const sweep = ENGINES[options.engine].starterSweep;
    lines.push(`  generation.batch_size: [${sweep.batchSizes.join(", ")}]`);
    lines.push("  generation.max_new_tokens: {pow2: {min: 64, max: 256}}");
    lines.push(...sweep.lines);
    lines.push("");
    lines.push("# how the study runs");
    emitObject(lines, "execution", executionSchema, "", { n_cycles: 3, order: "interleave" });
  }
  return lines.join("\n") + "\n";
}

function experimentShape(): Record<string, z.ZodType> {
  return (defOf(experimentSchema).shape ?? {}) as Record<string, z.ZodType>;
}

function emitField(lines: string[], key: string, field: z.ZodType, override: unknown, indent: string): void {
  const description = describe(field);
  if (objectKeys(field)) {
    lines.push(`${indent}# ${description}`);
    emitObject(lines, key, field, indent, {});
    if (indent === "") lines.push("");
    return;
  }
  lines.push(`${indent}# ${description}`);
  const value = override !== undefined ? override : defaultOf(field);
  lines.push(`${indent}${key}: ${scalar(value === undefined ? null : value)}`);
}

function emitObject(
  lines: string[],
  key: string,
  schema: z.ZodType,
  indent: string,
  overrides: Record<string, unknown>,
): void {
  lines.push(`${indent}${key}:`);
  const shape = defOf(unwrapSchema(schema)).shape ?? {};
  for (const [child, field] of Object.entries(shape)) {
    emitField(lines, child, field as z.ZodType, overrides[child], `${indent}  `);
  }
}

function describe(field: z.ZodType): string {
  const text = field.description ?? "";
  const inner = defOf(unwrapSchema(field));
  if (inner.type === "enum" && inner.entries) {
    const choices = Object.values(inner.entries).join(" | ");
    return text.includes(choices) ? text : `${text} (${choices})`;
  }
  return text;
}

function defaultOf(field: z.ZodType): unknown {
  let current: z.ZodType | undefined = field;
  while (current) {
    const def = defOf(current);
    if (def.type === "default") {
      const value = def.defaultValue;
      return typeof value === "function" ? (value as () => unknown)() : value;
    }
    current = def.innerType;
  }
  return undefined;
}

function scalar(value: unknown): string {
  return stringify(value, { flowCollectionPadding: false, collectionStyle: "flow" }).trimEnd();
}
