/**
 * Ordinary conditions end with their own exit code and a located message, never with exit 1 ("a bug in
 * llem") and a stack trace: bad input 2, an environment that is not ready 3, a failed measurement 4.
 * Each case runs llem as a separate process, the way a user meets it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withReadOnlyMount } from "./read_only_mount.ts";
import { experimentYaml, manifestOf, run, type Study, studyDirs, withStudy } from "./study_fixture.ts";

/** The run's stderr is a clean message: no "bug in llem", no stack frame. */
function assertClean(result: { stderr: string; stdout: string }): void {
  const output = result.stderr + result.stdout;
  assert.doesNotMatch(output, /bug in llem/, output);
  assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, output);
}

const quick = (model: string) =>
  experimentYaml(model).replace("baseline: {enabled: true", "baseline: {enabled: false");

Deno.test("--resume of a directory that is not a study exits 2 naming the directory and the fix", async () => {
  await withStudy(quick, async (study) => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ["missing", () => {}, /does not exist/],
      ["empty", (dir) => Deno.mkdirSync(dir), /no manifest\.json/],
      ["a-file", (dir) => Deno.writeTextFileSync(dir, "not a study"), /is a file, not a study directory/],
      ["truncated", (dir) => manifestFile(dir, '{"manifest_version": 1, "stud'), /not valid JSON/],
      ["empty-manifest", (dir) => manifestFile(dir, ""), /is empty/],
      ["invalid", (dir) => manifestFile(dir, '{"study": 1}'), /not a valid llem manifest/],
    ];
    for (const [name, make, expected] of cases) {
      const dir = join(study.dir, name);
      make(dir);
      const result = await run(["run", study.file, dir, "--resume"], study);
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
      assertClean(result);
      assert.match(result.stderr, expected, name);
      assert.ok(result.stderr.includes(dir), `${name}: names ${dir}: ${result.stderr}`);
      assert.match(result.stderr, /^hint: /m, name);
    }
  });
});

function manifestFile(dir: string, text: string): void {
  Deno.mkdirSync(dir);
  Deno.writeTextFileSync(join(dir, "manifest.json"), text);
}

Deno.test("--no-wait while another llem holds the GPU exits 3 naming the GPU and its holder", async () => {
  await withStudy(quick, async (study) => {
    const uuid = await firstGpuUuid(study);
    Deno.mkdirSync(study.env.LLEM_LOCK_DIR!, { recursive: true });
    const lock = await Deno.open(join(study.env.LLEM_LOCK_DIR!, `${uuid}.lock`), {
      read: true,
      write: true,
      create: true,
    });
    try {
      await lock.lock(true);
      const holder = { pid: 4242, hostname: "elsewhere", study: "/results/other", since: "2026-01-01" };
      await lock.write(new TextEncoder().encode(JSON.stringify(holder)));
      const result = await run(["run", study.file, "-o", "results", "--no-wait"], study);
      assert.equal(result.code, 3, result.stderr + result.stdout);
      assertClean(result);
      assert.match(result.stderr, new RegExp(`GPU ${uuid} is being measured by another llem`));
      assert.match(result.stderr, /pid 4242 on elsewhere/);
    } finally {
      lock.close();
    }
  });
});

async function firstGpuUuid(study: Study): Promise<string> {
  const result = await run(["gpus", "--json"], study);
  return JSON.parse(result.stdout).gpus[0].uuid;
}

Deno.test("a read-only output folder stops llem run at preflight (exit 3), before any study directory", async (t) => {
  await withStudy(quick, async (study) => {
    const results = join(study.dir, "results");
    await withReadOnlyMount(t, {
      path: results,
      body: async () => {
        const result = await run(["run", study.file, "-o", "results"], study);
        assert.equal(result.code, 3, result.stderr + result.stdout);
        assertClean(result);
        assert.match(result.stderr, new RegExp(`cannot write to ${results}`));
        assert.match(result.stderr, /nothing was run/);
      },
    });
  });
});

Deno.test("a cache folder llem cannot write (LLEM_CACHE_DIR) stops run and demo with exit 3 naming it", async (t) => {
  await withStudy(quick, async (study) => {
    await withReadOnlyMount(t, {
      path: join(study.dir, "read-only-cache"),
      body: async (cache) => {
        const env = { ...study.env, LLEM_CACHE_DIR: cache };
        for (const args of [["run", study.file, "-o", "results"], ["demo", "-o", join(study.dir, "demo")]]) {
          const result = await run(args, { ...study, env });
          assert.equal(result.code, 3, `${args[0]}: ${result.stderr}${result.stdout}`);
          assertClean(result);
          assert.match(
            result.stderr,
            new RegExp(`^error: Cannot write llem's cache "${cache}/harness"`, "m"),
          );
          assert.match(result.stderr, /read-only/);
          assert.match(result.stderr, /^hint: .*LLEM_CACHE_DIR/m);
        }
      },
    });
  });
});

