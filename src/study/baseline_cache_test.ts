import assert from "node:assert/strict";
import {
  baselineAgeSeconds,
  baselineCacheDir,
  readCachedBaseline,
  writeCachedBaseline,
} from "./baseline_cache.ts";

const entry = {
  uuid: "GPU-1234/../x",
  gpuName: "NVIDIA H100",
  powerWatts: 71.5,
  method: "energy_counter" as const,
  measuredAt: "2026-11-22T10:00:00.000Z",
  durationSeconds: 30,
  sampleCount: 300,
  driverVersion: "580.65.06",
};

Deno.test("baseline cache round-trips an entry per UUID, in a file name that cannot escape the folder", () => {
  const dir = Deno.makeTempDirSync();
  try {
    writeCachedBaseline(`${dir}/baselines`, entry);
    assert.deepEqual(readCachedBaseline(`${dir}/baselines`, entry.uuid), entry);
    assert.deepEqual([...Deno.readDirSync(`${dir}/baselines`)].map((e) => e.name), ["GPU-1234_.._x.json"]);
    assert.equal(readCachedBaseline(`${dir}/baselines`, "GPU-other"), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("baseline cache ignores a corrupt entry", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/GPU-9.json`, "{not json");
    assert.equal(readCachedBaseline(dir, "GPU-9"), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("baselineCacheDir() follows LLEM_CACHE_DIR, then XDG_CACHE_HOME, then HOME", () => {
  assert.equal(baselineCacheDir({ LLEM_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" }), "/c/baselines");
  assert.equal(baselineCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" }), "/x/llem/baselines");
  assert.equal(baselineCacheDir({ HOME: "/h" }), "/h/.cache/llem/baselines");
});

Deno.test("baselineAgeSeconds() measures from measuredAt", () => {
  assert.equal(baselineAgeSeconds(entry, Date.parse("2026-11-22T10:02:00.000Z")), 120);
});
