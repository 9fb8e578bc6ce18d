import type { Manifest } from "../results/manifest_schema.ts";
import { shellQuote } from "./shell_quote.ts";

/**
 * The line that tells how to finish a study that ended with runs left (interrupted, failed or stopped
 * with runs pending, or runs failed): the exact `llem run CONFIG DIR --resume`, with the flags that shaped
 * the plan (a resume must give the same: --cycles, --order, --gpus, --runner), shell-quoted; null when
 * every run completed.
 */
export function renderResumeHint(
  manifest: Manifest,
  study: { configPath: string; studyDir: string; planFlags?: readonly [string, string][] },
): string | null {
  const left = manifest.status !== "completed" || manifest.experiments.some((r) => r.status !== "completed");
  if (!left) return null;
  const flags = (study.planFlags ?? []).map(([flag, value]) => ` ${flag} ${shellQuote(value)}`).join("");
  // A shard resumes with the command that started it.
  const how = manifest.shard ? `--shard ${manifest.shard.index}/${manifest.shard.count}` : "--resume";
  return `resume: llem run ${shellQuote(study.configPath)} ${shellQuote(study.studyDir)} ${how}${flags}`;
}
