/** `llem export` as a user runs it, on a study `llem run` wrote against the stand-ins. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { manifestOf, run, twoByTwoStudy, withMeasuredStudy } from "../../tests/study_fixture.ts";
import { CODECARBON_FIELDS } from "./render_export.ts";

Deno.test("llem export writes a study as Zeus's window log, CodeCarbon's emissions.csv and ML.ENERGY's task file", async () => {
  await withMeasuredStudy(twoByTwoStudy("export"), async (study, dir) => {
    const manifest = manifestOf(dir);
    const energies = manifest.experiments.map((r) => r.total_energy_j!);
    const exported = async (...args: string[]) => {
      const result = await run(["export", dir, ...args], study);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    };
    const zeus = (await exported("--format", "zeus-csv")).trim().split("\n").map((line) => line.split(","));
    assert.deepEqual(zeus[0], ["start_time", "window_name", "elapsed_time", "gpu0_energy"]);
    assert.deepEqual(zeus.slice(1).map((row) => row[1]), manifest.experiments.map((r) => r.dir));
    assert.deepEqual(zeus.slice(1).map((row) => Number(row[3])), energies);

    const carbon = (await exported("--format", "codecarbon-csv", "--grid-intensity", "250", "--pue", "1.2"))
      .trim().split("\n").map((line) => line.split(","));
    assert.deepEqual(carbon[0], [...CODECARBON_FIELDS, "grid_intensity_g_per_kwh"]);
    const column = (name: string) => carbon[0]!.indexOf(name);
    for (const [i, row] of carbon.slice(1).entries()) {
      const kwh = energies[i]! / 3.6e6;
      assert.ok(Math.abs(Number(row[column("gpu_energy")]) - kwh) < 1e-15);
      assert.ok(Math.abs(Number(row[column("emissions")]) - kwh * 1.2 * 250 / 1000) < 1e-15);
      assert.equal(row[column("cpu_energy")], "", "llem measures no CPU: left empty, not made up");
    }

    const file = join(study.dir, "task.json");
    await exported("--format", "ml-energy", "-o", file);
    const task = JSON.parse(Deno.readTextFileSync(file));
    assert.equal(task.configurations.length, 2);
    const firstRuns = manifest.experiments.filter((r) => r.experiment === 1).map((r) => r.total_energy_j!);
    assert.ok(
      Math.abs(task.configurations[0].energy_per_request_joules - (firstRuns[0]! + firstRuns[1]!) / 2 / 4) <
        1e-9,
    );
    assert.match(await exported("--format", "csv"), /^study,study_dir,experiment,/);

    for (
      const args of [["--format", "parquet"], ["--format", "codecarbon-csv"], [
        "--format",
        "codecarbon-csv",
        "--grid-intensity",
        "-5",
      ]]
    ) {
      const refused = await run(["export", dir, ...args], study);
      assert.equal(refused.code, 2, `${args}: ${refused.stderr}`);
    }
  });
});
