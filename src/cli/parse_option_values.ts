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
