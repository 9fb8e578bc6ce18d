import type { Manifest, ManifestRun, StudyStatus } from "./manifest_schema.ts";
import { shardPartName } from "./study_layout.ts";
import { summariseManifest } from "./summarise_manifest.ts";

/** One shard's part of a sharded study's manifest, as read (its journal applied). */
export interface ManifestPart {
  /** Its name, e.g. "shard-0-of-4". */
  name: string;
  manifest: Manifest;
}

/**
 * A sharded study's manifest as one: `base` (manifest.json: every planned run, and the shard count) with
 * each part's runs laid over it. Each part holds its own shard's runs alone, so a run in two parts, or a
 * part of another split, is a damaged study: its problem is returned instead. The status is the study's
 * as a whole: running while a shard runs, interrupted while runs are left and none runs (a shard not
 * started yet, or stopped: each is resumed with its --shard), else the worst of the parts' endings.
 * Statistics across cycles come from the parts: an experiment's cycles are all in one shard.
 */
export function unionManifest(
  base: Manifest,
  parts: readonly ManifestPart[],
): { manifest: Manifest } | { problem: string } {
  const experiments = base.experiments.map((run) => ({ ...run }));
  const positions = new Map(experiments.map((run, position) => [run.index, position]));
  const owner = new Map<number, string>();
  // A part is its file's shard, of the study's split (a part copied or renamed is neither).
  const stray = parts.find((part) => {
    const shard = part.manifest.shard;
    return shard === undefined || shard.count !== base.shards || shardPartName(shard) !== part.name;
  });
  if (stray) return { problem: `${stray.name} is not one of the study's ${base.shards} shards` };
  for (const part of parts) {
    for (const run of part.manifest.experiments) {
      const position = positions.get(run.index) ?? -1;
      if (position < 0) {
        return { problem: `${part.name} has run ${run.index}, which the study does not plan` };
      }
      const claimed = owner.get(run.index);
      if (claimed) return { problem: `run ${run.index} is claimed by both ${claimed} and ${part.name}` };
      owner.set(run.index, part.name);
      experiments[position] = run;
    }
  }
  const state: Omit<Manifest, "summary"> = {
    ...base,
    status: unionStatus(experiments, parts),
    start_time: earliest([base.start_time, ...parts.map((p) => p.manifest.start_time)]),
    end_time: unionEnd(experiments, parts),
    resumes: parts.flatMap((p) => p.manifest.resumes).sort(),
    pid: null,
    hostname: null,
    experiments,
    uncertainty: Object.assign({}, ...parts.map((p) => p.manifest.uncertainty)),
  };
  delete state.journal_seq;
  const warnings = parts.flatMap((p) => p.manifest.summary.warnings.map((w) => `${p.name}: ${w}`));
  // Unfinished, the study's wall time runs to now; finished, summariseManifest() takes its end_time.
  const now = new Date();
  return { manifest: { ...state, summary: summariseManifest(state, warnings, now) } };
}

/** Worse endings first: a failed shard makes the study failed, a stopped one stopped. */
const ENDINGS: StudyStatus[] = ["failed", "stopped", "interrupted", "completed"];

function unionStatus(runs: readonly ManifestRun[], parts: readonly ManifestPart[]): StudyStatus {
  if (parts.some((p) => p.manifest.status === "running")) return "running";
  if (runs.some((run) => run.status === "pending" || run.status === "running")) return "interrupted";
  return ENDINGS.find((ending) => parts.some((p) => p.manifest.status === ending)) ?? "completed";
}

/** The last part's end once every run is done and no shard runs; null while the study is unfinished. */
function unionEnd(runs: readonly ManifestRun[], parts: readonly ManifestPart[]): string | null {
  const unfinished = runs.some((run) => run.status === "pending" || run.status === "running");
  const ends = parts.map((p) => p.manifest.end_time);
  if (unfinished || parts.length === 0 || ends.some((end) => end === null)) return null;
  return new Date(Math.max(...ends.map((end) => Date.parse(end!)))).toISOString();
}

function earliest(times: readonly string[]): string {
  return new Date(Math.min(...times.map((time) => Date.parse(time)))).toISOString();
}
