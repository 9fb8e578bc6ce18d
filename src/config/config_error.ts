import { LlemError } from "../errors/llem_error.ts";

/** One problem with the user's input, located as precisely as the input allows. */
export interface ConfigProblem {
  /** File the problem is in, as the user named it. */
  file: string;
  /** 1-based line, or 0 when the problem concerns the whole file. */
  line: number;
  /** 1-based column, or 0 when the problem concerns the whole file. */
  column: number;
  /** Dotted key path inside the file, or "" for the file itself. */
  path: string;
  /** What is wrong: expected and found. */
  message: string;
  /** How to fix it, when llem knows. */
  hint?: string;
}

/** Bad input (exit code 2): every problem found, at once. */
export class ConfigError extends LlemError {
  readonly kind = "bad_input";
  /** The problems, in file and line order. */
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[], options?: ErrorOptions) {
    const sorted = sortProblems(problems);
    super(sorted.map(formatProblem).join("\n"), null, options);
    this.problems = sorted;
  }
}

/** Longest key path shown in a problem; a key can be as long as its file. */
const MAX_PATH_CHARS = 120;

/** `file:line:col: path: message`, the one-line form of a problem. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  const path = problem.path.length > MAX_PATH_CHARS
    ? `${problem.path.slice(0, MAX_PATH_CHARS - 3)}...`
    : problem.path;
  return path ? `${where}: ${path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/**
 * Sort by file, line, column; drop exact repeats (the same bad value seen from many grid points); and
 * collapse problems of the same key at the same place into the first, which counts the rest: a range's
 * values all sit at the range, and `{pow2: {min: 1, max: 1e300}}` is a thousand values over a maximum.
 */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const groups = new Map<string, { first: ConfigProblem; more: number }>();
  const seen = new Set<string>();
  for (const problem of problems) {
    const exact = `${formatProblem(problem)}\u0000${problem.hint ?? ""}`;
    if (seen.has(exact)) continue;
    seen.add(exact);
    // A whole-file problem (line 0) is never like another: it is not the place of a value.
    const place = problem.line === 0
      ? exact
      : [problem.file, problem.line, problem.column, problem.path, problem.hint ?? ""].join("\u0000");
    const group = groups.get(place);
    if (group) group.more += 1;
    else groups.set(place, { first: problem, more: 0 });
  }
  const unique = [...groups.values()].map(({ first, more }) =>
    more === 0
      ? first
      : { ...first, message: `${first.message} (and ${more.toLocaleString("en-US")} more like it)` }
  );
  return unique.sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1
  );
}
