/**
 * `llem demo` as a user runs it from a checkout: no GPU, no NVML, no engine, no network; only Python 3.
 * The study it measures on its simulated GPU must say it is simulated everywhere, and the commands that read
 * studies must refuse to mix it with a measured one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { planStudy } from "../src/config/plan_study.ts";
import { readConfigFile } from "../src/study/read_config_file.ts";
import { DEMO_STUDY } from "../src/study/run_demo.ts";
import { StudyRecord } from "../src/study/study_record.ts";
import { LLEM_PERMISSIONS } from "./llem_permissions.ts";
import { manifestOf, resultOf } from "./study_fixture.ts";

const repo = new URL("../", import.meta.url).pathname;
/** A study measured against the NVML stand-in (not simulated), committed as a fixture. */
const MEASURED = `${repo}tests/fixtures/study_demo`;

async function llem(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...LLEM_PERMISSIONS, `${repo}main.ts`, ...args],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

/**
 * Run `body` with a fresh home folder and an environment with nothing of llem's test set-up (no NVML
 * stand-in, no adapter override): a PATH for python3, that home, a cache and lock folder in it, `extra`.
 */
async function withHome(
  body: (home: string, env: Record<string, string>) => Promise<void>,
  extra: (home: string) => Record<string, string> = () => ({}),
): Promise<void> {
  const home = Deno.makeTempDirSync({ prefix: "llem-demo-test-" });
  try {
    await body(home, {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      LLEM_CACHE_DIR: join(home, "cache"),
      LLEM_LOCK_DIR: join(home, "locks"),
      ...extra(home),
    });
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

Deno.test("llem demo measures a study on a simulated GPU and says so in every file it writes", async () => {
  await withHome(async (home, env) => {
    const demo = await llem(["demo", "-o", join(home, "demo")], env);
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    const studyDir = /^results: (.+)$/m.exec(demo.stdout)?.[1];
    const report = /^report: (.+)$/m.exec(demo.stdout)?.[1];
    assert.ok(studyDir && report, demo.stdout);
    assert.match(studyDir, /\/demo-SIMULATED_[0-9T-]+$/);
    assert.match(demo.stdout, /SIMULATED: these numbers come from a power model/);

    const manifest = manifestOf(studyDir);
    assert.match(manifest.simulated ?? "", /^llem demo: a simulated GPU/);
    assert.equal(manifest.summary.completed, 9);
    const results = manifest.experiments.map((run) => resultOf(studyDir, run.dir));
    for (const result of results) {
      assert.equal(result.environment!.simulated, manifest.simulated);
      assert.match(result.measurement_warnings[0]!, /^SIMULATED: .*no GPU was measured$/);
      assert.equal(result.environment!.gpus[0]!.name, "Simulated GPU (llem demo)");
      assert.ok(result.total_energy_j > 0);
    }
    // The power model: a power-cap event once, and energy per token falling as batches grow.
    assert.equal(results.filter((r) => r.thermal_throttle?.power_cap).length, 1);
    const mjPerToken = (batch: number) => {
      const runs = manifest.experiments.flatMap((run, i) => {
        const config = JSON.parse(Deno.readTextFileSync(join(studyDir, run.dir, "effective_config.json")));
        return config.generation.batch_size === batch ? [results[i]!.mj_per_tok_total!] : [];
      });
      return runs.reduce((sum, value) => sum + value, 0) / runs.length;
    };
    assert.ok(mjPerToken(1) > mjPerToken(4) && mjPerToken(4) > mjPerToken(8));
    assert.match(Deno.readTextFileSync(report), /<p class="simulated" role="alert"><b>SIMULATED<\/b>/);

    // Mixing it with a measured study is refused unless asked for; exporting it too.
    const mixed = await llem(["results", studyDir, MEASURED], env);
    assert.equal(mixed.code, 2, mixed.stderr);
    assert.match(mixed.stderr, /is simulated \(llem demo\) and .*study_demo measured/);
    assert.equal((await llem(["results", studyDir, MEASURED, "--allow-simulated"], env)).code, 0);
    const mixing = [["report", studyDir, MEASURED, "-o", join(home, "r.html")], [
      "query",
      "select 1",
      studyDir,
      MEASURED,
    ]];
    for (const args of mixing) {
      const refused = await llem(args, env);
      assert.equal(refused.code, 2, args.join(" "));
      assert.match(refused.stderr, /simulated \(llem demo\) and .* measured/);
    }
    // Nothing simulated passes validation for publication.
    const validated = await llem(["validate", studyDir, "--strict"], env);
    assert.notEqual(validated.code, 0);
    assert.match(validated.stdout + validated.stderr, /simulated, not measured/);
    const exported = await llem(["export", studyDir, "--format", "codecarbon-csv"], env);
    assert.equal(exported.code, 2);
    assert.match(exported.stderr, /a peer's format has no field to say so/);
    const alone = await llem(["results", studyDir], env);
    assert.match(alone.stdout, /^SIMULATED: llem demo/m);
  });
});

Deno.test("llem demo without Python 3 says that Python is all it needs, and runs nothing", async () => {
  await withHome(async (home, env) => {
    const demo = await llem(["demo", "-o", join(home, "demo")], env);
    assert.equal(demo.code, 3, demo.stdout + demo.stderr);
    assert.match(demo.stderr, /error: .*python3/i);
    assert.match(demo.stderr, /llem demo needs only Python 3\.9 or newer \(python3 on the PATH\)/);
    assert.deepEqual([...Deno.readDirSync(join(home, "demo"))].map((e) => e.name).sort(), [
      "demo-model",
      "demo.yaml",
    ]);
  }, (home) => ({ PATH: join(home, "no-such-bin") }));
});

Deno.test("llem run never resumes a study llem demo simulated: measured runs would join simulated ones", async () => {
  await withHome(async (home, env) => {
    // A demo study left unfinished: its manifest as llem demo writes it, one run still pending.
    const dir = join(home, "results", "demo-SIMULATED_2026-11-30T00-00-00");
    Deno.mkdirSync(join(home, "results"), { recursive: true });
    Deno.writeTextFileSync(join(home, "demo.yaml"), DEMO_STUDY);
    Deno.mkdirSync(join(home, "demo-model"));
    Deno.writeTextFileSync(join(home, "demo-model", "config.json"), "{}");
    const plan = planStudy(join(home, "demo.yaml"), readConfigFile);
    const record = StudyRecord.open({
      plan,
      configPath: join(home, "demo.yaml"),
      resume: null,
      llem: { version: "test", commit: "test" },
      simulated: "llem demo: test",
    }, { dir, onEvent: () => {} });
    assert.equal(record.manifest.simulated, "llem demo: test");
    for (
      const args of [["run", join(home, "demo.yaml"), "--resume"], [
        "run",
        join(home, "demo.yaml"),
        dir,
        "--resume",
      ]]
    ) {
      const resumed = await llem([...args, "-o", join(home, "results")], env);
      assert.equal(resumed.code, 2, resumed.stdout + resumed.stderr);
      assert.match(resumed.stderr, /simulated by llem demo/);
    }
  });
});

Deno.test("llem demo refuses a folder that is not a demo's, and ignores the GPUs CUDA_VISIBLE_DEVICES hides", async () => {
  await withHome(async (home, env) => {
    Deno.mkdirSync(join(home, "project"));
    Deno.writeTextFileSync(join(home, "project", "paper.tex"), "mine");
    const refused = await llem(["demo", "-o", join(home, "project")], env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /is not a folder of llem demo's \(it holds paper\.tex\)/);
    assert.deepEqual([...Deno.readDirSync(join(home, "project"))].map((e) => e.name), ["paper.tex"]);
    Deno.writeTextFileSync(join(home, "a-file"), "");
    assert.equal((await llem(["demo", "-o", join(home, "a-file")], env)).code, 2);
    // procfs answers mkdir with "no such file": bad input too, not a bug in llem.
    const proc = await llem(["demo", "-o", "/proc/llem-demo"], env);
    assert.equal(proc.code, 2, proc.stderr);
    assert.match(proc.stderr, /cannot make \/proc\/llem-demo/);
    // No GPU is visible to CUDA here, and the simulated one is not CUDA's: the demo runs all the same.
    const demo = await llem(["demo", "-o", join(home, "demo")], env);
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  }, () => ({ CUDA_VISIBLE_DEVICES: "" }));
});
