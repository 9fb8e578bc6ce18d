/**
 * `llem run` end to end, as a user runs it (a separate llem process), against the NVML stand-in and the
 * test engine through the process runner: records, Parquet files, the manifest, sessions, failures,
 * signals and resume.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readParquetMetadata, readParquetRows } from "../src/results/read_parquet.ts";
import { StandInPowercap } from "../scripts/stand_in_powercap.ts";
import { isFile } from "../src/results/is_file.ts";
import {
  experimentYaml,
  llem,
  makeStudy,
  manifestOf,
  POWER_W,
  resultOf,
  run,
  type Study,
  studyDirs,
  withStudy,
} from "./study_fixture.ts";

Deno.test("llem run measures an experiment end to end: result, config, Parquet files, manifest", async () => {
  await withStudy((model) => experimentYaml(model), async (study) => {
    const result = await run(["run", study.file, "-o", "results"], study);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const [dir] = studyDirs(study);
    const manifest = manifestOf(dir!);
    assert.equal(manifest.status, "completed");
    assert.equal(manifest.summary.completed, 1);
    const run0 = manifest.experiments[0]!;
    const record = resultOf(dir!, run0.dir);
    assert.equal(record.schema_version, "4.0");
    assert.equal(record.measurement_config_hash, run0.measurement_config_hash);
    assert.equal(record.total_tokens, 4 * 8);
    assert.equal(record.engine, "transformers");
    // The stand-in draws a constant 70 W, so energy is 70 W x the window, within one counter step (10 ms).
    const window = record.total_inference_time_sec;
    assert.ok(
      Math.abs(record.total_energy_j - POWER_W * window) <= POWER_W * 0.010 + 1e-3 * POWER_W * window,
      `${record.total_energy_j} J over ${window} s`,
    );
    assert.equal(record.avg_tokens_per_second, record.total_tokens / window);
    assert.equal(record.timeseries, "timeseries.parquet");
    const config = JSON.parse(Deno.readTextFileSync(join(dir!, run0.dir, "effective_config.json")));
    assert.equal(config.generation.max_new_tokens, 8);
    const samples = await readParquetRows(join(dir!, run0.dir, "timeseries.parquet"));
    assert.ok(samples.length > 0);
    assert.ok(samples.some((s) => s.phase === "measure" && s.power_w === POWER_W));
    // Both methods ran, and on a constant trace they agree.
    assert.ok(record.energy_breakdown !== null);
    const meta = await readParquetMetadata(join(dir!, run0.dir, "timeseries.parquet"));
    assert.equal(meta.kvMetadata.measurement_config_hash, run0.measurement_config_hash);
    const requests = await readParquetRows(join(dir!, run0.dir, "requests.parquet"));
    assert.equal(requests.length, 4);
    assert.ok(requests.every((r) => r.output_tokens === 8));
    assert.match(result.stdout, /study completed: 1 completed, 0 failed/);
    assert.match(result.stdout, /summary \(mean across cycles ±95% CI\)\n {2}exp {2}engine +model +runs ok/);
    assert.equal(result.stdout.trim().split("\n").at(-1), `results: ${dir}`);
  });
});

Deno.test("llem run shares a session between runs that load alike, and not where load options differ", async () => {
  await withStudy((model) => `
name: sessions
${experimentYaml(model)}
sweep:
  transformers.attn_implementation: [sdpa, eager]
  generation.max_new_tokens: [4, 8]
`, async (study) => {
    const result = await run(["run", study.file, "-o", "results", "--json"], study);
    assert.equal(result.code, 0, result.stderr);
    const events = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const loads = events.filter((e) => e.type === "phase" && e.phase === "loading");
    const runs = events.filter((e) => e.type === "run_completed");
    assert.equal(runs.length, 4);
    assert.equal(loads.length, 2, "one model load per attention implementation");
  });
});

Deno.test("llem run records a crashed engine as a failed run and goes on with a fresh session", async () => {
  await withStudy((model) => `
name: crash
${experimentYaml(model, "", "{ttft_s: 0.005, token_s: 0.001, fail: exit_mid_window, fail_on_window: 1}")}
sweep:
  generation.max_new_tokens: [4, 8]
`, async (study) => {
    const result = await run(["run", study.file, "-o", "results"], study);
    assert.equal(result.code, 4, result.stderr + result.stdout);
    const [dir] = studyDirs(study);
    const manifest = manifestOf(dir!);
    assert.deepEqual(manifest.experiments.map((r) => r.status), ["failed", "failed"]);
    const failed = manifest.experiments[0]!;
    assert.equal(failed.error?.type, "EngineExited");
    assert.ok(failed.error?.log_file);
    assert.ok(Deno.statSync(join(dir!, failed.error!.log_file!)).isFile);
  });
});

Deno.test("every way an engine can fail becomes a failed run with its type, and the manifest stays valid", async () => {
  const modes: [string, string, string][] = [
    ["{fail: oom, fail_on_window: 2}", "", "EngineKilled"],
    ["{fail: garbage, fail_on_window: 2}", "", "ProtocolError"],
    ["{fail: out_of_order, fail_on_window: 2}", "", "ProtocolError"],
    ["{fail: raise, fail_on_window: 2}", "", "RuntimeError"],
    ["{fail: hang, fail_on_window: 2}", "execution: {experiment_timeout_seconds: 2}", "Timeout"],
    ["{fail: hang, fail_on_window: 2}", "execution: {silence_timeout_seconds: 1}", "Silence"],
  ];
  for (const [engine, execution, type] of modes) {
    await withStudy((model) =>
      experimentYaml(model, execution, engine).replace(
        "baseline: {enabled: true",
        "baseline: {enabled: false",
      ), async (study) => {
      const result = await run(["run", study.file, "-o", "results"], study);
      assert.equal(result.code, 4, `${engine}: ${result.stderr}${result.stdout}`);
      const [dir] = studyDirs(study);
      const [failed] = manifestOf(dir!).experiments;
      assert.equal(failed!.status, "failed");
      assert.equal(failed!.error?.type, type, `${engine} ${execution}: ${failed!.error?.message}`);
    });
  }
});

Deno.test("llem run stops at preflight, naming every problem, when NVML or the model is missing", async () => {
  await withStudy(() => experimentYaml("./no-such-model"), async (study) => {
    study.env.LLEM_NVML_LIBRARY = join(study.dir, "missing-libnvidia-ml.so.1");
    const result = await run(["run", study.file, "-o", "results"], study);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /NVML/);
    assert.match(result.stderr, /without a GPU, run: llem demo/);
    assert.match(result.stderr, /model folder \.\/no-such-model does not exist/);
    assert.match(result.stderr, /nothing was run/);
  });
});

/**
 * Start `llem run --json`, call `during` once its first run has completed, and return its exit code once
 * it ends.
 */
