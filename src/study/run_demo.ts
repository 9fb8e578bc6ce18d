import { join } from "node:path";
import { UsageError } from "../errors/usage_error.ts";
import { writeFailure } from "../results/write_error.ts";
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
  writeDemoFolder(dir);
  const resolved = resolveStudyRequest(
    { configPath: join(dir, "demo.yaml"), cwd: dir, outputDir: join(dir, "results") },
    where.env,
  );
  const { cacheDir } = resolved.locations;
  const harness = materializeHarness(resolved.harnessSourceDir, cacheDir);
  const request: StudyRequest = {
    ...resolved,
    adapterPath: join(harness, TEST_ENGINE_ADAPTER),
    simulated: DEMO_SIMULATION,
    // The simulated GPU is nobody's: no GPUs hidden by CUDA_VISIBLE_DEVICES or Slurm, a lock and a
    // baseline cache of this user's own, apart from those of real GPUs.
    host: { ...resolved.host, gpuEnvironment: {} },
    locations: {
      ...resolved.locations,
      lockDir: join(cacheDir, "demo", "gpu-locks"),
      baselineCacheDir: join(cacheDir, "demo", "baselines"),
    },
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

/** What `llem demo` keeps in its folder; anything else there means the folder is not a demo's. */
const DEMO_ENTRIES = new Set(["demo.yaml", "demo-model", "results"]);

/**
 * The demo's config and model folder in `dir`, made if missing. A folder holding anything else, or a
 * demo.yaml that is not the demo's, is refused rather than written into (exit 2); one llem cannot write
 * is NotWritable (exit 3).
 */
function writeDemoFolder(dir: string): void {
  const config = join(dir, "demo.yaml");
  const foreign = existingEntries(dir).filter((name) => !DEMO_ENTRIES.has(name));
  const ours = !existingEntries(dir).includes("demo.yaml") ||
    Deno.readTextFileSync(config).startsWith(DEMO_STUDY.split("\n")[0]!);
  if (foreign.length > 0 || !ours) {
    throw new UsageError(
      `${dir} is not a folder of llem demo's (it holds ${
        foreign.length ? foreign.slice(0, 3).join(", ") : "another demo.yaml"
      })`,
      "give llem demo an empty or new folder with -o, or the folder of an earlier llem demo",
    );
  }
  try {
    Deno.mkdirSync(join(dir, "demo-model"), { recursive: true });
    Deno.writeTextFileSync(
      join(dir, "demo-model", "config.json"),
      '{"llem_demo": "the test engine needs no model: this folder only stands for one"}\n',
    );
    Deno.writeTextFileSync(config, DEMO_STUDY);
  } catch (error) {
    if (error instanceof Deno.errors.NotADirectory || error instanceof Deno.errors.AlreadyExists) {
      throw new UsageError(`${dir} is not a folder`, "give llem demo a folder with -o");
    }
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
      // /proc and /sys: mkdir says "no such file", or Deno keeps them for --allow-all.
      throw new UsageError(
        `cannot make ${dir}: ${(error as Error).message}`,
        "give llem demo a folder it can make with -o",
      );
    }
    throw writeFailure(error, dir) ?? error;
  }
}

/** The names in `dir`, or none when it does not exist (or is not a folder: writing then says so). */
function existingEntries(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((entry) => entry.name);
  } catch {
    return [];
  }
}
