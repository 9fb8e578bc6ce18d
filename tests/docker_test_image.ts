/**
 * The container test image built by scripts/ci_docker.sh (Debian minbase + python3, no registry), and
 * Deno tests that run only where a Docker daemon and that image are; elsewhere they show as skipped.
 */
import { containerUser } from "../src/runners/container_user.ts";
import { containerCheckArgv } from "../src/runners/readiness_argv.ts";
import { runProgram } from "../src/runners/run_program.ts";

const repo = new URL("../", import.meta.url).pathname;

/** The test image, or why the tests cannot run here (decided once, at module load). */
const available = await probeDocker();

/** A test image whose tag a script wrote in `tagFile` (under build/), or why it cannot be used. */
export async function probeDocker(
  tagFile = "build/docker_test_image",
  script = "scripts/ci_docker.sh",
): Promise<{ image: string } | { skip: string }> {
  const info = await runProgram(["docker", "info", "--format", "{{.ServerVersion}}"], { timeoutMs: 5_000 });
  if (info.code !== 0) return { skip: "no Docker daemon" };
  let image: string;
  try {
    image = Deno.readTextFileSync(`${repo}${tagFile}`).trim();
  } catch {
    return { skip: `no Docker test image: run ${script}` };
  }
  const inspect = await runProgram(["docker", "image", "inspect", image], { timeoutMs: 10_000 });
  if (inspect.code !== 0) return { skip: `no Docker test image ${image}: run ${script}` };
  return { image };
}

/**
 * Whether Docker takes `--gpus` here: dockerd found an NVIDIA Container Toolkit hook on its PATH (the
 * real one, or the stand-in scripts/ci_docker.sh gives a daemon it starts). Decided once per image, lazily.
 */
const gpus = new Map<string, Promise<string | null>>();
function gpusUnavailable(image: string): Promise<string | null> {
  if (!gpus.has(image)) gpus.set(image, probeGpus(image));
  return gpus.get(image)!;
}

function probeGpus(image: string): Promise<string | null> {
  // The same container preflight starts, so the skip decision and llem agree on what "works" means.
  const user = containerUser(Deno.uid() ?? 0, Deno.gid() ?? 0);
  return runProgram(containerCheckArgv("docker", { image, gpuUuids: ["GPU-probe"], user }), {
    timeoutMs: 60_000,
  })
    .then((
      result,
    ) =>
      result.code === 0 ? null : `Docker takes no --gpus: ${result.stderr.trim().split("\n").at(-1) ?? ""}`
    );
}

/**
 * A Deno.test that runs only where Docker and the test image (or the image `probed`) are (and, with `gpus`,
 * where Docker takes `--gpus`); elsewhere a visible skip.
 */
export function dockerTest(
  name: string,
  fn: (image: string) => Promise<void>,
  options: { gpus?: boolean; probed?: { image: string } | { skip: string } } = {},
): void {
  const probed = options.probed ?? available;
  if ("skip" in probed) {
    Deno.test({ name: `SKIPPED (${probed.skip}): ${name}`, ignore: true, fn: () => {} });
    return;
  }
  const image = probed.image;
  if (!options.gpus) {
    Deno.test(name, () => fn(image));
    return;
  }
  Deno.test(name, async (t) => {
    const why = await gpusUnavailable(image);
    // A skip that still shows: the step is ignored with the reason in its name.
    if (why) await t.step({ name: `SKIPPED (${why})`, ignore: true, fn: () => {} });
    else await fn(image);
  });
}