async function duringFirstCompletedRun(
  study: Study,
  during: (child: Deno.ChildProcess) => void,
): Promise<number> {
  const child = llem(["run", study.file, "-o", "results", "--json"], study);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes('"run_completed"')) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  during(child);
  while (!(await reader.read()).done) { /* drain */ }
  await child.stderr.cancel();
  return (await child.status).code;
}

const threeRuns = (model: string) => `
name: signals
${experimentYaml(model, "", "{ttft_s: 0.005, token_s: 0.05}")}
sweep:
  generation.max_new_tokens: [4, 6, 8]
`;

Deno.test("Ctrl-C and SIGTERM interrupt a study (exit 130); after those or kill -9, --resume completes it", async () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
    await withStudy(threeRuns, async (study) => {
      const code = await duringFirstCompletedRun(study, (child) => child.kill(signal));
      const [dir] = studyDirs(study);
      const before = manifestOf(dir!);
      if (signal !== "SIGKILL") {
        assert.equal(code, 130);
        assert.equal(before.status, "interrupted");
      } else {
        assert.equal(before.status, "running", "a killed llem cannot mark its manifest");
      }
      const completed = before.experiments.filter((r) => r.status === "completed").map((r) => r.dir);
      assert.ok(completed.length >= 1);
      const resumed = await run(["run", study.file, "-o", "results", "--resume"], study);
      assert.equal(resumed.code, 0, `${signal}: ${resumed.stderr}${resumed.stdout}`);
      assert.equal(studyDirs(study).length, 1, "the resume continued the same study directory");
      const after = manifestOf(dir!);
      assert.equal(after.status, "completed");
      assert.equal(after.summary.completed, 3);
      assert.equal(Object.keys(after.uncertainty ?? {}).length, 3, "statistics per config");
      for (const runDir of completed) {
        assert.equal(
          after.experiments.find((r) => r.dir === runDir)?.attempts,
          1,
          `${signal}: ${runDir} ran again`,
        );
        resultOf(dir!, runDir);
      }
      for (const entry of Deno.readDirSync(dir!)) {
        if (entry.name.endsWith(".tmp")) assert.fail(`a temporary file was left: ${entry.name}`);
      }
    });
  }
});

