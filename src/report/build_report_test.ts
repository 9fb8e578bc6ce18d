import assert from "node:assert/strict";
import { resultsTable } from "../analysis/results_table.ts";
import { resultFields } from "../../tests/result_fields_fixture.ts";
import { buildReport, type ReportStudy } from "./build_report.ts";
import { downsamplePower } from "./downsample_power.ts";

function reportStudy(name: string): ReportStudy {
  const runs = [100, 110, 150, 160].map((energy, i) => ({
    entry: { experiment: i < 2 ? 1 : 2, status: "completed", error: null },
    result: resultFields(energy),
    problem: null,
  }));
  const rows = resultsTable({
    dir: "results/s",
    manifest: { study_name: name, status: "completed" },
    plan: {
      varying_keys: ["generation.batch_size"],
      experiments: [1, 2].map((id) => ({
        id,
        config: { engine: "vllm", model: "org/m", generation: { batch_size: id } },
      })),
    },
    runs,
  });
  const samples = Array.from(
    { length: 1000 },
    (_, i) => ({ t: i / 100, power_w: 100 + (i % 7), phase: "measure" }),
  );
  return {
    dir: "results/s",
    name,
    status: "completed",
    runs: { total: 4, completed: 4 },
    rows,
    power: [downsamplePower("001", samples)],
    powerOmitted: 3,
    latency: [{ experiment: "1", ms: { ttft: [10, 12, 15], tpot: [1, 2], e2e: [100, 120] } }],
    responseEnergy: [{ experiment: "1", joules: [1, 2, 2, 3] }],
    warnings: [{ message: "short window", runs: 2 }],
    methods: { energy: { nvml_energy_counter: 4 }, baseline: { idle_cached: 4 } },
    environment: {
      gpus: ["H100"],
      drivers: ["580"],
      engines: ["vllm 0.11"],
      images: [],
      runners: ["process"],
    },
    simulated: null,
  };
}

Deno.test("buildReport() writes one self-contained page: static SVG charts, their specs, no script, nothing loaded", async () => {
  const html = await buildReport({
    studies: [reportStudy("a <script>alert(1)</script> study")],
    generatedAt: "2026-11-29T00:00:00Z",
    llemVersion: "0.1.0",
  });
  assert.doesNotMatch(html, /<script/i, "no script at all, the study name's escaped");
  assert.match(html, /a &lt;script&gt;alert\(1\)&lt;\/script&gt; study/);
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*"(https?:)?\/\//i, "no external source or link");
  assert.equal([...html.matchAll(/<figure class="chart"/g)].length, 8);
  assert.equal([...html.matchAll(/<svg /g)].length, 8);
  assert.equal([...html.matchAll(/<summary>Vega-Lite specification<\/summary>/g)].length, 8);
  assert.match(html, /\(3 more runs not drawn\)/);
  assert.match(html, /short window <span class="count">\(2 run\(s\)\)/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

Deno.test("downsamplePower() keeps at most 200 buckets with each one's min, mean and max", () => {
  const samples = Array.from(
    { length: 10_000 },
    (_, i) => ({ t: 5 + i / 1000, power_w: i % 2 ? 300 : 100, phase: "idle" }),
  );
  const series = downsamplePower("run", samples);
  assert.equal(series.points.length, 200);
  assert.ok(series.points.every((p) => p.min === 100 && p.max === 300 && Math.abs(p.mean - 200) < 1e-9));
  assert.ok(series.points[0]!.t > 0 && series.points.at(-1)!.t < 10, "time from the first sample");
  assert.deepEqual(downsamplePower("none", []), { run: "none", points: [], window: null });
  // Two GPUs at 100 W and 250 W: the run draws 350 W, as its energy sums them.
  const two = downsamplePower(
    "two",
    [0, 1].flatMap((gpu) =>
      Array.from(
        { length: 10 },
        (_, i) => ({ t: i, gpu_idx: gpu, power_w: gpu ? 250 : 100, phase: "measure" }),
      )
    ),
  );
  assert.ok(two.points.every((p) => p.mean === 350 && p.min === 350 && p.max === 350));
  const windowed = downsamplePower("w", [
    { t: 10, power_w: 50, phase: "idle", clock_event_reasons: 0n },
    { t: 11, power_w: 300, phase: "measure", clock_event_reasons: 0x20n },
    { t: 13, power_w: 300, phase: "measure", clock_event_reasons: 0x1n },
  ]);
  assert.deepEqual(windowed.window, { start: 1, end: 3 });
  assert.deepEqual(
    windowed.points.map((p) => p.throttled).filter(Boolean).length,
    1,
    "only thermal counts, not idle",
  );
});

Deno.test("buildReport() puts a banner on top of a report with a simulated study, and none otherwise", async () => {
  const real = await buildReport({ studies: [reportStudy("s")], generatedAt: "t", llemVersion: "v" });
  assert.ok(!real.includes('class="simulated"'));
  const demo = await buildReport({
    studies: [{ ...reportStudy("s"), simulated: "llem demo: a simulated GPU" }],
    generatedAt: "t",
    llemVersion: "v",
  });
  assert.match(
    demo,
    /<body>\n<p class="simulated" role="alert"><b>SIMULATED<\/b>: .*llem demo: a simulated GPU/,
  );
});
