import type { Manifest, ManifestRun, StudySummary } from "./manifest_schema.ts";

/** A manifest's summary: its runs counted by status, its wall time to `now` (or its end), its energy. */
export function summariseManifest(
  manifest: Omit<Manifest, "summary">,
  warnings: string[],
  now: Date,
): StudySummary {
  const runs = manifest.experiments;
  const count = (status: ManifestRun["status"]) => runs.filter((run) => run.status === status).length;
  const end = manifest.end_time === null ? now.getTime() : Date.parse(manifest.end_time);
  return {
    total_experiments: runs.length,
    completed: count("completed"),
    failed: count("failed"),
    skipped: count("skipped"),
    pending: count("pending"),
    total_wall_time_s: Math.max(0, (end - Date.parse(manifest.start_time)) / 1000),
    total_energy_j: runs.reduce(
      (sum, run) =>
        run.status === "completed" && run.total_energy_j !== null ? sum + run.total_energy_j : sum,
      0,
    ),
    unique_configurations: new Set(runs.map((run) => run.experiment)).size,
    warnings,
  };
}
