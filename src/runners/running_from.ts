import { basename, dirname, extname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where llem's own code runs from:
 * - `source`: a checkout, under `deno run` (or `deno test`);
 * - `embedded`: a `deno compile` binary serving its files from inside itself (llem's default build); Deno
 *   writes a native addon out on its own, so llem copies what the addon needs into its cache;
 * - `self_extracted`: a binary built with `--self-extracting`, which Deno unpacked on its first start into
 *   `<binary's folder>/.<name>/<hash>/` (`beside_binary`) or, when that folder could not be written, into
 *   `$XDG_DATA_HOME` or `~/.local/share/<name>/<hash>/` (`data_dir`).
 */
export type RunningFrom =
  | { kind: "source"; mainModule: string }
  | { kind: "embedded"; binary: string }
  | { kind: "self_extracted"; binary: string; extractedTo: string; place: "beside_binary" | "data_dir" };

/** The paths runningFrom() decides by: the main module's URL and the running executable. */
export interface ProcessPaths {
  /** `Deno.mainModule`: a file URL. */
  mainModule: string;
  /** `Deno.execPath()`: the compiled binary, or the `deno` that runs a checkout. */
  execPath: string;
}

/**
 * Where llem runs from, read from the paths Deno gives its main module (Deno 2.9, `cli/rt/binary.rs`): an
 * embedded binary's files live under `<temp dir>/deno-compile-<binary's file name>/`; a self-extracted
 * one's under the folder it was unpacked to, which ends in `<binary's name without extension>/<hash>`.
 */
export function runningFrom(paths: ProcessPaths): RunningFrom {
  const mainModule = fileURLToPath(paths.mainModule);
  const binary = paths.execPath;
  if (mainModule.split("/").includes(`deno-compile-${basename(binary)}`)) return { kind: "embedded", binary };
  const extracted = extractionFolder(mainModule, binary);
  return extracted ? { kind: "self_extracted", binary, ...extracted } : { kind: "source", mainModule };
}

/** Deno's extraction hash: 16 hexadecimal digits. */
const HASH = /^[0-9a-f]{16}$/;

/** The folder a self-extracting binary was unpacked to: `.<name>/<hash>` beside it, else `<name>/<hash>`. */
function extractionFolder(
  mainModule: string,
  binary: string,
): { extractedTo: string; place: "beside_binary" | "data_dir" } | null {
  const name = basename(binary, extname(binary)); // as Rust's file_stem(), which Deno uses
  const parts = mainModule.split("/");
  const at = parts.findIndex((part, i) =>
    (part === name || part === `.${name}`) && HASH.test(parts[i + 1] ?? "")
  );
  if (at < 1) return null;
  const besideBinary = parts[at] === `.${name}` && parts.slice(0, at).join("/") === dirname(binary);
  return {
    extractedTo: parts.slice(0, at + 2).join("/"),
    place: besideBinary ? "beside_binary" : "data_dir",
  };
}

/** This process's paths, for runningFrom(). */
export function processPaths(): ProcessPaths {
  return { mainModule: Deno.mainModule, execPath: Deno.execPath() };
}
