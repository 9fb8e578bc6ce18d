import { z } from "zod";

/** The manifest layout this llem writes and reads; a manifest with a higher number is refused. */
export const MANIFEST_VERSION = 1;

/**
 * A study's state: running (or killed while running: find_resumable_study tells them apart by pid),
 * completed (every run completed, failed or skipped), interrupted (Ctrl-C, SIGTERM), failed (llem itself
 * failed), stopped (the circuit breaker ended it after too many consecutive failures).
 */
export const STUDY_STATUSES = ["running", "completed", "interrupted", "failed", "stopped"] as const;

/** A study's state (see STUDY_STATUSES). */
export type StudyStatus = typeof STUDY_STATUSES[number];

/** A run's state; a resume turns every run that is not completed back into pending. */
export const RUN_STATUSES = ["pending", "running", "completed", "failed", "skipped"] as const;

/** A run's state (see RUN_STATUSES). */
export type RunStatus = typeof RUN_STATUSES[number];

const isoTime = z.iso.datetime({ offset: true });

/** A run directory's name: one safe path segment, so a manifest can never point outside its study. */
const runDir = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).refine((dir) => !dir.includes(".."), {
  message: 'must not contain ".."',
});

/** Why a run failed or was skipped. */
export const runErrorSchema = z.object({
  /** e.g. "TimeoutError", "EngineCrashed", "CircuitBreakerOpen". */
  type: z.string().min(1),
  message: z.string(),
  /** Last lines of the engine's output, when there was one. */
  log_tail: z.string().nullable(),
  /** The full log, relative to the study directory. */
  log_file: z.string().nullable(),
});

/** Why a run failed or was skipped. */
export type RunError = z.output<typeof runErrorSchema>;

/** One run of the plan: an experiment in one cycle. */
export const manifestRunSchema = z.object({
  /** 1-based position in execution order (the NNN of its directory). */
  index: z.int().min(1),
  /** 0-based cycle. */
  cycle: z.int().min(0),
  /** The plan's 1-based experiment id. */
  experiment: z.int().min(1),
  measurement_config_hash: z.string().regex(/^[0-9a-f]{16}$/),
  engine: z.string().min(1),
  model: z.string().min(1),
  /** The run's directory, relative to the study directory. */
  dir: runDir,
  status: z.enum(RUN_STATUSES),
  started_at: isoTime.nullable(),
  finished_at: isoTime.nullable(),
  /** Raw GPU energy of the measurement window, joules; null until completed or when not measurable. */
  total_energy_j: z.number().nullable(),
  /** The last attempt's failure; kept when a resume makes the run pending again. */
  error: runErrorSchema.nullable(),
  /** Attempts started, across resumes. */
  attempts: z.int().min(0),
});

/** One run of the plan, as the manifest records it. */
export type ManifestRun = z.output<typeof manifestRunSchema>;

/** Aggregate counters: schema 4.0's StudySummary plus pending and skipped counts. */
export const studySummarySchema = z.object({
  /** Runs planned (experiments × cycles). */
  total_experiments: z.int().min(0),
  completed: z.int().min(0),
  failed: z.int().min(0),
  skipped: z.int().min(0),
  pending: z.int().min(0),
  /** Seconds from start_time to end_time (or to the last change while running), pauses before resumes included. */
  total_wall_time_s: z.number().min(0),
  /** Sum of total_energy_j over completed runs, joules. */
  total_energy_j: z.number(),
  /** Distinct planned experiments (a sweep over environment fields such as gpus shares hashes). */
  unique_configurations: z.int().min(0).nullable(),
  warnings: z.array(z.string()),
});

/** Aggregate counters of a study. */
export type StudySummary = z.output<typeof studySummarySchema>;

/** One headline metric across the cycles of one config: null where n is too small. */
export const metricUncertaintySchema = z.object({
  n: z.int().min(0),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  ci95_low: z.number().nullable(),
  ci95_high: z.number().nullable(),
});

/** One headline metric across the cycles of one experiment. */
export type MetricUncertainty = z.output<typeof metricUncertaintySchema>;

/** Per planned experiment (uncertaintyKey()), per headline metric (e.g. "mj_per_tok_adjusted"). */
export const uncertaintySchema = z.record(z.string(), z.record(z.string(), metricUncertaintySchema));

/** manifest.json: the study-level checkpoint (schema 4.0's layout); runs' later changes in its journal. */
export const manifestSchema = z.object({
  manifest_version: z.int().min(1).max(MANIFEST_VERSION, {
    message:
      `this manifest was written by a newer llem (this one reads manifest_version ${MANIFEST_VERSION})`,
  }),
  llem_version: z.string().nullable(),
  study_name: z.string().nullable(),
  study_design_hash: z.string().nullable(),
  /** The study config the run was started from, as given on the command line. */
  config_file: z.string().nullable(),
  status: z.enum(STUDY_STATUSES),
  start_time: isoTime,
  /** Set when the study stops for any reason; cleared by a resume. */
  end_time: isoTime.nullable(),
  /** When each resume began. */
  resumes: z.array(isoTime),
  /** The llem process that last ran the study, and its machine: a resume refuses a study that is still live. */
  pid: z.int().min(1).nullable(),
  hostname: z.string().nullable(),
  /** What was simulated (`llem demo`: a simulated GPU and engine); absent for a study measured on GPUs. */
  simulated: z.string().min(1).optional(),
  /**
   * The last change of manifest.journal.jsonl this file includes: readers apply the journal's later lines
   * (each a run's entry) on top of it. Absent when there never was a journal.
   */
  journal_seq: z.int().min(0).optional(),
  /**
   * A sharded study (split over several llem processes): in manifest.json, how many shards; its runs and
   * statuses are the union of the shards' parts (manifest.shard-I-of-N.json), which readers join.
   */
  shards: z.int().min(1).optional(),
  /** In a shard's part: which shard of how many (0-based index). Its runs are that shard's alone. */
  shard: z.object({ index: z.int().min(0), count: z.int().min(1) }).optional(),
  experiments: z.array(manifestRunSchema).superRefine((runs, context) => {
    const seen = new Set<number>();
    for (const [position, run] of runs.entries()) {
      if (seen.has(run.index)) {
        context.addIssue({
          code: "custom",
          path: [position, "index"],
          message: `run index ${run.index} repeats`,
        });
      }
      seen.add(run.index);
    }
  }),
  summary: studySummarySchema,
  uncertainty: uncertaintySchema,
});

/**
 * The key of an experiment's statistics in the manifest's `uncertainty`: its 1-based id in the plan
 * (`experiment` of its runs; _study-artefacts/equivalence_groups.json maps it to its points), as text.
 */
export function uncertaintyKey(experiment: number): string {
  return String(experiment);
}

/** The content of manifest.json. */
export type Manifest = z.output<typeof manifestSchema>;
