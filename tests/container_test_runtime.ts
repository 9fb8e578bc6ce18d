/**
 * The container runtimes the container tests run against, each holding the test image (Debian minbase +
 * python3, no registry) that scripts/ci_docker.sh or scripts/ci_podman.sh put in its store:
 *
 * - `docker`: the Docker daemon;
 * - `podman`: Podman as the tests' own user (rootful where the tests run as root, as in CI);
 * - `podman rootless`: Podman as the unprivileged user scripts/ci_podman.sh made (only where the tests run
 *   as root, which can become that user).
 *
 * A test written once with containerTest() runs against each runtime that is here, and shows as skipped,
 * with the reason, for each that is not.
 */
import { standInGpuUuids } from "../scripts/stand_in_cdi_spec.ts";
import { containerCheckArgv } from "../src/runners/readiness_argv.ts";
import { runProgram } from "../src/runners/run_program.ts";
import type { Study } from "./study_fixture.ts";

const repo = new URL("../", import.meta.url).pathname;

/** How a test names a runtime. */
export type RuntimeLabel = "docker" | "podman" | "podman rootless";

/** A container runtime with the test image, and the user llem runs as to use it. */
export interface ContainerTestRuntime {
  label: RuntimeLabel;
  runtime: "docker" | "podman";
  image: string;
  /** The host user llem runs as here: the tests' own, or the rootless user. */
  host: { uid: number; gid: number };
  /** What runs a program as that user: nothing for the tests' own; setpriv for the rootless user. */
  asUser: string[];
}

/** A runtime, or why the tests cannot use it here. */
export type ProbedRuntime = ContainerTestRuntime | { label: RuntimeLabel; skip: string };

/** argv running the runtime's CLI with `args`, as the runtime's user. */
export function runtimeArgv(runtime: ContainerTestRuntime, args: readonly string[]): string[] {
  return [...runtime.asUser, runtime.runtime, ...args];
}

/** Where a runtime's test image tag is written, and by which script. */
export interface TestImageSource {
  tagFile: string;
  script: string;
}

const SCRIPTS: Record<RuntimeLabel, TestImageSource> = {
  "docker": { tagFile: "build/docker_test_image", script: "scripts/ci_docker.sh" },
  "podman": { tagFile: "build/podman_test_image", script: "scripts/ci_podman.sh" },
  "podman rootless": { tagFile: "build/podman_test_image", script: "scripts/ci_podman.sh" },
};

/** The user rootless Podman runs as (scripts/ci_podman.sh), or why there is none. */
async function rootlessUser(): Promise<{ host: { uid: number; gid: number }; asUser: string[] } | string> {
  if (Deno.uid() !== 0) return `the tests run as uid ${Deno.uid()}: the "podman" variant is the rootless one`;
  const read = (file: string) => {
    try {
      return Deno.readTextFileSync(`${repo}build/${file}`).trim();
    } catch {
      return null;
    }
  };
  const name = read("podman_rootless_user");
  if (!name) {
    return read("podman_rootless_unavailable") ?? "no rootless Podman user: run scripts/ci_podman.sh";
  }
  const ids = await runProgram(["id", "-u", name], { timeoutMs: 5_000 });
  const gids = await runProgram(["id", "-g", name], { timeoutMs: 5_000 });
  if (ids.code !== 0 || gids.code !== 0) return `no user ${name}: run scripts/ci_podman.sh`;
  const uid = Number(ids.stdout.trim());
  return {
    host: { uid, gid: Number(gids.stdout.trim()) },
    // A login's environment, with the runtime folder pam_systemd would set (scripts/ci_podman.sh makes it):
    // without it, rootless Podman keeps runc's state under $TMPDIR, which the tests vary.
    asUser: [
      ..."setpriv --init-groups --reset-env".split(" "),
      `--reuid=${name}`,
      `--regid=${name}`,
      "env",
      `XDG_RUNTIME_DIR=/run/user/${uid}`,
    ],
  };
}

/** A runtime with the test image whose tag `source` names, or why it cannot be used here. */
export async function probeTestRuntime(
  label: RuntimeLabel,
  source: TestImageSource = SCRIPTS[label],
): Promise<ProbedRuntime> {
  const runtime = label === "docker" ? "docker" : "podman";
  let user: { host: { uid: number; gid: number }; asUser: string[] } = {
    host: { uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0 },
    asUser: [],
  };
  if (label === "podman rootless") {
    const found = await rootlessUser();
    if (typeof found === "string") return { label, skip: found };
    user = found;
  }
  const answers = runtime === "docker" ? ["info", "--format", "{{.ServerVersion}}"] : ["--version"];
  const info = await runProgram([...user.asUser, runtime, ...answers], { timeoutMs: 10_000 });
  if (info.code !== 0) return { label, skip: runtime === "docker" ? "no Docker daemon" : "no podman" };
  let image: string;
  try {
    image = Deno.readTextFileSync(`${repo}${source.tagFile}`).trim();
  } catch {
    return { label, skip: `no ${label} test image: run ${source.script}` };
  }
  const inspect = await runProgram([...user.asUser, runtime, "image", "inspect", image], {
    timeoutMs: 10_000,
  });
  if (inspect.code !== 0) return { label, skip: `no ${label} test image ${image}: run ${source.script}` };
  return { label, runtime, image, ...user };
}

