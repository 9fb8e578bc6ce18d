import { z } from "zod";
import { LlemError } from "../errors/llem_error.ts";
import type { PlannedRun } from "../config/build_plan.ts";
import {
  type Manifest,
  MANIFEST_VERSION,
  type ManifestRun,
  manifestRunSchema,
  manifestSchema,
  type RunError,
  type RunStatus,
  type StudyStatus,
} from "./manifest_schema.ts";
import {
  FAILED_RUNS_DIR,
  manifestFilesOf,
  resolveInside,
  runDirName,
  SHARD_PART_FILE,
  shardPartName,
  utcStamp,
} from "./study_layout.ts";
import { type ManifestPart, unionManifest } from "./shard_union.ts";
import { isStudyLocked } from "./study_lock.ts";
import { runFilesProblem } from "./run_files_problem.ts";
import { summariseManifest as summarise } from "./summarise_manifest.ts";
import { isFile } from "./is_file.ts";
import { syncDirectory, writeJsonAtomic, writeSynced } from "./write_atomic.ts";

/** What the manifest needs of a planned run. */
export type ManifestRunPlan = Pick<
  PlannedRun,
  "index" | "cycle" | "experiment" | "measurement_config_hash" | "engine" | "model"
>;

/** Identity of a new study. */
export interface NewStudy {
  studyName: string | null;
  studyDesignHash: string | null;
  configFile: string | null;
  llemVersion: string | null;
  runs: readonly ManifestRunPlan[];
  /** What is simulated, for a study `llem demo` runs; absent otherwise. */
  simulated?: string | null;
  /** manifest.json of a sharded study: how many shards write its parts. */
  shards?: number;
  /** A shard's part: which shard (its runs are that shard's alone). */
  shard?: { index: number; count: number };
}

/** Injected clock and process identity, for tests. */
export interface ManifestStoreOptions {
  /** Defaults to the system clock. */
  now?: () => Date;
  /** The running llem's pid; defaults to Deno.pid. */
  pid?: number;
  /** The running llem's host; defaults to Deno.hostname(). */
  hostname?: string;
  /**
   * When manifest.json is rewritten whole: "bounded" (llem's), on study-level changes and once the
   * journal holds a quarter as many changes as the study has runs, so a run costs the same at any study
   * size; "every_change" rewrites it on every change (the old way, kept for the benchmark).
   */
  rewrite?: "bounded" | "every_change";
  /** A sharded study's part this store writes (shardPartName()), instead of manifest.json. */
  part?: string | null;
}

/** What a completed run contributes to the manifest. */
export interface RunCompletion {
  /** Raw GPU energy of the window, joules; null when it could not be measured. */
  totalEnergyJoules: number | null;
}

/** What prepareResume() changed on disk and in the manifest. */
export interface ResumePreparation {
  /** Indices of runs made pending again. */
  reset: number[];
  /** Run directories moved to failed-runs/, relative to the study directory. */
  movedAside: string[];
  /** Completed runs whose files were not whole (see runFilesProblem()), and what was wrong. */
  broken: { index: number; problem: string }[];
}

/**
 * A study directory whose manifest.json cannot be read, parsed or validated (bad input: exit 2); the
 * message names the directory or file and says which of these it is.
 */
export class ManifestUnreadable extends LlemError {
  readonly kind = "bad_input";
}

/** What is at a path, without following it further than stat does. */
function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
    throw new ManifestUnreadable(`cannot read "${path}": ${(error as Error).message}`, null, {
      cause: error,
    });
  }
}

const NOT_A_STUDY_HINT =
  "name a study directory llem wrote (results/<study>_<time>), or run without --resume";

/**
 * Read and validate `<studyDir>/manifest.json`. Throws ManifestUnreadable, naming the path, when the
 * directory is missing or a file, has no manifest, or its manifest is empty, not JSON or not a manifest.
 */
