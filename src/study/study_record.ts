import { join } from "node:path";
import type { StudyPlan } from "../config/build_plan.ts";
import type { Manifest, ManifestRun, RunError, StudyStatus } from "../results/manifest_schema.ts";
import { shardRuns } from "../config/assign_shards.ts";
import { UsageError } from "../errors/usage_error.ts";
import { isFile } from "../results/is_file.ts";
import { ManifestStore, readManifest } from "../results/manifest_store.ts";
import {
  MANIFEST_FILE,
  manifestFilesOf,
  shardPartName,
  STUDY_ARTEFACTS_DIR,
} from "../results/study_layout.ts";
import { TEMPORARY_SUFFIX, writeJsonAtomic } from "../results/write_atomic.ts";
import { makeDirectory } from "../results/write_error.ts";
import { uncertaintyAcrossCycles } from "./cycle_uncertainty.ts";
import type { StudyEvent } from "./study_events.ts";
import { checkStudyMatches, type ShardTarget, type StudyRequest } from "./study_request.ts";

/**
 * A study directory and its manifest, as one llem process runs it: the runs' states, warnings and the
 * final status. Updates made while a failure is handled never throw: when even the manifest cannot be
 * written (a full disk), the last complete manifest stays on disk and the update says so.
 */
export class StudyRecord {
  readonly dir: string;
  /** Runs an earlier attempt completed (a resume). */
  readonly alreadyCompleted: number;
  readonly #store: ManifestStore;
  readonly #onEvent: (event: StudyEvent) => void;

  private constructor(dir: string, store: ManifestStore, onEvent: (event: StudyEvent) => void) {
    this.dir = dir;
    this.#store = store;
    this.#onEvent = onEvent;
    this.alreadyCompleted = store.manifest.experiments.filter((r) => r.status === "completed").length;
  }

  /**
   * A new study directory (its manifest with every run pending, and _study-artefacts), or the resumed
   * one taken over: runs not completed become pending again and temporary files a kill left are removed.
   * A resumed study's manifest is read again here, once its GPUs are locked: another llem may have
   * finished runs of it while this one waited for the locks.
   */
  static open(
    request: Pick<StudyRequest, "plan" | "configPath" | "resume" | "llem" | "simulated">,
    io: { dir: string; onEvent: (event: StudyEvent) => void },
  ): StudyRecord {
    const { plan, resume } = request;
    if (resume) {
      const store = ManifestStore.load(resume.dir);
      for (const broken of store.prepareResume().broken) {
        io.onEvent({
          type: "warning",
          run: broken.index,
          message: `completed earlier, but ${broken.problem}: it runs again`,
        });
      }
      removeStaleTemporaryFiles(resume.dir);
      return new StudyRecord(resume.dir, store, io.onEvent);
    }
    const dir = io.dir;
    makeDirectory(dir);
    // The plan first: manifest.json marks a study whole, so a kill between them leaves no study without one.
    writeStudyArtefacts(dir, { plan, configPath: request.configPath });
    const store = ManifestStore.create(dir, {
      studyName: plan.study_name,
      studyDesignHash: plan.study_design_hash,
      configFile: request.configPath,
      llemVersion: request.llem.version,
      runs: plan.runs,
      simulated: request.simulated ?? null,
    });
    return new StudyRecord(dir, store, io.onEvent);
  }

  /**
   * Shard `shard` of the study in `dir` (hold withShardsLock() around this): the study's manifest.json
   * made with every planned run and the shard count when this is its first shard, else checked to be
   * this plan's (UsageError names what differs); then this shard's part, new or taken over as a resume
   * takes a study over; then manifest.json rewritten as the union of the parts.
   */
  static openShard(
    request: Pick<StudyRequest, "plan" | "configPath" | "llem"> & { shard: ShardTarget },
    io: { onEvent: (event: StudyEvent) => void },
  ): StudyRecord {
    const { plan } = request;
    const { dir, shard } = request.shard;
    const part = shardPartName(shard);
    makeDirectory(dir);
    const study = {
      studyName: plan.study_name,
      studyDesignHash: plan.study_design_hash,
      configFile: request.configPath,
      llemVersion: request.llem.version,
    };
    if (checkShardDirectory(plan, { dir, count: shard.count }) === "new") {
      // The plan first: manifest.json, written last, is what makes the directory a study.
      writeStudyArtefacts(dir, { plan, configPath: request.configPath });
      ManifestStore.create(dir, { ...study, runs: plan.runs, shards: shard.count });
    }
    const started = isFile(join(dir, manifestFilesOf(part).manifest));
    const store = started
      ? ManifestStore.load(dir, { part })
      : ManifestStore.create(dir, { ...study, runs: shardRuns(plan.runs, shard), shard }, { part });
    // A shard started before (a requeued task, a resume) takes its part over; its runs alone move aside.
    for (const broken of started ? store.prepareResume().broken : []) {
      io.onEvent({
        type: "warning",
        run: broken.index,
        message: `completed earlier, but ${broken.problem}: it runs again`,
      });
    }
    writeShardUnion(dir);
    return new StudyRecord(dir, store, io.onEvent);
  }

  /** A copy of the manifest as it stands. */
  get manifest(): Manifest {
    return this.#store.manifest;
  }

