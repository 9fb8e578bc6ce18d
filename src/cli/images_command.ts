import { dirname, resolve } from "node:path";
import { ENGINE_IDS, isEngineId } from "../engines/engine_id.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { UsageError } from "../errors/usage_error.ts";
import { checkImageArchive } from "../runners/check_image_archive.ts";
import { chooseImageRuntime } from "../runners/choose_image_runtime.ts";
import {
  ARCHIVE_RUNTIMES,
  type ArchiveRuntime,
  sifBuildArgv,
  sifPathFor,
} from "../runners/image_archive_argv.ts";
import { loadImage } from "../runners/load_image.ts";
import { probeRuntimes } from "../runners/probe_runtimes.ts";
import { checkImagePresent, saveImage } from "../runners/save_image.ts";
import type { CliIo } from "./cli_io.ts";
import type { Command, CommandArgs } from "./command.ts";
import { EXIT } from "./exit_code.ts";
import { shellQuote } from "./shell_quote.ts";

const USAGE_HINT = "usage: llem images save ENGINE -o FILE, or llem images load FILE";

/** `llem images save|load`: carry an engine's image to a machine without a registry. */
export const imagesCommand: Command = {
  name: "images",
  usage:
    "save ENGINE -o FILE [--image IMAGE] [--runtime docker|podman] [--force] | load FILE [--runtime docker|podman]",
  description: "Carry an engine's container image to a machine that cannot reach a registry. `save` writes " +
    "ENGINE's default image (or --image) from Docker or Podman to an archive file, whole or not at all, and " +
    "prints how to use it there: `llem images load FILE` for Docker or Podman, or `apptainer build x.sif " +
    "docker-archive:FILE` for Apptainer (then image: x.sif). `load` loads such a file. The runtime is Docker " +
    "when its daemon answers, else Podman, unless --runtime names one. Exits 2 for bad input (an unknown " +
    "engine, an existing FILE without --force, a file that is not an image archive), 3 when no runtime can " +
    "do it or the image is not in its store.",
  positionals: ["ACTION", "ENGINE|FILE"],
  options: [
    { name: "output", short: "o", type: "string", value: "FILE", description: "save: the archive to write" },
    {
      name: "image",
      type: "string",
      value: "IMAGE",
      description: "save: this image instead of ENGINE's default (what image: names in a config)",
    },
    {
      name: "runtime",
      type: "string",
      value: "R",
      description: `${ARCHIVE_RUNTIMES.join(" | ")} (Docker when its daemon answers, else Podman)`,
    },
    { name: "force", type: "boolean", description: "save: replace FILE if it exists" },
  ],
  examples: [
    ["llem images save vllm -o vllm.tar", "vLLM's default image, where a registry is reachable"],
    ["llem images load vllm.tar", "on the air-gapped machine, into Docker or Podman"],
    ["apptainer build vllm.sif docker-archive:vllm.tar", "or for Apptainer; then image: vllm.sif"],
  ],
  async run(args, io) {
    const [action, target] = args.positionals as [string, string];
    if (action === "save") return await save(target, { values: args.values, io });
    if (action === "load") return await load(target, { values: args.values, io });
    throw new UsageError(`unknown action "${action}"`, USAGE_HINT);
  },
};

/** `images save ENGINE -o FILE`: every input checked before a runtime is asked. */
async function save(
  engine: string,
  { values, io }: { values: CommandArgs["values"]; io: CliIo },
): Promise<number> {
  if (!isEngineId(engine)) {
    throw new UsageError(`unknown engine "${engine}"`, `choose one of ${ENGINE_IDS.join(", ")}`);
  }
  const output = values.output as string | undefined;
  if (!output) {
    throw new UsageError(
      "images save needs -o FILE",
      `for example: llem images save ${engine} -o ${engine}.tar`,
    );
  }
  checkOutput(resolve(io.cwd, output), { shown: output, force: values.force === true });
  const wanted = runtimeOption(values.runtime);
  const image = (values.image as string | undefined) ?? ENGINES[engine].defaultImage;
  const runtime = chooseImageRuntime(await probeRuntimes(), wanted);
  await checkImagePresent(runtime, image);
  io.err(`saving ${image} from ${runtime} to ${output} (an engine image takes minutes)\n`);
  const { bytes } = await saveImage(runtime, {
    image,
    file: resolve(io.cwd, output),
    replace: values.force === true,
  });
  const archive = shellQuote(output);
  io.out(`saved ${image} from ${runtime} to ${output} (${formatSize(bytes)})\n`);
  io.out("copy it to the air-gapped machine, then either:\n");
  io.out(`  llem images load ${archive}    # into Docker or Podman\n`);
  io.out(
    `  ${
      sifBuildArgv(sifPathFor(output), output).map(shellQuote).join(" ")
    }    # for Apptainer; then image: ${shellQuote(sifPathFor(output))}\n`,
  );
  return EXIT.ok;
}

/** `images load FILE`. */
async function load(
  file: string,
  { values, io }: { values: CommandArgs["values"]; io: CliIo },
): Promise<number> {
  const saveOnly = ["output", "image", "force"].find((name) => values[name] !== undefined);
  if (saveOnly) throw new UsageError(`--${saveOnly} is an option of images save, not load`, USAGE_HINT);
  checkImageArchive(resolve(io.cwd, file), file);
  const runtime = chooseImageRuntime(await probeRuntimes(), runtimeOption(values.runtime));
  io.err(`loading ${file} into ${runtime}\n`);
  const images = await loadImage(runtime, resolve(io.cwd, file));
  for (const image of images.length ? images : [file]) io.out(`loaded ${image} into ${runtime}\n`);
  return EXIT.ok;
}

/** FILE may be written: its folder exists, and it is not there already (unless --force) or a folder. */
function checkOutput(path: string, given: { shown: string; force: boolean }): void {
  const existing = statOrNull(path, given.shown);
  if (existing?.isDirectory) {
    throw new UsageError(`"${given.shown}" is a folder`, "give the archive's file name");
  }
  if (existing && !given.force) {
    throw new UsageError(
      `"${given.shown}" already exists`,
      "choose another name, or add --force to replace it",
    );
  }
  const folder = statOrNull(dirname(path), given.shown);
  if (!folder?.isDirectory) {
    throw new UsageError(
      `cannot write "${given.shown}": its folder does not exist`,
      "create the folder first",
    );
  }
}

function runtimeOption(value: CommandArgs["values"][string]): ArchiveRuntime | null {
  if (value === undefined) return null;
  const runtime = ARCHIVE_RUNTIMES.find((r) => r === value);
  if (!runtime) {
    throw new UsageError(`--runtime must be ${ARCHIVE_RUNTIMES.join(" or ")}, found "${value}"`, USAGE_HINT);
  }
  return runtime;
}

function formatSize(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** What is at `path`, or null when nothing (or a file where a folder should be); unreadable is bad input. */
function statOrNull(path: string, shown: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`cannot write "${shown}": ${error.message}`, "choose a folder you can write");
    }
    throw error;
  }
}
