import { assignShards } from "../config/assign_shards.ts";
import type { PlannedRun } from "../config/build_plan.ts";
import { isFile } from "./is_file.ts";
import type { Manifest, StudyStatus } from "./manifest_schema.ts";
import { readManifestPart } from "./manifest_store.ts";
import { manifestFilesOf, resolveInside, shardPartName } from "./study_layout.ts";

/** One shard of a sharded study as its part says: not started, or its runs by status and who runs it. */
export interface ShardProgress {
  shard: number;
  status: StudyStatus | "not_started";
  runs: number;
  completed: number;
  failed: number;
  pending: number;
  /** The llem that last ran it, and where; null before it started. */
  pid: number | null;
  hostname: string | null;
  /** Its last start (first start or resume), or null. */
  startedAt: string | null;
  endTime: string | null;
}

/** Every shard of the sharded study in `dir` (manifest.json says how many), in shard order. */
export function shardProgress(
  dir: string,
  study: { manifest: Manifest; runs: readonly Pick<PlannedRun, "index" | "experiment" | "session">[] },
): ShardProgress[] {
  const count = study.manifest.shards!;
  // assignShards() reads only each run's position, experiment and session.
  const shardOf = assignShards(study.runs as readonly PlannedRun[], count);
  return Array.from({ length: count }, (_, index) => {
    const part = shardPartName({ index, count });
    const planned = shardOf.filter((shard) => shard === index).length;
    if (!isFile(resolveInside(dir, manifestFilesOf(part).manifest))) {
      const none = { completed: 0, failed: 0, pending: planned, pid: null, hostname: null };
      return { shard: index, status: "not_started", runs: planned, ...none, startedAt: null, endTime: null };
    }
    const manifest = readManifestPart(dir, part);
    const count_ = (status: string) => manifest.experiments.filter((run) => run.status === status).length;
    return {
      shard: index,
      status: manifest.status,
      runs: manifest.experiments.length,
      completed: count_("completed"),
      failed: count_("failed"),
      pending: count_("pending") + count_("running"),
      pid: manifest.pid,
      hostname: manifest.hostname,
      startedAt: manifest.resumes.at(-1) ?? manifest.start_time,
      endTime: manifest.end_time,
    };
  });
}
