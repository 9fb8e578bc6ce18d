import assert from "node:assert/strict";
import type { Manifest, ManifestRun, StudyStatus } from "./manifest_schema.ts";
import { type ManifestPart, unionManifest } from "./shard_union.ts";

function run(index: number, status: ManifestRun["status"] = "pending"): ManifestRun {
  return {
    index,
    cycle: 0,
    experiment: index,
    measurement_config_hash: "0123456789abcdef",
    engine: "transformers",
    model: "m",
    dir: `00${index}_c0_m-transformers_0123456789abcdef`,
    status,
    started_at: null,
    finished_at: null,
    total_energy_j: status === "completed" ? 10 : null,
    error: null,
    attempts: status === "pending" ? 0 : 1,
  };
}

function manifest(runs: ManifestRun[], extra: Partial<Manifest> = {}): Manifest {
  return {
    manifest_version: 1,
    llem_version: "0.1.0",
    study_name: "s",
    study_design_hash: "h",
    config_file: "s.yaml",
    status: "running",
    start_time: "2026-11-30T10:00:00.000Z",
    end_time: null,
    resumes: [],
    pid: 1,
    hostname: "node1",
    experiments: runs,
    summary: {
      total_experiments: runs.length,
      completed: 0,
      failed: 0,
      skipped: 0,
      pending: runs.length,
      total_wall_time_s: 0,
      total_energy_j: 0,
      unique_configurations: runs.length,
      warnings: [],
    },
    uncertainty: {},
    ...extra,
  };
}

const BASE = manifest([run(1), run(2), run(3)], { shards: 2 });

function part(
  index: number,
  runs: ManifestRun[],
  status: StudyStatus,
  end: string | null = null,
): ManifestPart {
  return {
    name: `shard-${index}-of-2`,
    manifest: manifest(runs, { shard: { index, count: 2 }, status, end_time: end }),
  };
}

const union = (parts: ManifestPart[]) => {
  const joined = unionManifest(BASE, parts);
  if ("problem" in joined) throw new Error(joined.problem);
  return joined.manifest;
};

Deno.test("unionManifest() lays each shard's runs over the plan; a shard not started leaves its runs pending", () => {
  const joined = union([
    part(0, [run(1, "completed"), run(3, "completed")], "completed", "2026-11-30T11:00:00.000Z"),
  ]);
  assert.deepEqual(joined.experiments.map((r) => r.status), ["completed", "pending", "completed"]);
  assert.equal(joined.status, "interrupted", "runs are left and no shard runs: each is resumed with --shard");
  assert.equal(joined.end_time, null);
  assert.equal(joined.summary.completed, 2);
  assert.equal(joined.summary.total_energy_j, 20);
  assert.equal(joined.pid, null);
});

Deno.test("unionManifest(): running while a shard runs; when all are done, the worst ending and the last end", () => {
  const done = part(0, [run(1, "completed"), run(3, "completed")], "completed", "2026-11-30T11:00:00.000Z");
  assert.equal(union([done, part(1, [run(2, "running")], "running")]).status, "running");
  const failed = part(1, [run(2, "failed")], "failed", "2026-11-30T12:00:00.000Z");
  const joined = union([done, failed]);
  assert.equal(joined.status, "failed");
  assert.equal(joined.end_time, "2026-11-30T12:00:00.000Z");
  assert.equal(
    union([done, { ...failed, manifest: { ...failed.manifest, status: "completed" } }]).status,
    "completed",
  );
});

Deno.test("unionManifest() refuses a run two parts claim, a run the plan lacks, and a part of another split", () => {
  const problem = (parts: ManifestPart[]) => {
    const joined = unionManifest(BASE, parts);
    return "problem" in joined ? joined.problem : null;
  };
  assert.match(
    problem([part(0, [run(1)], "running"), part(1, [run(1)], "running")])!,
    /run 1 is claimed by both/,
  );
  assert.match(problem([part(0, [run(9)], "running")])!, /run 9, which the study does not plan/);
  const renamed = { ...part(0, [run(1)], "running"), name: "shard-0-of-3" };
  assert.match(problem([renamed])!, /shard-0-of-3 is not one of the study's 2 shards/);
});
