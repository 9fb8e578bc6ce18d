/**
 * The project's boundaries (docs/architecture.md), enforced by reading the sources: which folder may
 * import which (static and dynamic imports), what the pure folders may not touch, where processes are
 * spawned, NVML loaded and exit codes chosen, and the size of the study runner's parts.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const repo = new URL("../", import.meta.url).pathname;

/**
 * Each source folder (or root file) and the folders it may import from, besides itself. Every folder
 * here must exist, and every folder under src/ must be here.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  "main.ts": ["src/cli"],
  "mod.ts": ["src/analysis", "src/config", "src/errors", "src/results", "src/study"],
  "ffi": [],
  "src/errors": [],
  "src/config": ["src/engines", "src/errors"],
  "src/measure": ["src/errors"],
  "src/analysis": ["src/config", "src/engines", "src/errors", "src/measure"],
  // Vega renders charts to SVG from data it is given; it reads no file.
  "src/report": ["src/analysis", "src/config", "src/errors", "src/measure"],
  "src/engines": ["src/errors"],
  "src/gpu": ["ffi", "src/errors"],
  // The host CPU's RAPL counters: read through the C library (see read_kernel_file.ts), pure arithmetic on them.
  "src/cpu": [],
  "src/runners": ["src/config", "src/engines", "src/errors"],
  "src/results": ["src/config", "src/cpu", "src/engines", "src/errors", "src/gpu", "src/measure"],
  "src/study": [
    "src/analysis",
    "src/config",
    "src/cpu",
    "src/engines",
    "src/errors",
    "src/gpu",
    "src/measure",
    "src/results",
    "src/runners",
    // llem's version, from the package manifest.
    "package.json",
  ],
  "src/cli": [
    "src/analysis",
    "src/report",
    "src/config",
    "src/cpu",
    "src/engines",
    "src/errors",
    "src/gpu",
    "src/measure",
    "src/results",
    "src/runners",
    "src/study",
  ],
};

/** Folders whose code is pure: no Deno APIs, no I/O modules, no clock or randomness. */
const PURE = ["src/config", "src/measure", "src/analysis", "src/engines", "src/errors"];

interface Source {
  path: string;
  text: string;
}

function sources(dir: string, options: { tests?: boolean } = {}): Source[] {
  const found: Source[] = [];
  const info = Deno.statSync(join(repo, dir));
  if (info.isFile) return [{ path: dir, text: Deno.readTextFileSync(join(repo, dir)) }];
  for (const entry of Deno.readDirSync(join(repo, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...sources(path, options));
    else if (entry.name.endsWith(".ts") && (options.tests || !entry.name.endsWith("_test.ts"))) {
      found.push({ path, text: Deno.readTextFileSync(join(repo, path)) });
    }
  }
  return found;
}

/** Every relative import of a file, static or dynamic, as a path from the repository root. */
function importsOf(file: Source): string[] {
  const specifiers = [...file.text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)"(\.[^"]+)"/g)].map((m) =>
    m[1]!
  );
  return specifiers.map((specifier) => normalize(relative(repo, join(repo, dirname(file.path), specifier))));
}

/** The allow-list entry a path belongs to (its folder, or the root file itself). */
function ownerOf(path: string): string | null {
  if (path === "main.ts" || path === "mod.ts" || path === "package.json") return path;
  const keys = Object.keys(ALLOWED).filter((key) => path === key || path.startsWith(`${key}/`));
  return keys.sort((a, b) => b.length - a.length)[0] ?? null;
}

Deno.test("every folder of the allow-list exists, and every folder under src/ is in it", () => {
  for (const entry of Object.keys(ALLOWED)) {
    assert.ok(Deno.statSync(join(repo, entry)), `${entry} is in the allow-list but does not exist`);
  }
  for (const entry of Deno.readDirSync(join(repo, "src"))) {
    if (entry.isDirectory) {
      assert.ok(`src/${entry.name}` in ALLOWED, `src/${entry.name} is not in the allow-list`);
    }
  }
});

Deno.test("each folder imports only what the allow-list lets it (static and dynamic imports)", () => {
  for (const [owner, allowed] of Object.entries(ALLOWED)) {
    for (const file of sources(owner)) {
      for (const target of importsOf(file)) {
        const targetOwner = ownerOf(target);
        assert.ok(
          targetOwner === owner || (targetOwner !== null && allowed.includes(targetOwner)),
          `${file.path} imports ${target}, but ${owner} may import only ${[owner, ...allowed].join(", ")}`,
        );
      }
    }
  }
});

Deno.test("the architecture test sees dynamic imports (a self-check of its import pattern)", () => {
  const file = { path: "src/cli/x.ts", text: 'const m = await import("../study/y.ts");\nimport "./z.ts";' };
  assert.deepEqual(importsOf(file), ["src/study/y.ts", "src/cli/z.ts"]);
});

Deno.test("pure folders use no Deno APIs, no I/O modules, no clock and no randomness", () => {
  for (const dir of PURE) {
    for (const file of sources(dir)) {
      assert.doesNotMatch(file.text, /\bDeno\./, `${file.path} uses Deno.*`);
      assert.doesNotMatch(
        file.text,
        /from "node:(fs|child_process|net|http|os|process)/,
        `${file.path} does I/O`,
      );
      assert.doesNotMatch(file.text, /\bDate\b/, `${file.path} reads the clock (Date)`);
      assert.doesNotMatch(file.text, /performance\.now/, `${file.path} reads the clock (performance.now)`);
      assert.doesNotMatch(
        file.text,
        /Math\.random|crypto\.(randomUUID|getRandomValues)/,
        `${file.path} is random`,
      );
    }
  }
});

