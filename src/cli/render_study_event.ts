import type { StudyEvent } from "../study/study_events.ts";
import { formatDuration } from "./format_duration.ts";

/** What the progress display remembers between events. */
export interface ProgressState {
  startedMs: number;
  totalRuns: number;
  done: number;
  failed: number;
  energyJ: number;
  /** Seconds each finished run took, for the ETA. */
  runSeconds: number[];
  runStartedMs: number | null;
  current: string;
  phase: string;
}

/** A fresh display state. */
export function newProgressState(nowMs: number): ProgressState {
  return {
    startedMs: nowMs,
    totalRuns: 0,
    done: 0,
    failed: 0,
    energyJ: 0,
    runSeconds: [],
    runStartedMs: null,
    current: "",
    phase: "",
  };
}

const joules = (j: number | null) =>
  j === null
    ? "-"
    : j >= 1e6
    ? `${(j / 1e6).toFixed(2)} MJ`
    : j >= 1e3
    ? `${(j / 1e3).toFixed(2)} kJ`
    : `${j.toFixed(1)} J`;

/** Remaining time from the median run so far, or null before the first run ends. */
export function estimateRemainingSeconds(state: ProgressState): number | null {
  if (state.runSeconds.length === 0) return null;
  const sorted = [...state.runSeconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return median * Math.max(0, state.totalRuns - state.done - state.failed);
}

/**
 * Update the state with an event and return the lines it prints: one plain line per event (good in Slurm
 * logs); a terminal adds the status line from statusLine() below them.
 */
export function renderStudyEvent(state: ProgressState, event: StudyEvent, nowMs: number): string[] {
  switch (event.type) {
    case "study_started":
      state.totalRuns = event.totalRuns;
      state.done = event.alreadyCompleted;
      return [
        `${event.resumed ? "resuming" : "starting"} study ${event.studyName}: ${event.totalRuns} runs` +
        (event.alreadyCompleted ? ` (${event.alreadyCompleted} already completed)` : "") +
        ` on ${event.gpus.length} GPU(s)`,
        `results: ${event.studyDir}`,
        ...(event.picked ? [`picked: ${event.picked}`] : []),
      ];
    case "lock_wait":
      return [
        `waiting for GPU ${event.uuid}: it is being measured by ${event.holder} (--no-wait to fail instead)`,
      ];
    case "phase":
      state.phase = `${event.phase}${event.detail ? ` (${event.detail})` : ""}`;
      return event.phase === "baseline" || event.phase === "starting" || event.phase === "loading"
        ? [`  ${state.phase}`]
        : [];
    case "run_started":
      state.runStartedMs = nowMs;
      state.current = `[${event.run}/${event.totalRuns}] ${event.model} ${event.engine} cycle ${event.cycle}`;
      return [`${state.current}: ${event.dir}`];
    case "run_completed": {
      state.done += 1;
      state.current = "";
      if (event.energyJ !== null) state.energyJ += event.energyJ;
      if (state.runStartedMs !== null) state.runSeconds.push((nowMs - state.runStartedMs) / 1000);
      const rate = event.tokensPerSecond === null ? "-" : `${event.tokensPerSecond.toFixed(1)} tok/s`;
      // Labelled as the summary's columns: "mJ/tok" is the total, "mJ/tok adj" the baseline-adjusted figure.
      const perToken = (event.mjPerTokenTotal === null ? "-" : `${event.mjPerTokenTotal.toFixed(2)} mJ/tok`) +
        (event.mjPerTokenAdjusted === null ? "" : `, ${event.mjPerTokenAdjusted.toFixed(2)} mJ/tok adj`);
      return [
        `  done: ${joules(event.energyJ)}, ${event.outputTokens} tokens in ${
          event.windowSeconds.toFixed(2)
        } s, ` +
        `${rate}, ${perToken}${event.warnings ? `, ${event.warnings} warning(s)` : ""}`,
      ];
    }
    case "run_failed":
      state.failed += 1;
      state.current = "";
      if (state.runStartedMs !== null) state.runSeconds.push((nowMs - state.runStartedMs) / 1000);
      return [
        `  failed: ${event.errorType}: ${event.message}${event.logFile ? ` (log: ${event.logFile})` : ""}`,
      ];
    case "warning":
      return [`  warning: ${event.message}`];
    case "study_finished":
      return [
        `study ${event.status}: ${event.completed} completed, ${event.failed} failed, ${event.pending} pending; ` +
        `${joules(event.totalEnergyJ)} measured in ${formatDuration(event.wallSeconds)}`,
      ];
  }
}

/**
 * The live line a terminal shows under the event lines (which hold the last results): progress, the
 * current run and its phase, elapsed time, energy so far, ETA.
 */
export function statusLine(state: ProgressState, nowMs: number, width: number): string {
  const finished = state.done + state.failed;
  const eta = estimateRemainingSeconds(state);
  const text = `${finished}/${state.totalRuns} runs done | ${state.current ? `${state.current} | ` : ""}` +
    `${state.phase || "starting"} | ` +
    `elapsed ${formatDuration((nowMs - state.startedMs) / 1000)} | ${joules(state.energyJ)}` +
    (eta === null ? "" : ` | ETA ${formatDuration(eta)}`);
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + "…" : text;
}
