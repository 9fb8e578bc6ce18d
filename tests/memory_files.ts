import type { FileContents, ReadFile } from "../src/config/source_file.ts";

/** An in-memory `ReadFile` over a map of path to text, for tests of the pure config loader. */
export function memoryFiles(files: Record<string, string>): ReadFile {
  return (path: string): FileContents => {
    const text = files[path];
    if (text !== undefined) return { kind: "file", bytes: new TextEncoder().encode(text) };
    const isFolder = Object.keys(files).some((name) => name.startsWith(`${path}/`));
    return isFolder ? { kind: "directory" } : { kind: "missing" };
  };
}