Deno.test("config files that are not regular files exit 2 naming the file", async () => {
  await withStudy(quick, async (study) => {
    const loop = join(study.dir, "loop.yaml");
    Deno.symlinkSync(join(study.dir, "loop2.yaml"), loop);
    Deno.symlinkSync(loop, join(study.dir, "loop2.yaml"));
    const cases: [string, RegExp][] = [
      [loop, /symbolic links? (that )?loop/],
      ["/dev/stdin", /not a regular file/],
      ["/proc/self/environ", /not a regular file|cannot read/],
    ];
    for (const [path, expected] of cases) {
      const result = await run(["plan", path], study);
      assert.equal(result.code, 2, `${path}: ${result.stderr}`);
      assertClean(result);
      assert.ok(result.stderr.startsWith(`error: ${path}: `), result.stderr);
      assert.match(result.stderr, expected, path);
    }
  });
});

Deno.test("a config nested thousands of levels deep exits 2 with its location, not a stack overflow", async () => {
  await withStudy(quick, async (study) => {
    for (const depth of [200, 3000]) {
      const lines = ["model: gpt2", "transformers:", "  extra:"];
      for (let i = 0; i < depth; i++) lines.push(`${"  ".repeat(i + 2)}k${i}:`);
      lines.push(`${"  ".repeat(depth + 2)}x: 1`);
      const file = join(study.dir, `deep${depth}.yaml`);
      Deno.writeTextFileSync(file, lines.join("\n") + "\n");
      const result = await run(["plan", file], study);
      assert.equal(result.code, 2, `${depth}: ${result.stderr}`);
      assertClean(result);
      assert.match(
        result.stderr,
        new RegExp(`^error: ${file}:\\d+:\\d+: .*nested more than \\d+ levels`, "m"),
      );
      assert.match(result.stderr, /^hint: /m);
    }
  });
});

Deno.test("a GPU lost as the sampler starts ends the study as failed (exit 4), naming the GPU call", async () => {
  // The stand-in counts every NVML call; from about the 20th on, the sampler's own start-up fails.
  for (const from of [20, 30]) {
    await withStudy(quick, async (study) => {
      study.env.FAKE_NVML_FAIL = `*:GPU_IS_LOST:from=${from}`;
      const result = await run(["run", study.file, "-o", "results"], study);
      assert.equal(result.code, 4, `from=${from}: ${result.stderr}${result.stdout}`);
      assertClean(result);
      assert.match(result.stderr + result.stdout, /NVML_ERROR_GPU_IS_LOST/);
      assert.match(result.stderr + result.stdout, /nvml\w+/);
      const [dir] = studyDirs(study);
      assert.equal(manifestOf(dir!).status, "failed");
    });
  }
});

Deno.test("llem baseline reports a GPU lost while sampling as GpuLost (exit 4)", async () => {
  await withStudy(quick, async (study) => {
    study.env.FAKE_NVML_FAIL = "nvmlDeviceGetTotalEnergyConsumption:GPU_IS_LOST:from=3";
    const result = await run(["baseline", "--duration", "1", "--force"], study);
    assert.equal(result.code, 4, result.stderr + result.stdout);
    assertClean(result);
    assert.match(result.stderr, /GPU GPU-[0-9a-f-]+ was lost: nvmlDeviceGetTotalEnergyConsumption/);
    assert.match(result.stderr, /^hint: /m);
  });
});

Deno.test("a study whose experiments use different GPUs measures every run on its own GPUs", async () => {
  await withStudy(
    (model) => `
name: gpu-sets
${quick(model).replace("transformers: {extra:", "transformers: {device_map: auto, extra:")}
sweep:
  gpus: [[0], [1], [0, 1]]
`,
    async (study) => {
      const result = await run(["run", study.file, "-o", "results", "--json"], study);
      assert.equal(result.code, 0, result.stderr);
      const [dir] = studyDirs(study);
      const manifest = manifestOf(dir!);
      assert.equal(manifest.status, "completed");
      assert.equal(manifest.summary.completed, 3);
      const { readParquetRows } = await import("../src/results/read_parquet.ts");
      const gpuCounts = [];
      for (const entry of manifest.experiments) {
        const rows = await readParquetRows(join(dir!, entry.dir, "timeseries.parquet"));
        gpuCounts.push(new Set(rows.map((r) => r.gpu_uuid)).size);
      }
      assert.deepEqual(gpuCounts.sort(), [1, 1, 2]);
    },
    "gpu_count = 2\n",
  );
});
