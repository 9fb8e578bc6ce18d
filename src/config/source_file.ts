import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError, type ConfigProblem } from "./config_error.ts";
import { findDuplicateKeys } from "./duplicate_keys.ts";
import { jsonSyntaxError } from "./json_syntax_error.ts";

/** What reading a config path gave; produced by the caller, so this folder does no I/O. */
export type FileContents =
  | { kind: "file"; bytes: Uint8Array }
  | { kind: "missing" }
  | { kind: "directory" }
  | { kind: "unreadable"; reason: string; hint?: string };

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

/**
 * Parse the contents of `path`; throws ConfigError for a missing, empty, binary or malformed file. A `.json`
 * file must follow JSON's grammar. Nothing of a file's content is quoted until it has parsed as a mapping:
 * a `base:` key may name any file, a token or a password file included.
 */
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
    throw fileProblem(`cannot read: ${contents.reason}`, contents.hint ?? "name a YAML or JSON config file");
  }
  const text = decodeText(contents.bytes);
  if (text === undefined) {
    throw fileProblem("is a binary file, expected a YAML or JSON text file", "name a .yaml or .json config");
  }
  if (/\.json$/i.test(path) && text.trim() !== "") {
    const error = jsonSyntaxError(text);
    if (error) throw new ConfigError([jsonProblem(path, { text, ...error })]);
  }
  // uniqueKeys: false, because the library's check is quadratic; findDuplicateKeys does it in one pass.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const problems = yamlProblems(path, { doc, lineCounter });
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
    const at = positionOf({ path, doc, lineCounter, data: undefined }, doc.contents);
    throw new ConfigError([{
      file: path,
      ...at,
      path: "",
      message: `expected a mapping of config keys at the top level, found ${kindOfNode(doc.contents)}`,
      hint: 'a config maps keys to values, e.g. "model: gpt2"; run "llem init" for a starter config',
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

/**
 * Syntax errors, warnings (an unsupported `%YAML` version, an unknown tag: the file would not be read as its
 * author meant) and repeated keys, located.
 */
function yamlProblems(
  path: string,
  parsed: { doc: Document.Parsed; lineCounter: LineCounter },
): ConfigProblem[] {
  const { doc, lineCounter } = parsed;
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: path, line, column: col, path: "" };
  };
  const problems: ConfigProblem[] = doc.errors.map((error) => {
    // The parser recurses per level: a deep enough file exhausts its stack, which it reports by this code.
    if (error.code === "RESOURCE_EXHAUSTION") return tooDeep(at(error.pos[0]));
    return { ...at(error.pos[0]), message: `YAML syntax: ${yamlMessage(error.message)}` };
  });
  for (const warning of doc.warnings) {
    const hint = WARNING_HINTS[warning.code];
    problems.push({
      ...at(warning.pos[0]),
      message: `YAML: ${yamlMessage(warning.message)}`,
      ...(hint ? { hint } : {}),
    });
  }
  for (const { key, first } of findDuplicateKeys(doc.contents)) {
    problems.push({
      ...at(key.range?.[0] ?? 0),
      message: "duplicate key: each key may appear once in a mapping",
      hint: `remove or merge the repeated key (first at line ${at(first.range?.[0] ?? 0).line})`,
    });
  }
  return problems;
}

const WARNING_HINTS: Partial<Record<string, string>> = {
  BAD_DIRECTIVE: 'llem reads YAML 1.2 (and 1.1): write "%YAML 1.2", or remove the directive',
  TAG_RESOLVE_FAILED: "llem knows YAML's standard tags only: remove the tag",
};

/** A JSON syntax error at its line and column (1-based, as the YAML parser counts them). */
function jsonProblem(path: string, error: { text: string; offset: number; message: string }): ConfigProblem {
  const before = error.text.slice(0, error.offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return {
    file: path,
    line: before.split("\n").length,
    column: error.offset - lineStart + 1,
    path: "",
    message: `JSON syntax: ${error.message}`,
    hint:
      "a .json file is strict JSON: no trailing commas, comments or single quotes (name it .yaml for YAML)",
  };
}

/** What a top-level node is, in words, without its content. */
function kindOfNode(node: unknown): string {
  if (isSeq(node)) return "a list";
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === "string") return "a string";
  if (typeof value === "number" || typeof value === "bigint") return "a number";
  if (typeof value === "boolean") return "a boolean";
  return "a value that is not a mapping";
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

/** Longest YAML parser message shown: some quote a fragment of the file, which may be anything. */
const MAX_YAML_MESSAGE_CHARS = 100;

// The yaml library appends its own " at line X, column Y" and a code frame; we print the position ourselves.
function yamlMessage(message: string): string {
  const text = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "").replace(/\.$/, "");
  return text.length > MAX_YAML_MESSAGE_CHARS ? `${text.slice(0, MAX_YAML_MESSAGE_CHARS - 3)}...` : text;
}
