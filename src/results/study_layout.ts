import { createHash } from "node:crypto";
import { basename, isAbsolute, relative, resolve } from "node:path";

/** The study-level checkpoint and summary, at the top of a study directory. */
export const MANIFEST_FILE = "manifest.json";
/** The runs' changes since manifest.json was last rewritten, one JSON line each (see ManifestStore). */
export const MANIFEST_JOURNAL_FILE = "manifest.journal.jsonl";
/** One run's scientific record (schema 4.0). */
export const RESULT_FILE = "result.json";
/** One run's fully resolved experiment config. */
export const EFFECTIVE_CONFIG_FILE = "effective_config.json";
/** One run's GPU samples. */
export const TIMESERIES_FILE = "timeseries.parquet";
/** One run's CPU and DRAM energy readings (Linux RAPL), where the host's counters are readable. */
export const CPU_TIMESERIES_FILE = "cpu_timeseries.parquet";
/** One run's per-request records. */
export const REQUESTS_FILE = "requests.parquet";
/** Study-wide files: equivalence groups, baseline cache snapshots, logs. */
export const STUDY_ARTEFACTS_DIR = "_study-artefacts";
/** The study's lock: held by the one llem that runs the study (see study_lock.ts). */
export const STUDY_LOCK_FILE = ".llem.lock";
/**
 * A sharded study (one study split over several llem processes, e.g. a Slurm array): each shard writes
 * its own part of the manifest, `manifest.shard-I-of-N.json` with its journal, under its own lock; the
 * parts are joined under this lock, and manifest.json holds their union.
 */
export const SHARDS_LOCK_FILE = ".llem.shards.lock";
/** A part's file name: its manifest part, e.g. manifest.shard-0-of-4.json; the groups are I and N. */
export const SHARD_PART_FILE = /^manifest\.shard-(\d+)-of-(\d+)\.json$/;

/** The name of shard `index` of `count`'s part, e.g. "shard-0-of-4" (null: the whole study's). */
export function shardPartName(shard: { index: number; count: number }): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

/** The files of a study's manifest, or of one shard's part of it, and its lock. */
export function manifestFilesOf(part: string | null): { manifest: string; journal: string; lock: string } {
  if (part === null) {
    return { manifest: MANIFEST_FILE, journal: MANIFEST_JOURNAL_FILE, lock: STUDY_LOCK_FILE };
  }
  return {
    manifest: `manifest.${part}.json`,
    journal: `manifest.${part}.journal.jsonl`,
    lock: `.llem.${part}.lock`,
  };
}

/** Where partial or failed attempts of a run are moved, so a retry starts from an empty run directory. */
export const FAILED_RUNS_DIR = "failed-runs";

/** Longest name sanitizeName() returns, in characters. */
export const MAX_NAME_LENGTH = 64;

/**
 * A name that is safe as one path segment: path separators become "--" (the Hugging Face cache's own
 * convention, so "meta-llama/Llama-3.1-8B" becomes "meta-llama--Llama-3.1-8B" and the organisation is
 * kept), accents are dropped, every other character outside [A-Za-z0-9._-] becomes "-", runs of dots collapse to one (never ".."),
 * leading and trailing dots and dashes go (no hidden files, nothing that reads as an option). Never empty
 * ("unnamed"); longer than MAX_NAME_LENGTH, it is cut and ends in 8 hex of the SHA-256 of the input, so
 * two long names that share a prefix stay distinct.
 */
export function sanitizeName(name: string): string {
  const cleaned = name
    .normalize("NFKD").replace(/[\u0300-\u036f]/g, "") // "é" -> "e", not "-"
    .replace(/[/\\]+/g, "--")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[.-]+|[.-]+$/g, "");
  if (cleaned === "") return "unnamed";
  if (cleaned.length <= MAX_NAME_LENGTH) return cleaned;
  const digest = createHash("sha256").update(name).digest("hex").slice(0, 8);
  const head = cleaned.slice(0, MAX_NAME_LENGTH - digest.length - 1).replace(/[.-]+$/, "");
  return `${head}-${digest}`;
}

/** `2026-05-07T14-32-08`: ISO 8601 in UTC to the second, with dashes where colons would be. */
export function utcStamp(date: Date): string {
  return date.toISOString().slice(0, 19).replaceAll(":", "-");
}

/** A study's directory name: `<study>_<UTC YYYY-MM-DDTHH-MM-SS>` (schema 4.0's layout), e.g. `my-study_2026-05-07T14-32-08`. */
export function studyDirName(studyName: string, date: Date): string {
  return `${sanitizeName(studyName)}_${utcStamp(date)}`;
}

/**
 * Matches a name studyDirName() made, with the `-2`, `-3`... claimStudyDir() adds when two studies of one
 * name start in the same second; group 1 is the sanitised study name, group 2 the stamp.
 */
export const STUDY_DIR_PATTERN = /^(.+)_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})(?:-\d+)?$/;

/** What names a run's directory. */
export interface RunDirFields {
  /** 1-based position in execution order. */
  index: number;
  /** 0-based cycle. */
  cycle: number;
  model: string;
  engine: string;
  /** measurement_config_hash (16 hex). */
  hash: string;
}

/**
 * A run's directory name: `NNN_c<cycle>_<model>-<engine>_<hash>` (schema 4.0's layout), the index zero-padded to
 * three digits (wider past 999), e.g. `001_c0_Qwen--Qwen2.5-0.5B-vllm_0123456789abcdef`. A model given as
 * a local folder (absolute, or starting with ./ or ../) is named by its last component: the hash already
 * tells runs apart, and `/scratch/u/models/qwen-0.5b` would otherwise fill the name with its path.
 */
export function runDirName(fields: RunDirFields): string {
  if (!Number.isSafeInteger(fields.index) || fields.index < 1) {
    throw new RangeError(`Cannot name a run directory: index ${fields.index} is not a positive integer`);
  }
  if (!Number.isSafeInteger(fields.cycle) || fields.cycle < 0) {
    throw new RangeError(`Cannot name a run directory: cycle ${fields.cycle} is not a non-negative integer`);
  }
  const index = String(fields.index).padStart(3, "0");
  const model = isAbsolute(fields.model) || /^\.\.?\//.test(fields.model)
    ? basename(fields.model.replace(/\/+$/, "")) || fields.model
    : fields.model;
  return `${index}_c${fields.cycle}_${sanitizeName(model)}-${sanitizeName(fields.engine)}_${
    sanitizeName(fields.hash)
  }`;
}

/**
 * `root` joined with `relativePath`, or an error when the result would lie outside `root` (a "..", an
 * absolute path): the guard between names that come from configs and the file system. Lexical only:
 * symbolic links inside `root` are not followed.
 */
export function resolveInside(root: string, relativePath: string): string {
  const base = resolve(root);
  const target = resolve(base, relativePath);
  const fromBase = relative(base, target);
  if (
    relativePath.includes("\0") || fromBase === ".." || fromBase.startsWith("../") ||
    fromBase.startsWith("..\\") || isAbsolute(fromBase)
  ) {
    throw new Error(`Cannot use path "${relativePath}": it resolves outside the output directory "${base}"`);
  }
  return target;
}
