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

/** `file:line:col: path: message`, the one-line form of a problem. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** Sort by file, line, column, and drop exact repeats (the same bad value seen from many grid points). */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((problem) => {
    const key = `${formatProblem(problem)}\u0000${problem.hint ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1
  );
}
