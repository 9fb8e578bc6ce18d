import { LlemError } from "../errors/llem_error.ts";
import { resolve } from "node:path";
import { readParquetRows } from "../results/read_parquet.ts";

/** A dataset file that cannot give prompts: named, with the line or row and the fix. */
export class DatasetError extends LlemError {
  readonly kind = "bad_input";
}

/** Prompts from a dataset file, JSONL (one object per line) or Parquet, from its prompt field; relative to `baseDir`. */
export async function loadPrompts(
  dataset: { source: "jsonl" | "parquet"; path: string; prompt_field: string },
  baseDir: string,
): Promise<string[]> {
  const { source, path, prompt_field: field } = dataset;
  const file = resolve(baseDir, path);
  if (source === "jsonl") {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new DatasetError(
        `cannot read dataset ${file}: ${(error as Error).message}`,
        "check dataset.path",
      );
    }
    const prompts: string[] = [];
    text.split("\n").forEach((line, i) => {
      if (!line.trim()) return;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new DatasetError(`${file}:${i + 1}: not a JSON object`, "write one JSON object per line");
      }
      const value = (row as Record<string, unknown>)?.[field];
      if (typeof value !== "string") {
        throw new DatasetError(
          `${file}:${i + 1}: no string field "${field}"`,
          "set dataset.prompt_field to the field that holds the prompt",
        );
      }
      prompts.push(value);
    });
    return prompts;
  }
  const rows = await readParquetRows(file, { columns: [field] }).catch((error: Error) => {
    throw new DatasetError(
      `cannot read dataset ${file}: ${error.message}`,
      "check dataset.path and prompt_field",
    );
  });
  return rows.map((row, i) => {
    const value = row[field];
    if (typeof value !== "string") {
      throw new DatasetError(
        `${file}: row ${i + 1} has no string column "${field}"`,
        "set dataset.prompt_field",
      );
    }
    return value;
  });
}