Deno.test("only src/cli prints or exits, and only src/cli/exit_code.ts maps errors to exit codes", () => {
  for (const file of sources("src")) {
    if (!file.path.startsWith("src/cli/")) {
      assert.doesNotMatch(
        file.text,
        /console\.(log|error|warn|info)|Deno\.exit|Deno\.std(out|err)/,
        file.path,
      );
    }
    // Commands return EXIT.* (or what exit_code.ts computes), never a bare number.
    if (file.path.startsWith("src/cli/") && file.path.endsWith("_command.ts")) {
      assert.doesNotMatch(file.text, /return (0|1|2|3|4|130);/, `${file.path} returns a literal exit code`);
    }
  }
});

Deno.test("errors are told apart by class, never by their name string or message text", () => {
  for (const file of sources("src")) {
    assert.doesNotMatch(file.text, /\.name === "/, `${file.path} classifies an error by its name`);
    assert.doesNotMatch(
      file.text,
      /\.test\([^)]*message|message\??\.(includes|match|startsWith)\(/,
      `${file.path} classifies an error by its message`,
    );
  }
});

/**
 * The files besides src/gpu that load a native library: the C library, to read RAPL under /sys; and
 * DuckDB's, which the single binary loads from llem's cache before DuckDB's addon needs it.
 */
const OTHER_NATIVE_LOADERS = ["src/cpu/read_kernel_file.ts", "src/results/preload_duckdb_library.ts"];

Deno.test("only src/runners spawns processes; only src/gpu loads NVML, and two files the C and DuckDB libraries", () => {
  for (const file of sources("src")) {
    if (!file.path.startsWith("src/runners/")) {
      assert.doesNotMatch(file.text, /Deno\.Command|node:child_process/, file.path);
    }
    if (!file.path.startsWith("src/gpu/") && !OTHER_NATIVE_LOADERS.includes(file.path)) {
      assert.doesNotMatch(file.text, /Deno\.dlopen/, file.path);
    }
  }
});

Deno.test("src/ has no barrel or utils files", () => {
  for (const file of sources("src")) {
    const name = file.path.split("/").pop()!;
    assert.ok(!["mod.ts", "index.ts", "utils.ts", "helpers.ts"].includes(name), file.path);
  }
});

/** Top-level functions and class methods of a file: name, first line, length in lines, parameters. */
function functionsOf(text: string): { name: string; line: number; lines: number; parameters: number }[] {
  const lines = text.split("\n");
  const found = [];
  for (const [index, line] of lines.entries()) {
    const match = line.match(
      /^( {0,2})(?:export )?(?:async )?(?:static )?(?:function\*? |(?:get |set )?#?)(\w+)\s*(?:<[^(]*>)?\(/,
    );
    if (!match || /^\s*(if|for|while|switch|return|catch)\b/.test(line)) continue;
    // A statement (a call at a method's indentation inside a function) ends with ";"; a declaration does not.
    if (/;\s*$/.test(line)) continue;
    const indent = match[1]!;
    const end = lines.findIndex((l, i) => i > index && l === `${indent}}`);
    if (end < 0) continue;
    found.push({
      name: match[2]!,
      line: index + 1,
      lines: end - index + 1,
      parameters: parameterCount(lines, index),
    });
  }
  return found;
}

/** How many parameters a declaration starting at line `index` takes (top-level commas of its list). */
function parameterCount(lines: string[], index: number): number {
  const text = lines.slice(index, index + 40).join("\n").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  const open = text.indexOf("(", text.search(/\w\s*(<[^(]*>)?\(/));
  let depth = 0;
  let commas = 0;
  let last = "";
  let previous = "";
  for (const char of text.slice(open)) {
    // The ">" of an arrow (=>) closes nothing.
    if (char === ">" && previous === "=") {
      previous = char;
      continue;
    }
    previous = char;
    if ("([{<".includes(char)) depth += 1;
    else if (")]}>".includes(char)) depth -= 1;
    if (depth === 0) break;
    if (depth === 1 && char === ",") commas += 1;
    if (!/\s/.test(char)) last = char;
  }
  if (last === "(") return 0;
  // A trailing comma does not add a parameter.
  return last === "," ? commas : commas + 1;
}

Deno.test("the study runner's parts stay small: files of about 400 lines, functions of 80, two parameters", () => {
  for (const file of sources("src/study")) {
    const lineCount = file.text.split("\n").length;
    assert.ok(lineCount <= 420, `${file.path} has ${lineCount} lines`);
    for (const fn of functionsOf(file.text)) {
      assert.ok(fn.lines <= 85, `${file.path}:${fn.line} ${fn.name}() has ${fn.lines} lines`);
      assert.ok(fn.parameters <= 2, `${file.path}:${fn.line} ${fn.name}() takes ${fn.parameters} parameters`);
    }
  }
});

Deno.test("the size check sees functions, methods and their parameters (a self-check)", () => {
  const text = [
    "export async function three(a: number, b: { c: [1, 2]; f: (x: A<B>) => void }, d = f(1, 2)): Promise<void> {",
    "  return;",
    "}",
    "class X {",
    "  static open<R>(path: string, columns: R[],): void {",
    "  }",
    "}",
  ].join("\n");
  assert.deepEqual(functionsOf(text).map((f) => [f.name, f.lines, f.parameters]), [["three", 3, 3], [
    "open",
    2,
    2,
  ]]);
});
