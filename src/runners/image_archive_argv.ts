/** A container runtime that saves images to archive files and loads them back. */
export type ArchiveRuntime = "docker" | "podman";

/** The runtimes that save and load image archives, in the order llem tries them. */
export const ARCHIVE_RUNTIMES: readonly ArchiveRuntime[] = ["docker", "podman"];

/**
 * Save one image to a file in Docker's archive format (`docker save`; Podman told the format outright), the
 * format `docker load`, `podman load` and `apptainer build x.sif docker-archive:FILE` all read.
 */
export function imageSaveArgv(runtime: ArchiveRuntime, saved: { image: string; file: string }): string[] {
  const format = runtime === "podman" ? ["--format", "docker-archive"] : [];
  return [runtime, "save", ...format, "--output", saved.file, saved.image];
}

/** Load the images of an archive file (plain, or compressed with gzip, bzip2, xz or zstd) into a runtime. */
export function imageLoadArgv(runtime: ArchiveRuntime, file: string): string[] {
  return [runtime, "load", "--input", file];
}

/**
 * Build an Apptainer image from a saved archive, with no registry and no daemon: `docker-archive:` reads
 * the file `docker save` wrote.
 */
export function sifBuildArgv(sif: string, archive: string): string[] {
  return ["apptainer", "build", sif, `docker-archive:${archive}`];
}

/** The .sif beside an archive: `vllm.tar` (or `.tar.gz`) -> `vllm.sif`. */
export function sifPathFor(archive: string): string {
  return `${archive.replace(/\.(tar|tar\.gz|tgz)$/, "")}.sif`;
}