  /** The runs still to do, in execution order. */
  pendingRuns(): ManifestRun[] {
    return this.#store.manifest.experiments.filter((r) => r.status === "pending").sort((a, b) =>
      a.index - b.index
    );
  }

  /** Run `index` begins; false when the manifest could not be written (the study must stop). */
  runStarted(index: number): boolean {
    return this.#safely(() => this.#store.markRunning(index));
  }

  /** Run `index` completed with its files written; throws when the manifest cannot be written. */
  runCompleted(index: number, totalEnergyJoules: number | null): void {
    this.#store.markCompleted(index, { totalEnergyJoules });
  }

  /** Run `index` failed; false when the manifest could not be written. */
  runFailed(index: number, error: RunError): boolean {
    return this.#safely(() => this.#store.markFailed(index, error));
  }

  /** Run `index` will not run in this attempt (the wall-clock limit), and why; false when not written. */
  runSkipped(index: number, reason: RunError): boolean {
    return this.#safely(() => this.#store.markSkipped(index, reason));
  }

  /** A warning: told to the listener and kept in the manifest, prefixed by its run when it has one. */
  warn(run: number | null, message: string): void {
    this.#onEvent({ type: "warning", run, message });
    this.#safely(() => this.#store.addWarning(run === null ? message : `run ${run}: ${message}`));
  }

  /** End the study: statistics across cycles, then its status; returns the final manifest. */
  finish(status: StudyStatus): Manifest {
    try {
      this.#store.setUncertainty(uncertaintyAcrossCycles(this.dir, this.#store.manifest));
    } catch (error) {
      this.#safely(() =>
        this.#store.addWarning(`cross-cycle statistics were not computed: ${(error as Error).message}`)
      );
    }
    this.#safely(() => this.#store.markStudy(status));
    return this.#store.manifest;
  }

  #safely(update: () => void): boolean {
    try {
      update();
      return true;
    } catch (error) {
      this.#onEvent({
        type: "warning",
        run: null,
        message: `manifest.json could not be updated: ${(error as Error).message}`,
      });
      return false;
    }
  }
}

/** What a sharded study's directory may hold before its first shard: llem slurm's folder, lock files. */
const BEFORE_FIRST_SHARD = /^(_slurm|_study-artefacts|\.llem\..*\.lock)$/;

/**
 * Whether the shards of `plan`, split `count` ways, can run into `dir`, and how: "new" when no study is
 * there yet (missing, or holding only what llem puts there before the first shard), "joined" when it is
 * this plan's study split the same way (checkStudyMatches()). UsageError (exit 2) for anything else: a
 * folder holding other things, a file, a study of its own, another split.
 */
export function checkShardDirectory(
  plan: StudyPlan,
  target: { dir: string; count: number },
): "new" | "joined" {
  const { dir, count } = target;
  if (!isFile(join(dir, MANIFEST_FILE))) {
    const foreign = entriesOf(dir).filter((name) => !BEFORE_FIRST_SHARD.test(name));
    if (foreign.length > 0) {
      throw new UsageError(
        `${dir} is not an llem study and is not empty (${foreign.slice(0, 3).join(", ")}${
          foreign.length > 3 ? ", ..." : ""
        }): its shards will not make it one`,
        "name a new directory for the study (the first shard creates it), e.g. results/my-study",
      );
    }
    return "new";
  }
  const manifest = readManifest(dir);
  if (manifest.shards === undefined) {
    throw new UsageError(
      `${dir} is a study of its own, not one split into shards`,
      "name a new directory for the sharded study, or resume this one without --shard",
    );
  }
  if (manifest.shards !== count) {
    throw new UsageError(
      `${dir} is split into ${manifest.shards} shards, not ${count}`,
      `run its shards as --shard I/${manifest.shards} (llem slurm --array ${manifest.shards}), or use a new directory`,
    );
  }
  checkStudyMatches(plan, { dir, manifest });
  return "joined";
}

/** The names in a folder; none when it does not exist yet. */
function entriesOf(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((entry) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    if (error instanceof Deno.errors.NotADirectory) throw new UsageError(`${dir} is a file`, "name a folder");
    throw error;
  }
}

/** Rewrite a sharded study's manifest.json as the union of its parts (hold withShardsLock()). */
export function writeShardUnion(dir: string): void {
  writeJsonAtomic(join(dir, MANIFEST_FILE), readManifest(dir));
}

/** Temporary files and folders of writes cut short by a kill -9 (`.<name>.<pid>.<random>.tmp`), at any depth. */
function removeStaleTemporaryFiles(dir: string): void {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    const stale = entry.name.startsWith(".") && entry.name.endsWith(TEMPORARY_SUFFIX);
    if (stale) Deno.removeSync(path, { recursive: true });
    else if (entry.isDirectory) removeStaleTemporaryFiles(path);
  }
}

/** _study-artefacts: the study file, equivalence groups, skipped points and the plan, for the record. */
function writeStudyArtefacts(studyDir: string, study: { plan: StudyPlan; configPath: string }): void {
  const { plan, configPath } = study;
  const dir = join(studyDir, STUDY_ARTEFACTS_DIR);
  makeDirectory(dir);
  try {
    Deno.copyFileSync(configPath, join(dir, `study${configPath.endsWith(".json") ? ".json" : ".yaml"}`));
  } catch { /* the plan is recorded below either way */ }
  writeJsonAtomic(
    join(dir, "equivalence_groups.json"),
    plan.experiments.map((e) => ({
      experiment: e.id,
      measurement_config_hash: e.measurement_config_hash,
      members: e.members,
    })),
  );
  writeJsonAtomic(join(dir, "skipped_points.json"), plan.skipped);
  writeJsonAtomic(join(dir, "plan.json"), plan);
}
