/** A measured idle power, cached per GPU UUID. */
export interface CachedBaseline {
  uuid: string;
  gpuName: string;
  powerWatts: number;
  method: "energy_counter" | "mean_power_samples";
  /** ISO 8601, UTC. */
  measuredAt: string;
  durationSeconds: number;
  sampleCount: number;
  driverVersion: string;
}

/** llem's cache folder: $LLEM_CACHE_DIR, else $XDG_CACHE_HOME/llem, else ~/.cache/llem. */
export function llemCacheDir(env: Record<string, string | undefined>): string {
  return env.LLEM_CACHE_DIR ??
    (env.XDG_CACHE_HOME ? `${env.XDG_CACHE_HOME}/llem` : `${env.HOME ?? "."}/.cache/llem`);
}

/** The baseline cache: `baselines/` in llemCacheDir(). */
export function baselineCacheDir(env: Record<string, string | undefined>): string {
  return `${llemCacheDir(env)}/baselines`;
}

function fileFor(dir: string, uuid: string): string {
  return `${dir}/${uuid.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`;
}

/** The cached baseline of a GPU, or null when there is none or it is unreadable. */
export function readCachedBaseline(dir: string, uuid: string): CachedBaseline | null {
  try {
    const entry = JSON.parse(Deno.readTextFileSync(fileFor(dir, uuid))) as CachedBaseline;
    return entry.uuid === uuid && typeof entry.powerWatts === "number" ? entry : null;
  } catch {
    return null;
  }
}

/** Store a baseline atomically (temporary file, then rename). */
export function writeCachedBaseline(dir: string, entry: CachedBaseline): void {
  Deno.mkdirSync(dir, { recursive: true });
  const path = fileFor(dir, entry.uuid);
  const temporary = `${path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(temporary, JSON.stringify(entry, null, 2) + "\n");
  Deno.renameSync(temporary, path);
}

/** Age of a cached baseline, seconds. */
export function baselineAgeSeconds(entry: CachedBaseline, nowMs: number): number {
  return (nowMs - Date.parse(entry.measuredAt)) / 1000;
}
