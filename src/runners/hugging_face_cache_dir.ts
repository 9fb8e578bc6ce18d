import { join } from "node:path";

/** The Hugging Face cache folder on the host: $HF_HUB_CACHE, $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function huggingFaceCacheDir(env: Readonly<Record<string, string | undefined>>): string | null {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, "hub");
  const home = env.HOME;
  return home ? join(home, ".cache", "huggingface", "hub") : null;
}