export function readManifest(studyDir: string): Manifest {
  const base = readManifestFile(studyDir, null);
  if (base.shards === undefined) return base;
  const parts: ManifestPart[] = shardParts(studyDir).map((name) => ({
    name,
    manifest: readManifestPart(studyDir, name),
  }));
  const union = unionManifest(base, parts);
  if ("problem" in union) {
    throw new ManifestUnreadable(
      `study "${studyDir}" is split into ${base.shards} shards, but ${union.problem}`,
      "each shard of a study must be run with the same --shard count into its directory: remove the " +
        "stray part (manifest.shard-*.json) if it was started by mistake, or start the study afresh",
    );
  }
  return union.manifest;
}

/**
 * A shard's part as read, its status as it is: a part that says running while no llem holds its lock was
 * left by a killed llem (kill -9, out of memory, a lost node) and is interrupted.
 */
export function readManifestPart(studyDir: string, part: string): Manifest {
  const manifest = readManifestFile(studyDir, part);
  if (manifest.status === "running" && !isStudyLocked(studyDir, part)) manifest.status = "interrupted";
  return manifest;
}

/** The parts of a sharded study present in its directory (shardPartName()s), in shard order. */
export function shardParts(studyDir: string): string[] {
  const shards: { index: number; count: number }[] = [];
  for (const entry of Deno.readDirSync(studyDir)) {
    const match = SHARD_PART_FILE.exec(entry.name);
    if (match) shards.push({ index: Number(match[1]), count: Number(match[2]) });
  }
  return shards.sort((a, b) => a.count - b.count || a.index - b.index).map(shardPartName);
}

/** One manifest file of a study: manifest.json (part null) or a shard's part, its journal applied. */
function readManifestFile(studyDir: string, part: string | null): Manifest {
  const files = manifestFilesOf(part);
  const dir = statOrNull(studyDir);
  if (!dir) throw new ManifestUnreadable(`study directory "${studyDir}" does not exist`, NOT_A_STUDY_HINT);
  if (!dir.isDirectory) {
    throw new ManifestUnreadable(`"${studyDir}" is a file, not a study directory`, NOT_A_STUDY_HINT);
  }
  const path = resolveInside(studyDir, files.manifest);
  if (!statOrNull(path)) {
    throw new ManifestUnreadable(
      part === null
        ? `"${studyDir}" has no manifest.json: it is not an llem study`
        : `"${studyDir}" has no ${files.manifest}: its ${part} has not started`,
      NOT_A_STUDY_HINT,
    );
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new ManifestUnreadable(`Manifest "${path}" cannot be read: ${(error as Error).message}`, null, {
      cause: error,
    });
  }
  return withJournal(studyDir, { manifest: parseManifest(path, text), journal: files.journal });
}

/**
 * `manifest` with the runs' changes journaled since it was written applied (each line a run's whole
 * entry, numbered). A line cut short by a kill, or one that is not a run's entry, ends the journal there.
 */
function withJournal(studyDir: string, read: { manifest: Manifest; journal: string }): Manifest {
  const { manifest } = read;
  let text: string;
  try {
    text = Deno.readTextFileSync(resolveInside(studyDir, read.journal));
  } catch {
    return manifest;
  }
  const after = manifest.journal_seq ?? 0;
  let last: z.output<typeof journalLineSchema> | null = null;
  for (const line of text.split("\n")) {
    const change = journalLine(line);
    if (change === null) break;
    if (change.seq <= after) continue;
    const position = runPosition(manifest.experiments, change.run.index);
    if (position < 0) break;
    manifest.experiments[position] = change.run;
    last = change;
  }
  if (last === null) return manifest;
  manifest.journal_seq = last.seq;
  const summary = summarise(manifest, manifest.summary.warnings, new Date());
  manifest.summary = { ...summary, total_wall_time_s: last.wall_time_s };
  return manifest;
}

/** Where run `index` is in `runs`: at index - 1, where llem stores it, else found by search; -1 if absent. */
function runPosition(runs: readonly ManifestRun[], index: number): number {
  return runs[index - 1]?.index === index ? index - 1 : runs.findIndex((run) => run.index === index);
}

/** One journaled change: its number, the run's whole entry, and the study's wall time then. */
const journalLineSchema = z.object({
  seq: z.int().min(1),
  run: manifestRunSchema,
  wall_time_s: z.number().min(0),
});

