/** Which measured baselines reach the per-GPU cache: only complete ones. */
import { inTempDir } from "../../tests/in_temp_dir.ts";
import assert from "node:assert/strict";
import { readCachedBaseline } from "./baseline_cache.ts";
import { Interrupted } from "./interrupted.ts";
import { type BaselinePolicy, type BaselineSample, resolveBaselines } from "./resolve_baselines.ts";

/** `n` idle samples of a GPU drawing 60 W, `intervalSeconds` apart, from `fromSeconds` on. */
function idleSamples(
  n: number,
  options: { intervalSeconds: number; fromSeconds?: number },
): BaselineSample[] {
  const from = options.fromSeconds ?? 1000;
  return Array.from({ length: n }, (_, i) => {
    const t = from + i * options.intervalSeconds;
    return {
      timeSeconds: t,
      powerWatts: 60,
      energyJoules: 60 * i * options.intervalSeconds,
      utilizationGpuPercent: 0,
      temperatureCelsius: 35,
    };
  });
}

function policy(cacheDir: string, measure: BaselinePolicy["measure"]): BaselinePolicy {
  return {
    cacheDir,
    force: true,
    ttlSeconds: 7200,
    driftFraction: 0.1,
    durationSeconds: 5,
    spotCheckSeconds: 1,
    driverVersion: "580.65.06",
    measure,
    nowMs: () => 1_800_000_000_000,
  };
}

const gpus = [{ uuid: "GPU-0", name: "NVIDIA H100" }, { uuid: "GPU-1", name: "NVIDIA H100" }];

Deno.test(
  "resolveBaselines() caches a measurement only when its samples cover the planned duration",
  inTempDir(async (dir) => {
    // GPU-0 was sampled for the whole 5 s (at 100 ms, the first and last rounds just inside the edges);
    // GPU-1's samples stop 0.12 s in (8 samples), as a baseline cut short leaves them.
    const outcomes = await resolveBaselines(
      gpus,
      policy(dir, () =>
        Promise.resolve(
          new Map([
            ["GPU-0", idleSamples(50, { intervalSeconds: 0.1, fromSeconds: 1000.1 })],
            ["GPU-1", idleSamples(8, { intervalSeconds: 0.12 / 7 })],
          ]),
        )),
    );
    assert.deepEqual(outcomes.map((o) => o.status), ["measured", "measured"]);
    assert.ok(Math.abs(readCachedBaseline(dir, "GPU-0")!.powerWatts - 60) < 1e-9);
    assert.equal(readCachedBaseline(dir, "GPU-1"), null, "a 0.12 s baseline must not be cached as a 5 s one");
    assert.ok(
      outcomes[1]!.warnings.some((w) => /not cached: its samples cover 0\.12 s of the 5 s planned/.test(w)),
      outcomes[1]!.warnings.join("; "),
    );
    assert.deepEqual(outcomes[0]!.warnings, []);
  }),
);

Deno.test(
  "resolveBaselines() caches nothing and throws Interrupted when the signal aborted during the measurement",
  inTempDir(async (dir) => {
    const controller = new AbortController();
    await assert.rejects(
      resolveBaselines(gpus.slice(0, 1), {
        ...policy(dir, () => {
          // Ctrl-C as the measurement ends: its samples look complete, but the study is stopping.
          controller.abort();
          return Promise.resolve(new Map([["GPU-0", idleSamples(51, { intervalSeconds: 0.1 })]]));
        }),
        signal: controller.signal,
      }),
      Interrupted,
    );
    assert.equal(readCachedBaseline(dir, "GPU-0"), null);
  }),
);

Deno.test(
  "resolveBaselines() does not cache a single sample, which shows no duration",
  inTempDir(async (dir) => {
    const outcomes = await resolveBaselines(
      gpus.slice(0, 1),
      policy(dir, () => Promise.resolve(new Map([["GPU-0", idleSamples(1, { intervalSeconds: 0.1 })]]))),
    );
    assert.equal(outcomes[0]!.powerWatts, 60, "still this study's figure");
    assert.equal(readCachedBaseline(dir, "GPU-0"), null);
  }),
);
