import type { ProgramResult } from "../runners/run_program.ts";
import type { PreflightProblem } from "./preflight.ts";

/**
 * What a failed check container (checkContainerGpus()) means, from the runtime's own words on stderr: no
 * GPUs for containers (Docker without the NVIDIA Container Toolkit, Podman without a CDI spec naming them),
 * no init for --init, an image whose Python is too old, or anything else with the command to try. Null
 * when the container ran.
 */
export function containerCheckProblem(
  runtime: "docker" | "podman",
  check: { image: string; uuids: readonly string[]; result: ProgramResult },
): PreflightProblem | null {
  const { image, result } = check;
  if (!result.startError && !result.timedOut && result.code === 0) return null;
  const said = (result.stderr.trim().split("\n").at(-1) ?? "").replace(/^(docker|Error): /i, "");
  const gpus = check.uuids.join(", ");
  if (result.code === 9) {
    return {
      check: "image",
      message: `the Python in image ${image} is older than 3.9 (${result.stdout.trim()})`,
      fix: "use an image with Python 3.9 or newer",
    };
  }
  // Podman runs its init_path (catatonit) for --init, which Debian's podman only recommends.
  if (/container-init|docker-init/i.test(said)) {
    return {
      check: "runner",
      message: `${runtime} cannot start a container with --init: ${said}`,
      fix: runtime === "podman"
        ? "install catatonit (sudo apt-get install catatonit), or point init_path in containers.conf at " +
          "another init such as tini"
        : "reinstall Docker: its docker-init is missing",
    };
  }
  // The runtime reports a refused device request only in its own words.
  if (/device|capabilit|nvidia|cdi/i.test(said)) {
    return {
      check: "container_gpus",
      message: `${runtime} cannot give a container GPUs ${gpus}: ${said}`,
      fix: runtime === "docker"
        ? "install the NVIDIA Container Toolkit and configure Docker for it " +
          "(nvidia-ctk runtime configure --runtime=docker, then restart dockerd), or use --runner process"
        : "generate a CDI specification (nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml), " +
          "or use --runner process",
    };
  }
  const why = result.startError ??
    (result.timedOut ? "it did not finish within 120 s" : said || `exit code ${result.code}`);
  return {
    check: "container_gpus",
    message: `a test container of image ${image} with GPUs ${gpus} failed: ${why}`,
    fix:
      `check that the image runs python3 (${runtime} run --rm --entrypoint python3 ${image} -V), and the runtime's GPU setup`,
  };
}
