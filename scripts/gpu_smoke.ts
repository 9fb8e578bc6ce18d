/**
 * GPU smoke test (needs an NVIDIA GPU, and a Python with torch and transformers): builds a tiny
 * Llama-style model locally (no download), runs a real transformers session through the process runner,
 * brackets each window with real NVML energy counter reads, and prints tokens, timings, energy and the
 * protocol transcript. It asserts only that energy is positive and tokens were generated.
 *   deno run -A scripts/gpu_smoke.ts [--python python3] [--gpu 0] [--nvml-library PATH]
 */
import { nvmlLibraryPath, openNvmlGpuSystem } from "../src/gpu/nvml_gpu_system.ts";
import { selectGpus } from "../src/gpu/select_gpus.ts";
import { windowEnergy } from "../src/measure/window_energy.ts";
import { processArgv } from "../src/runners/process_argv.ts";
import { HarnessSession } from "../src/runners/harness_session.ts";

const repo = new URL("../", import.meta.url).pathname;
const option = (name: string) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
};
const python = option("--python") ?? "python3";
const modelDir = Deno.makeTempDirSync({ prefix: "llem-tiny-model-" });
const made = await new Deno.Command(python, { args: [`${repo}scripts/make_tiny_model.py`, modelDir] })
  .output();
if (!made.success) throw new Error(`make_tiny_model.py failed:\n${new TextDecoder().decode(made.stderr)}`);

const system = openNvmlGpuSystem(nvmlLibraryPath(option("--nvml-library"), Deno.env.toObject()));
const [uuid] = selectGpus(system.gpus.map((g) => g.info), [Number(option("--gpu") ?? 0)]);
const gpu = system.gpus.find((g) => g.info.uuid === uuid)!;
console.log(`GPU ${gpu.info.index} ${gpu.info.name} ${uuid}, driver ${system.driverVersion}`);

const { argv, env } = processArgv({
  engine: "transformers",
  harnessDir: `${repo}engines`,
  gpuUuids: [uuid!],
  readOnlyMounts: [modelDir],
  exchangeDir: modelDir,
  allowNetwork: false,
  sessionId: "smoke",
  env: {},
}, python);
const transcript: unknown[] = [];
const session = await HarnessSession.start(argv, { spawn: { env } });
transcript.push(session.hello);
try {
  const loaded = await session.request(
    { type: "configure", model: modelDir, engine_options: { device_map: "cuda" }, dtype: "float16", seed: 0 },
    "loaded",
    300_000,
  );
  transcript.push(loaded);
  for (const [batch, profiling] of [[1, true], [8, false]] as const) {
    const workload = {
      synthetic: { n_prompts: 16, input_len_tokens: 32, seed: 1 },
      batch_size: batch,
      max_new_tokens: 64,
      max_input_tokens: null,
      ignore_eos: true,
      decoding: { temperature: 0, top_p: 1, top_k: 0, repetition_penalty: 1, seed: 0 },
      latency_profiling: profiling,
    };
    const id = `batch${batch}`;
    transcript.push(await session.request({ type: "prepare", window_id: id, workload }, "ready", 300_000));
    const start = { timeSeconds: performance.now() / 1000, energyJoules: gpu.readEnergyJoules()! };
    await session.request({ type: "go", window_id: id }, "finished", 600_000);
    const end = { timeSeconds: performance.now() / 1000, energyJoules: gpu.readEnergyJoules()! };
    const done = await session.expect("done", 600_000);
    transcript.push(done);
    const energy = windowEnergy({
      startSeconds: start.timeSeconds,
      endSeconds: end.timeSeconds,
      counterStart: start,
      counterEnd: end,
    });
    const tokens = done.requests.reduce((sum, r) => sum + r.output_tokens, 0);
    console.log(
      `${id}: ${tokens} output tokens in ${(end.timeSeconds - start.timeSeconds).toFixed(3)} s, ` +
        `${energy.energyJoules?.toFixed(3)} J (${energy.method}), ${
          ((energy.energyJoules ?? 0) * 1000 / tokens).toFixed(3)
        } mJ/token` +
        (energy.warnings.length ? `; warnings: ${energy.warnings.join("; ")}` : ""),
    );
    if (!(tokens > 0 && (energy.energyJoules ?? 0) > 0)) {
      throw new Error(`smoke failed: ${tokens} tokens, ${energy.energyJoules} J`);
    }
  }
  await session.stop();
} finally {
  system.close();
  Deno.removeSync(modelDir, { recursive: true });
}
console.log("transcript:");
for (const message of transcript) console.log(JSON.stringify(message));
