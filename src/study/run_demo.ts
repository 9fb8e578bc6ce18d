import { join } from "node:path";
import { materializeHarness, TEST_ENGINE_ADAPTER } from "../runners/materialize_harness.ts";
import { SYSTEM_CLOCK } from "./llem_ports.ts";
import { measureStudy, type MeasureStudyOptions, type MeasureStudyOutcome } from "./measure_study.ts";
import { DEMO_SIMULATION, simulatedWorld } from "./simulated_world.ts";
import { resolveStudyRequest, type StudyRequest } from "./study_request.ts";

/** The study `llem demo` runs: a batch-size sweep, 3 cycles, the test engine on a folder of its own. */
export const DEMO_STUDY =
  `# llem demo: the whole pipeline on a simulated GPU and the test engine. Nothing here is measured.
name: demo-SIMULATED
model: ./demo-model
runner: process
dataset: {n_prompts: 8, input_len_tokens: 32}
generation: {max_new_tokens: 16, ignore_eos: true}
# the test engine's timing: seconds to each batch's first token, then per token
transformers: {extra: {ttft_s: 0.03, token_s: 0.01}}
measurement:
  sample_interval_ms: 20
  baseline: {enabled: true, strategy: fresh, duration_seconds: 5}
  warmup: {n_requests: 2}
  thermal_floor: {enabled: false}
sweep:
  generation.batch_size: [1, 4, 8]
execution: {n_cycles: 3, order: interleave}
`;

/**
 * Run the demo study in `dir` (its config, its model folder and results/ there): the simulated GPU of
 * simulatedWorld() measured by llem's own study runner, the test engine under the process runner. Every
 * file it writes says it is simulated (StudyRequest.simulated).
 */
export async function runDemo(
  where: { dir: string; env: Readonly<Record<string, string | undefined>> },
  options: MeasureStudyOptions = {},
): Promise<{ request: StudyRequest; measured: MeasureStudyOutcome }> {
  const { dir } = where;
  Deno.mkdirSync(join(dir, "demo-model"), { recursive: true });
  Deno.writeTextFileSync(
    join(dir, "demo-model", "config.json"),
    '{"llem_demo": "the test engine needs no model: this folder only stands for one"}\n',
  );
  Deno.writeTextFileSync(join(dir, "demo.yaml"), DEMO_STUDY);
  const resolved = resolveStudyRequest(
    { configPath: join(dir, "demo.yaml"), cwd: dir, outputDir: join(dir, "results") },
    where.env,
  );
  const harness = materializeHarness(resolved.harnessSourceDir, resolved.locations.cacheDir);
  const request: StudyRequest = {
    ...resolved,
    adapterPath: join(harness, TEST_ENGINE_ADAPTER),
    simulated: DEMO_SIMULATION,
  };
  const world = simulatedWorld(request.plan, SYSTEM_CLOCK);
  const measured = await measureStudy(request, {
    ...options,
    world,
    onEvent: (event) => {
      world.observe(event);
      options.onEvent?.(event);
    },
  });
  return { request, measured };
}
