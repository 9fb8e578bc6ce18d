import type { Manifest } from "../results/manifest_schema.ts";
import { shellQuote } from "./shell_quote.ts";

/**
 * The line that tells how to finish a study that ended with runs left (interrupted, failed or stopped
 * with runs pending, or runs failed): the exact `llem run CONFIG DIR --resume`, shell-quoted; null when
 * every run completed.
 */
export function renderResumeHint(
  manifest: Manifest,
  study: { configPath: string; studyDir: string },
): string | null {
  const left = manifest.status !== "completed" || manifest.experiments.some((r) => r.status !== "completed");
  if (!left) return null;
  return `resume: llem run ${shellQuote(study.configPath)} ${shellQuote(study.studyDir)} --resume`;
}