Deno.test("a GPU lost mid-study ends it as failed, with a valid manifest and the completed runs intact", async () => {
  await withStudy(threeRuns, async (study) => {
    // The energy counter answers GPU_IS_LOST from its 700th call on: the sampler reads it every 10 ms, so
    // after the 5 s baseline and the 1 s loaded-idle measurement, during the runs.
    study.env.FAKE_NVML_FAIL = "nvmlDeviceGetTotalEnergyConsumption:GPU_IS_LOST:from=700";
    const result = await run(["run", study.file, "-o", "results"], study);
    assert.equal(result.code, 4, result.stderr + result.stdout);
    const [dir] = studyDirs(study);
    const manifest = manifestOf(dir!);
    assert.equal(manifest.status, "failed");
    // Where the loss lands depends on how fast the sampler reads; wherever it lands, the study ends.
    const failed = manifest.experiments.filter((r) => r.status === "failed");
    assert.ok(failed.length <= 1);
    for (const run of failed) assert.equal(run.error?.type, "GpuLost");
    assert.ok(manifest.summary.warnings.some((w) => /lost|GPU_IS_LOST/.test(w)) || failed.length === 1);
    for (const completed of manifest.experiments.filter((r) => r.status === "completed")) {
      resultOf(dir!, completed.dir);
    }
  });
});

Deno.test({
  name: "runStudyFile() (the library API) returns the study's StudyResult",
  // The sampler worker and the engine process belong to the study; they are gone when it returns.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withStudy(
      (model) => experimentYaml(model).replace("baseline: {enabled: true", "baseline: {enabled: false"),
      async (study) => {
        const { runStudyFile } = await import("../mod.ts");
        const result = await runStudyFile(study.file, {
          outputDir: join(study.dir, "results"),
          env: { ...study.env, FAKE_NVML_SCENARIO: "" },
        });
        assert.equal(result.status, "completed");
        assert.equal(result.experiments.length, 1);
        assert.equal(result.experiments[0]!.total_tokens, 32);
        assert.equal(result.result_files.length, 1);
        assert.equal(result.measurement_protocol.n_cycles, 1);
        assert.equal(result.summary.completed, 1);
      },
    );
  },
});

/** A tmpfs of `mib` MiB at `path`, or null where mounting is not allowed (not root). */
function mountTmpfs(path: string, mib: number): (() => void) | null {
  Deno.mkdirSync(path, { recursive: true });
  const mounted = new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", `size=${mib}m`, "tmpfs", path] })
    .outputSync();
  if (!mounted.success) return null;
  return () => void new Deno.Command("umount", { args: ["-l", path] }).outputSync();
}

Deno.test("a disk that fills mid-study ends it as failed with the last manifest intact; --resume finishes it", async (t) => {
  const study = makeStudy(threeRuns);
  const results = join(study.dir, "results");
  const unmount = mountTmpfs(results, 120);
  if (!unmount) {
    await t.step({ name: "SKIPPED: mounting a tmpfs needs root", ignore: true, fn: () => {} });
    Deno.removeSync(study.dir, { recursive: true });
    return;
  }
  try {
    // Another program fills the disk once the first run is written.
    const code = await duringFirstCompletedRun(study, () => {
      new Deno.Command("dd", { args: ["if=/dev/zero", `of=${results}/filler`, "bs=1M"], stderr: "null" })
        .outputSync();
    });
    assert.equal(code, 4);
    const [dir] = studyDirs(study);
    const manifest = manifestOf(dir!);
    const completed = manifest.experiments.filter((r) => r.status === "completed");
    assert.ok(completed.length >= 1);
    for (const run of completed) resultOf(dir!, run.dir);
    Deno.removeSync(`${results}/filler`);
    const resumed = await run(["run", study.file, "-o", "results", "--resume"], study);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.equal(manifestOf(dir!).summary.completed, 3);
  } finally {
    unmount();
    Deno.removeSync(study.dir, { recursive: true });
  }
});

