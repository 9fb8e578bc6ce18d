import type { StudyStatus } from "../results/manifest_schema.ts";

/** What a study is doing right now, for progress displays. */
export type StudyPhase =
  | "baseline"
  | "starting"
  | "loading"
  | "loaded_idle"
  | "warmup"
  | "gap"
  | "thermal_floor"
  | "measuring"
  | "writing";

/** Everything the study runner reports; the CLI renders these (a live view, lines, or JSON lines). */
export type StudyEvent =
  | {
    type: "study_started";
    studyDir: string;
    studyName: string;
    totalRuns: number;
    /** Runs already completed by an earlier attempt (resume). */
    alreadyCompleted: number;
    resumed: boolean;
    /** Why --resume without a directory picked this study (ResumeTarget.picked); null otherwise. */
    picked: string | null;
    gpus: string[];
  }
  | { type: "lock_wait"; uuid: string; holder: string }
  | { type: "phase"; phase: StudyPhase; run: number | null; detail: string }
  | {
    type: "run_started";
    run: number;
    totalRuns: number;
    dir: string;
    cycle: number;
    model: string;
    engine: string;
    session: number;
  }
  | {
    type: "run_completed";
    run: number;
    dir: string;
    energyJ: number | null;
    outputTokens: number;
    tokensPerSecond: number | null;
    /** `mj_per_tok_total`: millijoules per output token, no baseline subtracted. */
    mjPerTokenTotal: number | null;
    /** `mj_per_tok_adjusted`: millijoules per output token over the idle baseline; null without one. */
    mjPerTokenAdjusted: number | null;
    windowSeconds: number;
    warnings: number;
  }
  | {
    type: "run_failed";
    run: number;
    dir: string;
    errorType: string;
    message: string;
    logFile: string | null;
  }
  | { type: "warning"; run: number | null; message: string }
  | {
    type: "study_finished";
    status: StudyStatus;
    studyDir: string;
    completed: number;
    failed: number;
    pending: number;
    totalEnergyJ: number;
    wallSeconds: number;
  };
