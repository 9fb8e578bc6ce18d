import assert from "node:assert/strict";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import type { DoctorCheck } from "./doctor_checks.ts";
import { runCli } from "./run_cli.ts";

async function doctor(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(["doctor", ...args], {
    out: (t) => out += t,
    err: (t) => err += t,
    env: {},
    cwd,
  });
  return { code, out, err };
}

Deno.test(
  "llem doctor CONFIG checks the images its Apptainer experiments run, with the offline way to a .sif",
  inTempDir(async (dir) => {
    Deno.writeTextFileSync(
      `${dir}/study.yaml`,
      "model: org/m\nengine: vllm\nrunner: apptainer\nsweep:\n  generation.batch_size: [1, 2]\n",
    );
    const result = await doctor([`${dir}/study.yaml`, "--json"], dir);
    const checks = (JSON.parse(result.out) as { checks: DoctorCheck[] }).checks;
    // One check per image, however many experiments run it.
    assert.deepEqual(checks.filter((c) => c.name === "apptainer image"), [{
      name: "apptainer image",
      status: "fail",
      detail: "image vllm/vllm-openai:v0.33.0 is a registry name, not a file: Apptainer runs .sif files",
      fix: "where Docker has the image: docker save vllm/vllm-openai:v0.33.0 -o vllm-openai-v0.33.0.tar; " +
        "then apptainer build vllm-openai-v0.33.0.sif docker-archive:vllm-openai-v0.33.0.tar, " +
        "and set image: to that .sif",
    }]);
    assert.equal(result.code, 3);
  }),
);

Deno.test(
  "llem doctor CONFIG with a config of another runner adds no Apptainer image check; a bad config exits 2",
  inTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/docker.yaml`, "model: org/m\nrunner: docker\n");
    const checks =
      (JSON.parse((await doctor([`${dir}/docker.yaml`, "--json"], dir)).out) as { checks: DoctorCheck[] })
        .checks;
    assert.equal(checks.filter((c) => c.name === "apptainer image").length, 0);
    Deno.writeTextFileSync(`${dir}/bad.yaml`, "model: org/m\nrunner: lxc\n");
    const bad = await doctor([`${dir}/bad.yaml`], dir);
    assert.equal(bad.code, 2);
    assert.ok(bad.err.startsWith(`error: ${dir}/bad.yaml:2:9: runner: `), bad.err);
  }),
);
