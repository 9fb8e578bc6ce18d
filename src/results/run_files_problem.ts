import { z } from "zod";
import type { ManifestRun } from "./manifest_schema.ts";
import { experimentResultSchema } from "./result_schema.ts";
import { EFFECTIVE_CONFIG_FILE, REQUESTS_FILE, resolveInside, RESULT_FILE } from "./study_layout.ts";

/** Parquet's magic number, at the start and at the end of every complete file. */
const PARQUET_MAGIC = "PAR1";

/**
 * What is wrong with a completed run's files, or null when they are whole: result.json valid under
 * schema 4.0 and of this run (its experiment id, config hash and cycle), effective_config.json valid
 * JSON, and requests.parquet and the timeseries it names complete Parquet files (magic number at both
 * ends, a footer that fits). A resume runs again a completed run whose files are not whole.
 */
export function runFilesProblem(studyDir: string, run: ManifestRun): string | null {
  const dir = resolveInside(studyDir, run.dir);
  const result = readJson(`${dir}/${RESULT_FILE}`);
  if (typeof result === "string") return result;
  const parsed = experimentResultSchema.safeParse(result.value);
  if (!parsed.success) {
    return `its ${RESULT_FILE} is not a valid result: ${z.prettifyError(parsed.error).split("\n")[0]}`;
  }
  const { experiment_id, measurement_config_hash, cycle, timeseries } = parsed.data;
  if (experiment_id !== run.dir || measurement_config_hash !== run.measurement_config_hash) {
    return `its ${RESULT_FILE} is of ${experiment_id} (config ${measurement_config_hash}), not of this run`;
  }
  if (cycle !== undefined && cycle !== run.cycle) {
    return `its ${RESULT_FILE} is of cycle ${cycle}, not ${run.cycle}`;
  }
  const config = readJson(`${dir}/${EFFECTIVE_CONFIG_FILE}`);
  if (typeof config === "string") return config;
  for (const name of [REQUESTS_FILE, ...(timeseries === null ? [] : [timeseries])]) {
    const problem = parquetProblem(resolveInside(dir, name), name);
    if (problem) return problem;
  }
  return null;
}

/** A JSON file's content, or what is wrong with it. */
function readJson(path: string): { value: unknown } | string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return `it has no ${name}`;
    return `its ${name} cannot be read: ${(error as Error).message}`;
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return `its ${name} is not valid JSON`;
  }
}

/** What is wrong with a Parquet file's frame (a truncated or overwritten file), or null. */
function parquetProblem(path: string, name: string): string | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return `it has no ${name}`;
    return `its ${name} cannot be read: ${(error as Error).message}`;
  }
  try {
    const size = file.statSync().size;
    const head = readAt(file, { offset: 0, length: 4 });
    const tail = readAt(file, { offset: Math.max(0, size - 8), length: 8 });
    const footerLength = new DataView(tail.buffer).getUint32(0, true);
    const text = new TextDecoder();
    const whole = size >= 12 && text.decode(head) === PARQUET_MAGIC &&
      text.decode(tail.subarray(4)) === PARQUET_MAGIC && footerLength <= size - 12;
    return whole ? null : `its ${name} is not a complete Parquet file (${size} bytes)`;
  } finally {
    file.close();
  }
}

function readAt(file: Deno.FsFile, at: { offset: number; length: number }): Uint8Array {
  const buffer = new Uint8Array(at.length);
  file.seekSync(at.offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < at.length) {
    const read = file.readSync(buffer.subarray(filled));
    if (read === null || read === 0) break;
    filled += read;
  }
  return buffer;
}

/** The runs a resume does again: every run not completed, and every completed one whose files are not whole. */
export function runsLeft(studyDir: string, runs: readonly ManifestRun[]): ManifestRun[] {
  return runs.filter((run) => run.status !== "completed" || runFilesProblem(studyDir, run) !== null);
}
