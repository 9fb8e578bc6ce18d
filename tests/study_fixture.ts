/**
 * Studies for end-to-end tests of `llem run`: a folder with a local "model", a scenario for the NVML
 * stand-in and a config, and llem run as a separate process the way a user runs it.
 */
import { join } from "node:path";
import { readManifest } from "../src/results/manifest_store.ts";
import { experimentResultSchema } from "../src/results/result_schema.ts";
import { fakeNvmlLibrary } from "./fake_nvml_library.ts";
import { LLEM_PERMISSIONS } from "./llem_permissions.ts";

const repo = new URL("../", import.meta.url).pathname;
/** The stand-in GPU's constant draw in the default scenario. */
export const POWER_W = 70;

/** A study folder, its config file, and the environment llem runs with against the stand-ins. */
export interface Study {
  dir: string;
  file: string;
  env: Record<string, string>;
  /** What runs llem as another user (setpriv ... --reset-env), who must own `dir`; unset: this user. */
  asUser?: string[];
}

/** A study folder with a local "model", a scenario for the stand-in, a fresh baseline cache and a config. */
export function makeStudy(
  yaml: (model: string) => string,
  scenario = `gpu.0.power = const:${POWER_W}\n`,
): Study {
  const dir = Deno.makeTempDirSync({ prefix: "llem-run-test-" });
  const model = join(dir, "tiny-model");
  Deno.mkdirSync(model);
  Deno.writeTextFileSync(join(model, "config.json"), "{}");
  Deno.writeTextFileSync(join(dir, "scenario.ini"), scenario);
  const file = join(dir, "study.yaml");
  Deno.writeTextFileSync(file, yaml(model));
  return {
    dir,
    file,
    env: {
      LLEM_NVML_LIBRARY: fakeNvmlLibrary("full"),
      FAKE_NVML_SCENARIO: join(dir, "scenario.ini"),
      LLEM_ADAPTER_OVERRIDE: `${repo}engines/test_engine/adapter.py`,
      LLEM_CACHE_DIR: join(dir, "cache"),
      LLEM_LOCK_DIR: join(dir, "locks"),
      // No RAPL unless a test builds a stand-in (the host's /sys/class/powercap is not the test's to read).
      LLEM_POWERCAP_ROOT: join(dir, "no-powercap"),
      NO_COLOR: "1",
    },
  };
}

/** Run `body` on a fresh study folder, removed afterwards. */
export async function withStudy(
  yaml: (model: string) => string,
  body: (study: Study) => Promise<void>,
  scenario?: string,
): Promise<void> {
  const study = makeStudy(yaml, scenario);
  try {
    await body(study);
  } finally {
    Deno.removeSync(study.dir, { recursive: true });
  }
}

/** A fast experiment: the test engine, the process runner, short baselines, no thermal floor. */
export function experimentYaml(
  model: string,
  extra = "",
  engineExtra = "{ttft_s: 0.005, token_s: 0.005}",
): string {
  return `
model: ${model}
runner: process
dataset: {n_prompts: 4, input_len_tokens: 16}
generation: {batch_size: 2, max_new_tokens: 8}
transformers: {extra: ${engineExtra}}
measurement:
  sample_interval_ms: 10
  baseline: {enabled: true, duration_seconds: 5, spot_check_seconds: 1}
  warmup: {n_requests: 1}
  thermal_floor: {enabled: false}
${extra}`;
}

/**
 * argv running `command` as the study's user (study.asUser) when it has one, with the study's environment
 * and `env` over it: setpriv --reset-env starts that user with a login's environment, and `env` adds these.
 */
export function asStudyUser(command: string[], study: Study, env: Record<string, string> = {}): string[] {
  if (!study.asUser) return command;
  const assignments = Object.entries({ ...study.env, ...env }).map(([name, value]) => `${name}=${value}`);
  return [...study.asUser, "env", ...assignments, ...command];
}

/** Start llem with `args` on the study, as a user would (as the study's user, when it has one). */
export function llem(args: string[], study: Study): Deno.ChildProcess {
  const argv = asStudyUser([Deno.execPath(), "run", ...LLEM_PERMISSIONS, `${repo}main.ts`, ...args], study);
  return new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: study.dir,
    env: study.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

export async function run(
  args: string[],
  study: Study,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await llem(args, study).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

export function studyDirs(study: Study): string[] {
  const out = join(study.dir, "results");
  return [...Deno.readDirSync(out)].filter((e) => e.isDirectory).map((e) => join(out, e.name)).sort();
}

/** A study's manifest as llem's readers see it: manifest.json with its journal's later changes applied. */
export function manifestOf(dir: string) {
  return readManifest(dir);
}

export function resultOf(studyDir: string, runDir: string) {
  return experimentResultSchema.parse(
    JSON.parse(Deno.readTextFileSync(join(studyDir, runDir, "result.json"))),
  );
}

/** A study `llem run` measured against the stand-ins, for tests of what reads its files: its directory. */
export async function withMeasuredStudy(
  yaml: (model: string) => string,
  body: (study: Study, dir: string) => Promise<void>,
): Promise<void> {
  await withStudy(yaml, async (study) => {
    const measured = await run(["run", study.file, "-o", "results"], study);
    if (measured.code !== 0) {
      throw new Error(`llem run failed (${measured.code}): ${measured.stderr}${measured.stdout}`);
    }
    await body(study, studyDirs(study)[0]!);
  });
}

/** A study `name` of two experiments (max_new_tokens 4 and 8) × two cycles, without baselines. */
export function twoByTwoStudy(name: string): (model: string) => string {
  return (model) => `
name: ${name}
${
    experimentYaml(model, "execution: {n_cycles: 2}").replace(
      "baseline: {enabled: true",
      "baseline: {enabled: false",
    )
  }
sweep:
  generation.max_new_tokens: [4, 8]
`;
}