function journalLine(line: string): z.output<typeof journalLineSchema> | null {
  try {
    const parsed = journalLineSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A manifest's text, parsed and validated; ManifestUnreadable names the file and each problem. */
function parseManifest(path: string, text: string): Manifest {
  const damaged = "llem writes manifest.json atomically, so this file was damaged or written by something " +
    "else: restore it from a copy, or start the study afresh without --resume";
  if (text.trim() === "") throw new ManifestUnreadable(`Manifest "${path}" is empty`, damaged);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ManifestUnreadable(
      `Manifest "${path}" is not valid JSON: ${(error as Error).message}`,
      damaged,
      { cause: error },
    );
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    throw new ManifestUnreadable(
      `Manifest "${path}" is not a valid llem manifest:\n${z.prettifyError(parsed.error)}`,
      damaged,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * Move a run's directory to `failed-runs/<dir>-<UTC stamp>` (with `-2`, `-3`... when that exists), so a
 * retry starts from an empty directory and nothing of the failed attempt is lost: its logs stay for
 * diagnosis, and loaders never read failed-runs/. Returns the new path relative to the study directory,
 * or null when the run had no directory.
 */
export function moveRunAside(studyDir: string, dir: string, now: Date): string | null {
  const source = resolveInside(studyDir, dir);
  try {
    Deno.lstatSync(source);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  Deno.mkdirSync(resolveInside(studyDir, FAILED_RUNS_DIR), { recursive: true });
  const stem = `${FAILED_RUNS_DIR}/${dir}-${utcStamp(now)}`;
  for (let suffix = 1;; suffix++) {
    const target = suffix === 1 ? stem : `${stem}-${suffix}`;
    const destination = resolveInside(studyDir, target);
    try {
      Deno.lstatSync(destination);
      continue;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    Deno.renameSync(source, destination);
    return target;
  }
}

/**
 * The manifest of one study directory, owned by one llem process. manifest.json is always complete, valid
 * JSON, rewritten atomically; a run's change (running, completed, failed, skipped) is appended to
 * manifest.journal.jsonl (one line, synced) and manifest.json rewritten only on study-level changes and
 * once the journal holds a quarter as many changes as the study has runs. A change thus costs the same in
 * a study of 20 runs or of 10,000; readManifest() applies the journal, so every reader sees every change.
 */
export class ManifestStore {
  readonly studyDir: string;
  readonly path: string;
  readonly journalPath: string;
  #manifest: Manifest;
  readonly #now: () => Date;
  readonly #pid: number;
  readonly #hostname: string;
  readonly #rewrite: "bounded" | "every_change";
  /** The last change's number, and how many changes the journal holds beyond manifest.json. */
  #seq: number;
  #journaled = 0;

  private constructor(studyDir: string, manifest: Manifest, options: Required<ManifestStoreOptions>) {
    const files = manifestFilesOf(options.part);
    this.studyDir = studyDir;
    this.path = resolveInside(studyDir, files.manifest);
    this.journalPath = resolveInside(studyDir, files.journal);
    this.#manifest = manifest;
    this.#now = options.now;
    this.#pid = options.pid;
    this.#hostname = options.hostname;
    this.#rewrite = options.rewrite;
    this.#seq = manifest.journal_seq ?? 0;
    // A journal left by an earlier llem (its lines applied by readManifest()) goes at the next rewrite.
    this.#journaled = isFile(this.journalPath) ? 1 : 0;
  }

  /** Start a study: create its directory and a manifest with every planned run pending, status running. */
  static create(studyDir: string, study: NewStudy, options: ManifestStoreOptions = {}): ManifestStore {
    const resolved = withDefaults(options);
    const now = resolved.now();
    const state: Omit<Manifest, "summary"> = {
      manifest_version: MANIFEST_VERSION,
      llem_version: study.llemVersion,
      study_name: study.studyName,
      study_design_hash: study.studyDesignHash,
      config_file: study.configFile,
      status: "running",
      start_time: now.toISOString(),
      end_time: null,
      resumes: [],
      pid: resolved.pid,
      hostname: resolved.hostname,
      ...(study.simulated ? { simulated: study.simulated } : {}),
      ...(study.shards !== undefined ? { shards: study.shards } : {}),
      ...(study.shard !== undefined ? { shard: study.shard } : {}),
      experiments: study.runs.map((run) => ({
        index: run.index,
        cycle: run.cycle,
        experiment: run.experiment,
        measurement_config_hash: run.measurement_config_hash,
        engine: run.engine,
        model: run.model,
        dir: runDirName({
          index: run.index,
          cycle: run.cycle,
          model: run.model,
          engine: run.engine,
          hash: run.measurement_config_hash,
        }),
        status: "pending",
        started_at: null,
        finished_at: null,
        total_energy_j: null,
        error: null,
        attempts: 0,
      })),
      uncertainty: {},
    };
    const manifest: Manifest = { ...state, summary: summarise(state, [], now) };
    const store = new ManifestStore(studyDir, manifest, resolved);
    // Validate what is about to be written, so a bad plan fails here and not at the next resume.
    const parsed = manifestSchema.safeParse(manifest);
    if (!parsed.success) {
      throw new Error(`Cannot create "${store.path}":\n${z.prettifyError(parsed.error)}`);
    }
    Deno.mkdirSync(studyDir, { recursive: true });
    store.#save();
    return store;
  }

  /** Open an existing study's manifest (validated; see readManifest()) without changing it. */
  static load(studyDir: string, options: ManifestStoreOptions = {}): ManifestStore {
    const resolved = withDefaults(options);
    const manifest = resolved.part === null
      ? readManifest(studyDir)
      : readManifestFile(studyDir, resolved.part);
    return new ManifestStore(studyDir, manifest, resolved);
  }

  /** A copy of the current manifest. */
  get manifest(): Manifest {
    return structuredClone(this.#manifest);
  }

  /** A copy of one run's entry; throws when no run has that index. */
  run(index: number): ManifestRun {
    return structuredClone(this.#run(index));
  }

  /** Run `index` begins an attempt: running, started now, attempts + 1, previous error cleared. */
  markRunning(index: number): void {
    const run = this.#run(index);
    run.status = "running";
    run.started_at = this.#now().toISOString();
    run.finished_at = null;
    run.total_energy_j = null;
    run.error = null;
    run.attempts += 1;
    this.#saveRun(run);
  }

  /** Run `index` finished and its result files are written. */
  markCompleted(index: number, completion: RunCompletion): void {
    this.#finish(index, "completed", { total_energy_j: completion.totalEnergyJoules, error: null });
  }

  /** Run `index` failed. */
  markFailed(index: number, error: RunError): void {
    this.#finish(index, "failed", { error: { ...error } });
  }

  /** Run `index` will not run in this attempt of the study (circuit breaker, wall-clock limit), and why. */
  markSkipped(index: number, reason: RunError): void {
    this.#finish(index, "skipped", { error: { ...reason } });
  }

  /** Set the study's status; any status but running also sets end_time. */
  markStudy(status: StudyStatus): void {
    this.#manifest.status = status;
    this.#manifest.end_time = status === "running" ? null : this.#now().toISOString();
    this.#save();
  }

  /** Record a study-level warning (kept in summary.warnings, in order, without repeats). */
  addWarning(message: string): void {
    if (this.#manifest.summary.warnings.includes(message)) return;
    this.#manifest.summary.warnings.push(message);
    this.#save();
  }

  /** Replace the across-cycle statistics (computed by src/measure/cycle_statistics.ts). */
  setUncertainty(uncertainty: Manifest["uncertainty"]): void {
    this.#manifest.uncertainty = structuredClone(uncertainty);
    this.#save();
  }

  /** `${measurement_config_hash}:${cycle}` of every completed run: what a resume must not run again. */
  completedKeys(): Set<string> {
    return new Set(
      this.#manifest.experiments
        .filter((run) => run.status === "completed")
        .map((run) => `${run.measurement_config_hash}:${run.cycle}`),
    );
  }

  /**
   * Take the study over for a resume: every run that is not completed (running when llem was killed,
   * failed, skipped), and every completed run whose files are not whole (runFilesProblem(): a missing or
   * damaged result.json, a truncated Parquet file), becomes pending, and its
   * directory, if any, moves to failed-runs/ (moveRunAside(); a kept error's log_file follows it). The
   * study is running again, under this process's pid and host, with the resume's time appended to
   * `resumes`. Call it only while holding the study's lock (lockStudy()).
   */
  prepareResume(): ResumePreparation {
    const now = this.#now();
    const preparation: ResumePreparation = { reset: [], movedAside: [], broken: [] };
    for (const run of this.#manifest.experiments) {
      if (run.status === "pending") continue;
      if (run.status === "completed") {
        const problem = runFilesProblem(this.studyDir, run);
        if (problem === null) continue;
        this.#manifest.summary.warnings.push(
          `run ${run.dir} was completed, but ${problem}: it runs again (its files are kept in ${FAILED_RUNS_DIR}/)`,
        );
        preparation.broken.push({ index: run.index, problem });
      }
      const moved = moveRunAside(this.studyDir, run.dir, now);
      if (moved !== null) {
        preparation.movedAside.push(moved);
        // The kept error's log moved with its run directory.
        const log = run.error?.log_file;
        if (run.error && log?.startsWith(`${run.dir}/`)) {
          run.error.log_file = moved + log.slice(run.dir.length);
        }
      }
      run.status = "pending";
      run.started_at = null;
      run.finished_at = null;
      run.total_energy_j = null;
      preparation.reset.push(run.index);
    }
    this.#manifest.status = "running";
    this.#manifest.end_time = null;
    this.#manifest.resumes.push(now.toISOString());
    this.#manifest.pid = this.#pid;
    this.#manifest.hostname = this.#hostname;
    this.#save();
    return preparation;
  }

  #finish(index: number, status: RunStatus, fields: Partial<ManifestRun>): void {
    const run = this.#run(index);
    Object.assign(run, fields, { status, finished_at: this.#now().toISOString() });
    this.#saveRun(run);
  }

  /**
   * Record one run's change: a journal line (appended and synced), or the whole manifest when the journal
   * has grown to a quarter of the runs (so rewrites cost O(1) per change on average).
   */
  #saveRun(run: ManifestRun): void {
    const runs = this.#manifest.experiments.length;
    if (this.#rewrite === "every_change" || this.#journaled + 1 >= Math.max(16, runs / 4)) {
      this.#save();
      return;
    }
    this.#seq += 1;
    const wall = Math.max(0, (this.#now().getTime() - Date.parse(this.#manifest.start_time)) / 1000);
    const line = new TextEncoder().encode(`${JSON.stringify({ seq: this.#seq, run, wall_time_s: wall })}\n`);
    const created = this.#journaled === 0;
    writeSynced(Deno.openSync(this.journalPath, { append: true, create: true, mode: 0o644 }), line);
    // A new journal's name must survive a power loss as its lines do.
    if (created) syncDirectory(this.studyDir);
    this.#journaled += 1;
  }

  #run(index: number): ManifestRun {
    const run = this.#manifest.experiments[runPosition(this.#manifest.experiments, index)];
    if (!run) {
      throw new RangeError(
        `No run ${index} in "${this.path}": it has ${this.#manifest.experiments.length} run(s)`,
      );
    }
    return run;
  }

  /** Rewrite manifest.json whole (every change so far in it), then empty the journal. */
  #save(): void {
    this.#manifest.summary = summarise(this.#manifest, this.#manifest.summary.warnings, this.#now());
    if (this.#seq > 0) this.#manifest.journal_seq = this.#seq;
    writeJsonAtomic(this.path, this.#manifest);
    if (this.#journaled > 0) {
      // A kill before this leaves lines the manifest already holds: readers skip them by their number.
      try {
        Deno.removeSync(this.journalPath);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      this.#journaled = 0;
    }
  }
}

function withDefaults(options: ManifestStoreOptions): Required<ManifestStoreOptions> {
  return {
    now: options.now ?? (() => new Date()),
    pid: options.pid ?? Deno.pid,
    hostname: options.hostname ?? Deno.hostname(),
    rewrite: options.rewrite ?? "bounded",
    part: options.part ?? null,
  };
}