Deno.test("llem run reads the CPU's RAPL counters at the window's edges: CPU and DRAM energy, cpu_timeseries.parquet", async () => {
  // Tokens of 20 ms: a window of about 0.4 s, many of the counters' 10 ms steps whatever the load.
  const slow = "{ttft_s: 0.02, token_s: 0.02}";
  await withStudy((model) => experimentYaml(model, "  timeseries: true", slow), async (study) => {
    const powercap = StandInPowercap.oneSocket(join(study.dir, "sys"));
    // The stand-in CPU draws 50 W in its package (40 W of it in the cores) and 10 W in DRAM, in 10 ms steps.
    let joules = 0;
    const step = setInterval(() => {
      joules += 0.5;
      powercap.setMicrojoules("intel-rapl:0", joules * 1e6);
      powercap.setMicrojoules("intel-rapl:0:0", 0.8 * joules * 1e6);
      powercap.setMicrojoules("intel-rapl:0:1", 0.2 * joules * 1e6);
    }, 10);
    let result;
    try {
      result = await run(["run", study.file, "-o", "results"], {
        ...study,
        env: { ...study.env, LLEM_POWERCAP_ROOT: powercap.classDir },
      });
    } finally {
      clearInterval(step);
    }
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const [dir] = studyDirs(study);
    const run0 = manifestOf(dir!).experiments[0]!;
    const cpu = resultOf(dir!, run0.dir).energy_breakdown!.cpu_energy!;
    assert.equal(cpu.method, "rapl_powercap");
    assert.equal(cpu.unavailable_reason, null);
    assert.deepEqual(cpu.domains.map((d) => d.name), ["package-0", "core", "dram"]);
    assert.ok(cpu.package_j! > 0, `${cpu.package_j}`);
    const [, core, dram] = cpu.domains;
    // The counters move together: whatever the timer's pace, the domains keep their shares.
    assert.ok(Math.abs(dram!.energy_j! / cpu.package_j! - 0.2) < 0.05, JSON.stringify(cpu));
    assert.ok(Math.abs(core!.energy_j! / cpu.package_j! - 0.8) < 0.05, JSON.stringify(cpu));
    assert.equal(
      cpu.dram_j,
      dram!.energy_j,
      "DRAM is its own domain; core is a part of the package, not added",
    );
    const rows = await readParquetRows(join(dir!, run0.dir, "cpu_timeseries.parquet"));
    assert.deepEqual(Object.keys(rows[0]!), ["t", "domain", "name", "socket", "energy_j", "power_w"]);
    const packageRows = rows.filter((row) => row.domain === "intel-rapl:0");
    assert.ok(packageRows.length >= 3, "the run's first reading and both edges, at least");
    assert.ok(Number(packageRows.at(-1)!.energy_j) >= cpu.package_j! - 1e-9, "the run covers its window");
  });
});

Deno.test("llem run without readable RAPL counters records CPU energy as null with the reason", async () => {
  await withStudy((model) => experimentYaml(model, "  timeseries: true"), async (study) => {
    const result = await run(["run", study.file, "-o", "results"], study);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const [dir] = studyDirs(study);
    const run0 = manifestOf(dir!).experiments[0]!;
    const cpu = resultOf(dir!, run0.dir).energy_breakdown!.cpu_energy!;
    assert.equal(cpu.package_j, null);
    assert.match(cpu.unavailable_reason!, /no RAPL zones under .*no-powercap/);
    assert.equal(isFile(join(dir!, run0.dir, "cpu_timeseries.parquet")), false);
  });
});
