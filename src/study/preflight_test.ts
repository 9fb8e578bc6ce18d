/** Preflight's check of the output folder: it probes, and leaves nothing behind. */
import { inTempDir } from "../../tests/in_temp_dir.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeRequest, quickExperiment } from "../../tests/study_runner_fixture.ts";
import { preflight, type PreflightReport } from "./preflight.ts";

/** Preflight of a quick study writing to `outputDir`, without NVML (that problem is expected). */
async function preflightInto(dir: string, outputDir: string): Promise<PreflightReport> {
  // A Python that does not exist fails the runner check at once, without importing an engine.
  const yaml = `name: p\npython: ${join(dir, "no-python")}\n${quickExperiment()}`;
  return await preflight(fakeRequest(yaml, dir, { outputDir }), {
    gpuSystem: null,
    nvmlFailure: { check: "nvml", message: "NVML is not loaded", fix: "install the driver" },
    runs: 1,
    probe: () => Promise.resolve([]),
  });
}

Deno.test(
  "preflight() checks an output folder that does not exist yet without creating it or its parents",
  inTempDir(async (dir) => {
    const report = await preflightInto(dir, join(dir, "new", "results"));
    assert.ok(!report.problems.some((p) => p.check === "output" || p.check === "disk"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [], "preflight left something behind");
    assert.ok(
      report.notes.some((n) => n.includes(`free in ${join(dir, "new", "results")}`)),
      report.notes.join(),
    );
  }),
);

Deno.test(
  "preflight() leaves an existing output folder as it found it",
  inTempDir(async (dir) => {
    Deno.mkdirSync(join(dir, "results"));
    const report = await preflightInto(dir, join(dir, "results"));
    assert.ok(!report.problems.some((p) => p.check === "output" || p.check === "disk"));
    assert.deepEqual([...Deno.readDirSync(join(dir, "results"))], []);
  }),
);

Deno.test(
  "preflight() reports an output path that is a file, or lies under one, as an output problem",
  inTempDir(async (dir) => {
    Deno.writeTextFileSync(join(dir, "results"), "");
    for (const outputDir of [join(dir, "results"), join(dir, "results", "sub")]) {
      const report = await preflightInto(dir, outputDir);
      const output = report.problems.find((p) => p.check === "output");
      assert.match(
        output?.message ?? "",
        new RegExp(`cannot write to ${outputDir}: .*results is not a folder`),
      );
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["results"]);
  }),
);

Deno.test(
  "preflight() names the model files a container's user cannot read (llem as root runs the engine as nobody)",
  inTempDir(async (dir) => {
    const model = join(dir, "tiny-model");
    Deno.mkdirSync(join(model, "sub"), { recursive: true });
    Deno.writeTextFileSync(join(model, "config.json"), "{}");
    Deno.writeTextFileSync(join(model, "model.safetensors"), "weights");
    Deno.chmodSync(join(model, "model.safetensors"), 0o600); // as save_pretrained leaves it
    const yaml = `name: p\n${
      quickExperiment().replace("model: org/model", `model: ${model}`).replace(
        "runner: process",
        "runner: docker",
      )
    }`;
    const check = async (uid: number) =>
      (await preflight(fakeRequest(yaml, dir, { host: { uid, gid: uid, cwd: dir, gpuEnvironment: {} } }), {
        gpuSystem: null,
        nvmlFailure: null,
        runs: 1,
        probe: () => Promise.resolve([]),
      })).problems.filter((p) => p.check === "model");
    const [problem, ...more] = await check(0);
    assert.equal(more.length, 0);
    assert.match(problem?.message ?? "", /model\.safetensors/);
    assert.match(problem?.message ?? "", /not readable by the container's user 65534/);
    assert.match(problem?.fix ?? "", /chmod -R a\+rX/);
    // The same files of a user who is not root: the container runs as them, and the owner may read.
    const user = Deno.uid() === 0 ? 1000 : Deno.uid()!;
    for (const entry of ["", "sub", "config.json", "model.safetensors"]) {
      Deno.chownSync(join(model, entry), user, user);
    }
    assert.deepEqual(await check(user), []);
  }),
);

Deno.test(
  "preflight()'s model check names each file once under its real path, through link loops and hub links",
  inTempDir(async (dir) => {
    // A hub cache entry: snapshots link to blobs; one blob 0600, and a link loop for good measure.
    const entry = join(dir, "hub", "models--org--m");
    Deno.mkdirSync(join(entry, "blobs"), { recursive: true });
    Deno.mkdirSync(join(entry, "snapshots", "rev"), { recursive: true });
    Deno.writeTextFileSync(join(entry, "blobs", "w"), "weights");
    Deno.chmodSync(join(entry, "blobs", "w"), 0o600);
    Deno.symlinkSync("../../blobs/w", join(entry, "snapshots", "rev", "model.safetensors"));
    Deno.symlinkSync("..", join(entry, "snapshots", "rev", "up"));
    const yaml = `name: p\n${
      quickExperiment().replace("model: org/model", "model: org/m").replace(
        "runner: process",
        "runner: docker",
      )
    }`;
    const request = fakeRequest(yaml, dir, { host: { uid: 0, gid: 0, cwd: dir, gpuEnvironment: {} } });
    request.locations.huggingFaceCache = join(dir, "hub");
    const report = await preflight(request, {
      gpuSystem: null,
      nvmlFailure: null,
      runs: 1,
      probe: () => Promise.resolve([]),
    });
    const model = report.problems.filter((p) => p.check === "model");
    assert.equal(model.length, 1, JSON.stringify(report.problems));
    assert.match(model[0]!.message, new RegExp(`^${join(entry, "blobs", "w")} not readable`));
    // A 0600 file with an access control list shows the ACL's mask in its group bits: not refused.
    Deno.chmodSync(join(entry, "blobs", "w"), 0o640);
    const again = await preflight(request, {
      gpuSystem: null,
      nvmlFailure: null,
      runs: 1,
      probe: () => Promise.resolve([]),
    });
    assert.deepEqual(again.problems.filter((p) => p.check === "model"), []);
  }),
);

Deno.test(
  "preflight() refuses memory_limit where the runtime ignores resource limits, and notes the pids limit lost",
  inTempDir(async (dir) => {
    // Rootless Podman on cgroups v1 drops --memory and --pids-limit with only a warning on its stderr.
    const why = "rootless on cgroups v1: containers' memory and pids limits are ignored";
    const probe = () =>
      Promise.resolve([{
        runtime: "podman" as const,
        installed: true,
        usable: true,
        version: "4.3.1",
        nvidiaSupport: true,
        detail: "rootless, cgroups v1",
        limitsIgnored: why,
      }]);
    const check = async (extra: string) => {
      const yaml = `name: p\n${quickExperiment().replace("runner: process", `runner: podman\n${extra}`)}`;
      return await preflight(fakeRequest(yaml, dir), { gpuSystem: null, nvmlFailure: null, runs: 1, probe });
    };
    const limited = await check("memory_limit: 64g");
    const refused = limited.problems.filter((p) => p.check === "runner");
    assert.deepEqual(refused.map((p) => p.message), [`podman cannot enforce memory_limit 64g here: ${why}`]);
    assert.match(refused[0]!.fix, /cgroups v2.*or remove memory_limit/);
    const plain = await check("");
    assert.deepEqual(plain.problems.filter((p) => p.check === "runner"), []);
    assert.ok(
      plain.notes.includes(`podman runs the engine without its pids limit: ${why}`),
      plain.notes.join(),
    );
  }),
);

Deno.test(
  "preflight() runs Apptainer's experiments with singularity where only it is installed",
  inTempDir(async (dir) => {
    const yaml = `name: p\n${quickExperiment().replace("runner: process", "runner: apptainer")}`;
    const probe = (program?: "singularity") => () =>
      Promise.resolve([{
        runtime: "apptainer" as const,
        ...(program ? { program } : {}),
        installed: true,
        usable: true,
        version: "4.1.0",
        nvidiaSupport: null,
        detail: "singularity-ce version 4.1.0",
      }]);
    const run = async (program?: "singularity") =>
      (await preflight(fakeRequest(yaml, dir), {
        gpuSystem: null,
        nvmlFailure: null,
        runs: 1,
        probe: probe(program),
      }))
        .runners;
    assert.deepEqual([...(await run("singularity")).values()], [{
      runner: "apptainer",
      reason: null,
      program: "singularity",
    }]);
    assert.deepEqual([...(await run()).values()], [{ runner: "apptainer", reason: null }]);
  }),
);

Deno.test(
  "preflight() refuses an engine's Docker image for Apptainer, with the offline way to a .sif",
  inTempDir(async (dir) => {
    const apptainer = () =>
      Promise.resolve([{
        runtime: "apptainer" as const,
        installed: true,
        usable: true,
        version: "1.3.4",
        nvidiaSupport: null,
        detail: "apptainer version 1.3.4",
      }]);
    const check = async (lines: string) => {
      const yaml = `name: p\n${quickExperiment(lines).replace("runner: process", "runner: apptainer")}`;
      const report = await preflight(fakeRequest(yaml, dir), {
        gpuSystem: null,
        nvmlFailure: null,
        runs: 1,
        probe: apptainer,
      });
      return report.problems.filter((p) => p.check === "image");
    };
    const [problem, ...more] = await check("");
    assert.equal(more.length, 0);
    assert.equal(
      problem?.message,
      "image huggingface/transformers-pytorch-gpu:4.46.3 is a registry name, not a file: Apptainer runs .sif files",
    );
    assert.match(
      problem?.fix ?? "",
      /docker save huggingface\/transformers-pytorch-gpu:4\.46\.3 -o .*\.tar; then apptainer build .*\.sif docker-archive:/,
    );
    Deno.writeTextFileSync(join(dir, "engine.sif"), "");
    assert.deepEqual(await check(`image: ${join(dir, "engine.sif")}`), []);
    assert.match((await check("image: docker://org/engine:1"))[0]?.message ?? "", /allow_network is false/);
    // One image, two experiments: the one allowed the network first, the offline one still refused.
    const swept = await check("image: docker://org/engine:1\nsweep:\n  allow_network: [true, false]");
    assert.equal(swept.length, 1);
    assert.match(swept[0]!.message, /allow_network is false/);
  }),
);
