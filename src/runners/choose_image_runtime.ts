import { NotReadyError } from "../errors/not_ready_error.ts";
import { ARCHIVE_RUNTIMES, type ArchiveRuntime } from "./image_archive_argv.ts";
import type { RuntimeProbe } from "./probe_runtimes.ts";

/**
 * The runtime that saves or loads images: the one asked for, else Docker when its daemon answers, else
 * Podman. NotReadyError (exit 3) naming what each lacks when none can.
 */
export function chooseImageRuntime(
  probes: readonly RuntimeProbe[],
  wanted: ArchiveRuntime | null,
): ArchiveRuntime {
  const candidates = wanted ? [wanted] : ARCHIVE_RUNTIMES;
  const usable = candidates.find((runtime) => probes.find((p) => p.runtime === runtime)?.usable);
  if (usable) return usable;
  const why = candidates.map((runtime) => {
    const probe = probes.find((p) => p.runtime === runtime);
    return `${runtime}: ${!probe?.installed ? "not installed" : probe.detail || "does not answer"}`;
  });
  if (wanted) {
    throw new NotReadyError(
      `${wanted} cannot save or load images (${why[0]})`,
      `start ${wanted === "docker" ? "the Docker daemon" : "Podman"}, or choose the other with --runtime`,
    );
  }
  throw new NotReadyError(
    `no container runtime to save or load images with (${why.join("; ")})`,
    "start the Docker daemon (sudo systemctl start docker), or install Podman",
  );
}
