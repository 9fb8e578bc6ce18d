/** What is wrong with an image for `runner: apptainer`, and how to fix it. */
export interface ApptainerImageProblem {
  message: string;
  fix: string;
}

/** Image sources Apptainer fetches from the network (a registry, a library, a web server). */
const REMOTE = /^(docker|library|shub|oras|https?):\/\//;
/** Image sources Apptainer reads locally: a Docker daemon, an archive, an OCI layout, a running instance. */
const LOCAL = /^(docker-daemon|docker-archive|oci|oci-archive|oci-sif):|^instance:\/\//;

/** A file name for an image's archive and .sif: `vllm/vllm-openai:v0.33.0` -> `vllm-openai-v0.33.0`. */
export function imageFileStem(image: string): string {
  const last = image.replace(/^[a-z-]+:\/\//, "").split("@")[0]!.split("/").at(-1) ?? "image";
  return last.replace(/[^A-Za-z0-9._-]+/g, "-") || "image";
}

/**
 * How to turn a Docker image into a .sif with no registry and no daemon on the Apptainer machine: save it
 * where Docker has it, build the .sif from the archive, point image: at it.
 */
export function sifRecipe(image: string): string {
  const dockerImage = image.replace(/^docker:\/\//, "");
  const stem = imageFileStem(dockerImage);
  return `where Docker has the image: docker save ${dockerImage} -o ${stem}.tar; ` +
    `then apptainer build ${stem}.sif docker-archive:${stem}.tar, and set image: to that .sif`;
}

/**
 * Whether Apptainer can start `image` here, and offline: an image file or folder that exists, or a local
 * source; a registry source only with the network allowed. A name such as the engines' default Docker
 * images is neither: Apptainer would look for a file of that name.
 */
export function apptainerImageProblem(
  image: string,
  where: { allowNetwork: boolean; exists: (path: string) => boolean },
): ApptainerImageProblem | null {
  if (LOCAL.test(image)) return null;
  if (REMOTE.test(image)) {
    if (where.allowNetwork) return null;
    return {
      message: `image ${image} would be pulled from the network, and allow_network is false`,
      fix: sifRecipe(image),
    };
  }
  if (where.exists(image)) return null;
  const file = image.startsWith("/") || image.startsWith(".") || /\.(sif|simg|img|sqsh)$/.test(image);
  return {
    message: file
      ? `image ${image} does not exist`
      : `image ${image} is a registry name, not a file: Apptainer runs .sif files`,
    fix: file
      ? "build it: docker save IMAGE -o x.tar, then apptainer build x.sif docker-archive:x.tar"
      : sifRecipe(image),
  };
}