/** The runtimes, probed once at module load. */
const RUNTIMES: ProbedRuntime[] = await Promise.all(
  (["docker", "podman", "podman rootless"] as const).map((label) => probeTestRuntime(label)),
);

/**
 * The NVML stand-in's GPUs (its default UUIDs), which the stand-in GPU setups hand over: Docker's stand-in
 * toolkit hook takes any UUID, Podman's stand-in CDI spec (scripts/ci_podman.sh) defines exactly these.
 */
let standInUuids: Promise<string[]> | null = null;
export function standInGpus(): Promise<string[]> {
  return standInUuids ??= standInGpuUuids();
}

/**
 * Whether the runtime takes GPUs here: Docker found an NVIDIA Container Toolkit hook on dockerd's PATH (the
 * real one, or the stand-in ci_docker.sh gives a daemon it starts); Podman resolves the stand-in's first GPU
 * through a CDI spec. Decided once per runtime and image, lazily.
 */
const gpus = new Map<string, Promise<string | null>>();
function gpusUnavailable(runtime: ContainerTestRuntime): Promise<string | null> {
  const key = `${runtime.label} ${runtime.image}`;
  if (!gpus.has(key)) gpus.set(key, probeGpus(runtime));
  return gpus.get(key)!;
}

async function probeGpus(runtime: ContainerTestRuntime): Promise<string | null> {
  const [uuid] = await standInGpus();
  // The same container preflight starts, so the skip decision and llem agree on what "works" means.
  const argv = containerCheckArgv(runtime.runtime, {
    image: runtime.image,
    gpuUuids: [uuid!],
    host: runtime.host,
  });
  const result = await runProgram([...runtime.asUser, ...argv], { timeoutMs: 60_000 });
  if (result.code === 0) return null;
  const said = result.stderr.trim().split("\n").at(-1) ?? "";
  return runtime.runtime === "docker"
    ? `Docker takes no --gpus: ${said}`
    : `Podman cannot resolve the stand-in's GPU ${uuid} by CDI (run scripts/ci_podman.sh): ${said}`;
}

/**
 * A Deno.test per container runtime, named `[label] name`, that runs `fn` where the runtime and its test
 * image are (and, with `gpus`, where it takes GPUs); elsewhere a visible skip with the reason. `runtimes`
 * replaces the probed runtimes (a test that needs another image, or only some runtimes).
 */
export function containerTest(
  name: string,
  fn: (runtime: ContainerTestRuntime) => Promise<void>,
  options: { gpus?: boolean; runtimes?: readonly ProbedRuntime[] } = {},
): void {
  for (const probed of options.runtimes ?? RUNTIMES) {
    const title = `[${probed.label}] ${name}`;
    if ("skip" in probed) {
      Deno.test({ name: `SKIPPED (${probed.skip}): ${title}`, ignore: true, fn: () => {} });
      continue;
    }
    if (!options.gpus) {
      Deno.test(title, () => fn(probed));
      continue;
    }
    Deno.test(title, async (t) => {
      const why = await gpusUnavailable(probed);
      // A skip that still shows: the step is ignored with the reason in its name.
      if (why) await t.step({ name: `SKIPPED (${why})`, ignore: true, fn: () => {} });
      else await fn(probed);
    });
  }
}

/** Whether this machine uses cgroups v1, where rootless Podman cannot enforce resource limits. */
const CGROUPS_V1 = (() => {
  try {
    Deno.statSync("/sys/fs/cgroup/cgroup.controllers");
    return false;
  } catch {
    return true;
  }
})();

/** Whether the runtime drops containers' resource limits here (rootless Podman on cgroups v1). */
export function limitsDropped(runtime: ContainerTestRuntime): boolean {
  return CGROUPS_V1 && runtime.label === "podman rootless";
}

/** Let llem run as the runtime's user (rootless Podman's), who then owns the study's folder. */
export async function asRuntimeUser(runtime: ContainerTestRuntime, study: Study): Promise<void> {
  if (runtime.asUser.length === 0) return;
  const chown = ["chown", "-R", `${runtime.host.uid}:${runtime.host.gid}`, study.dir];
  const chowned = await runProgram(chown, { timeoutMs: 30_000 });
  if (chowned.code !== 0) throw new Error(`${chown.join(" ")}: ${chowned.stderr}`);
  study.asUser = runtime.asUser;
}

/** The probed runtimes with these labels (for a test that runs on some only). */
export function testRuntimes(...labels: RuntimeLabel[]): ProbedRuntime[] {
  return RUNTIMES.filter((probed) => labels.includes(probed.label));
}
