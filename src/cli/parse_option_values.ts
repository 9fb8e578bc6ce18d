import { type ExecutionConfig, executionSchema } from "../config/execution_config.ts";
import { defOf, schemaAtPath, unwrapSchema } from "../config/schema_at_path.ts";
import { zodProblems } from "../config/zod_problems.ts";
import { UsageError } from "../errors/usage_error.ts";

/** A positive number from an option's text, or the default when absent; bad text is a usage error. */
export function parsePositiveNumber(flag: string, text: unknown, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag} expects a positive number, found ${JSON.stringify(text)}`);
  }
  return value;
}

/** `--gpus 0,2,GPU-ab12`: indices as numbers, anything else as UUID text; undefined when absent. */
export function parseGpuList(text: string | undefined): (number | string)[] | undefined {
  if (text === undefined) return undefined;
  const tokens = text.split(",").map((t) => t.trim()).filter((t) => t !== "");
  if (tokens.length === 0) throw new UsageError("--gpus is empty", "give indices or UUIDs, e.g. --gpus 0,1");
  return tokens.map((t) => (/^\d+$/.test(t) ? Number(t) : t));
}

/**
 * An option that sets an execution key (`--cycles` sets execution.n_cycles), held to that key's schema, so
 * the flag takes exactly what the config file would: for an integer, decimal digits within its bounds.
 */
export function parseExecutionOption<K extends keyof ExecutionConfig>(
  text: unknown,
  options: { flag: string; key: K },
): ExecutionConfig[K] {
  const { flag, key } = options;
  const field = schemaAtPath(executionSchema, [key])!;
  const name = `${flag} (execution.${key})`;
  const hint = `${flag} sets execution.${key}: ${field.description}`;
  const numeric = defOf(unwrapSchema(field)).type === "number";
  // Number() would also take "0x10", "1e9", " 5" and "3.0": none is how a count is written.
  if (numeric && (typeof text !== "string" || !/^[0-9]+$/.test(text))) {
    throw new UsageError(
      `${name}: expected a whole number in decimal digits, found ${JSON.stringify(text)}`,
      hint,
    );
  }
  const parsed = field.safeParse(numeric ? Number(text) : text, { reportInput: true });
  if (parsed.success) return parsed.data as ExecutionConfig[K];
  const [problem] = zodProblems(parsed.error.issues, { schema: field, contributions: [] });
  throw new UsageError(`${name}: ${problem!.message}`, problem!.hint ?? hint);
}
