import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError, type ConfigProblem } from "./config_error.ts";

/** What reading a config path gave; produced by the caller, so this folder does no I/O. */
export type FileContents =
  | { kind: "file"; bytes: Uint8Array }
  | { kind: "missing" }
  | { kind: "directory" }
  | { kind: "unreadable"; reason: string };

/** Reads a config file by path; injected by the CLI (real files) or tests (in memory). */
export type ReadFile = (path: string) => FileContents;

/** A parsed YAML or JSON config file that still knows where every node came from. */
export interface SourceFile {
  /** Path as the user named it (or as resolved from a `base:` key). */
  path: string;
  /** The YAML document, with node ranges. */
  doc: Document.Parsed;
  /** Maps offsets to lines and columns. */
  lineCounter: LineCounter;
  /** The plain data. */
  data: unknown;
}

/** A place in a file: 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

const MAX_ALIASES = 1000;

/**
 * Deepest nesting of mappings and lists a config may have. llem's own keys nest four levels; free-form
 * engine options a few more. The limit keeps every recursive step after parsing far from the stack's end.
 */
export const MAX_NESTING = 64;

/** The problem of a file nested deeper than MAX_NESTING, at `at`. */
function tooDeep(at: Omit<ConfigProblem, "message" | "hint">): ConfigProblem {
  return {
    ...at,
    message: `nested more than ${MAX_NESTING} levels deep`,
    hint: "config keys nest a few levels; flatten the data, or name a file that holds it",
  };
}

/** The first node nested deeper than `limit` levels of mappings and lists, found without recursion. */
function nodeDeeperThan(root: unknown, limit: number): Node | null {
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= limit) return node;
    for (const item of node.items as unknown[]) {
      stack.push({ node: isPair(item) ? item.value : item, depth: depth + 1 });
    }
  }
  return null;
}

/** Parse the contents of `path`; throws ConfigError for a missing, empty, binary or malformed file. */
export function parseSourceFile(path: string, contents: FileContents): SourceFile {
  const fileProblem = (message: string, hint?: string): ConfigError =>
    new ConfigError([{ file: path, line: 0, column: 0, path: "", message, ...(hint ? { hint } : {}) }]);
  if (contents.kind === "missing") {
    throw fileProblem("no such file", "check the path; configs are YAML or JSON files");
  }
  if (contents.kind === "directory") {
    throw fileProblem("is a directory, expected a YAML or JSON file", "name the config file inside it");
  }
  if (contents.kind === "unreadable") {
    throw fileProblem(`cannot read: ${contents.reason}`, "name a YAML or JSON config file");
  }
  const text = decodeText(contents.bytes);
  if (text === undefined) {
    throw fileProblem("is a binary file, expected a YAML or JSON text file", "name a .yaml or .json config");
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const problems: ConfigProblem[] = doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const at = { file: path, line, column: col, path: "" };
    // The parser recurses per level: a deep enough file exhausts its stack, which it reports by this code.
    if (error.code === "RESOURCE_EXHAUSTION") return tooDeep(at);
    const duplicate = error.code === "DUPLICATE_KEY";
    return {
      ...at,
      message: duplicate
        ? "duplicate key: each key may appear once in a mapping"
        : `YAML syntax: ${yamlMessage(error.message)}`,
      ...(duplicate ? { hint: "remove or merge the repeated key" } : {}),
    };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const deepest = nodeDeeperThan(doc.contents, MAX_NESTING);
  if (deepest) {
    const { line, col } = lineCounter.linePos(deepest.range?.[0] ?? 0);
    throw new ConfigError([tooDeep({ file: path, line, column: col, path: "" })]);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw fileProblem("is empty, expected a mapping of config keys", 'run "llem init" for a starter config');
  }
  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents) ? "a list" : `the value ${JSON.stringify(doc.toJS())}`;
    const at = positionOf({ path, doc, lineCounter, data: undefined }, doc.contents);
    throw new ConfigError([{
      file: path,
      ...at,
      path: "",
      message: `expected a mapping of config keys at the top level, found ${found}`,
      hint: 'run "llem init" for a starter config',
    }]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw fileProblem(`cannot expand aliases: ${(error as Error).message}`);
  }
  return { path, doc, lineCounter, data };
}

/** 1-based position of a node's start. */
export function positionOf(source: SourceFile, node: Node | null | undefined): Position {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}

function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

// The yaml library appends its own " at line X, column Y" and a code frame; we print the position ourselves.
function yamlMessage(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "").replace(/\.$/, "");
}
