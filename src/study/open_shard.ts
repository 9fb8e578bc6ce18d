import { join } from "node:path";
import type { StudyPlan } from "../config/build_plan.ts";
import { shardRuns } from "../config/assign_shards.ts";
import { isFile } from "../results/is_file.ts";
import { ManifestStore } from "../results/manifest_store.ts";
import { runsLeft } from "../results/run_files_problem.ts";
import { manifestFilesOf, shardPartName } from "../results/study_layout.ts";
import { lockStudy, type StudyLock, withShardsLock } from "../results/study_lock.ts";
import { makeDirectory } from "../results/write_error.ts";
import type { GpuLocks } from "./gpu_lock.ts";
import type { StudySetup } from "./study_context.ts";
import type { StudyPorts } from "./study_ports.ts";
import { StudyRecord } from "./study_record.ts";
import type { ShardTarget } from "./study_request.ts";

/**
 * Take a shard of a sharded study: its part's lock (refused at once while another llem runs this shard),
 * the GPUs' locks, then, under the study's joining lock, the study made or joined and the part opened.
 * Whatever fails, what was taken is given back.
 */
export async function openShard(
  setup: StudySetup,
  parts: { ports: StudyPorts; lockGpus: (dir: string) => Promise<GpuLocks> | null },
): Promise<{ record: StudyRecord; studyLock: StudyLock; locks: GpuLocks | null }> {
  const { request } = setup;
  const target = request.shard!;
  makeDirectory(target.dir);
  const part = shardPartName(target.shard);
  const studyLock = await lockStudy(target.dir, { part, holder: () => manifestHolder(target.dir, part) });
  let locks: GpuLocks | null = null;
  try {
    locks = await parts.lockGpus(target.dir);
    const record = await withShardsLock(
      target.dir,
      () => StudyRecord.openShard({ ...request, shard: target }, { onEvent: parts.ports.onEvent }),
    );
    return { record, studyLock, locks };
  } catch (error) {
    locks?.release();
    studyLock.release();
    throw error;
  }
}

/** Who a study's manifest (or a shard's part) says runs it, for the message when its lock is held. */
export function manifestHolder(
  dir: string,
  part: string | null,
): { pid: number | null; hostname: string | null } | null {
  try {
    const { pid, hostname } = ManifestStore.load(dir, { part }).manifest;
    return { pid, hostname };
  } catch {
    return null;
  }
}

/** A shard's runs, less those its part (when it has started) holds completed with whole files. */
export function shardRunsToFinish(target: ShardTarget, plan: StudyPlan): { experiment: number }[] {
  const runs = shardRuns(plan.runs, target.shard);
  const part = shardPartName(target.shard);
  if (!isFile(join(target.dir, manifestFilesOf(part).manifest))) return runs;
  // A part holds its shard's runs alone.
  return runsLeft(target.dir, ManifestStore.load(target.dir, { part }).manifest.experiments);
}
