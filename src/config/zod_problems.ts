import type { z } from "zod";
import type { ConfigProblem } from "./config_error.ts";
import { didYouMean } from "./did_you_mean.ts";
import { type Contribution, locateInPoint } from "./locate_in_point.ts";
import { defOf, objectKeys, schemaAtPath, unwrapSchema } from "./schema_at_path.ts";

type Issue = z.core.$ZodIssue;
type Path = readonly (string | number)[];

/** Turn zod issues into located problems; `pathPrefix` places the validated value inside its file. */
export function zodProblems(
  issues: readonly Issue[],
  options: { schema: z.ZodType; contributions: readonly Contribution[]; pathPrefix?: Path },
): ConfigProblem[] {
  const prefix = options.pathPrefix ?? [];
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path as Path;
    const fullPath = [...prefix, ...path];
    const at = (p: Path, key = false) => locateInPoint(options.contributions, p, { key });
    if (issue.code === "unrecognized_keys") {
      const known = objectKeys(schemaAtPath(options.schema, path) ?? unwrapSchema(options.schema)) ?? [];
      for (const key of issue.keys) {
        const suggestion = didYouMean(key, known);
        problems.push({
          ...at([...fullPath, key], true),
          path: dotted([...fullPath, key]),
          message: `unknown key ${quoteKey(key)}`,
          hint: suggestion ? `did you mean "${suggestion}"?` : `known keys here: ${known.join(", ")}`,
        });
      }
      continue;
    }
    const input = (issue as { input?: unknown }).input;
    if (issue.code === "invalid_type" && input === undefined) {
      problems.push({
        ...at(fullPath.slice(0, -1)),
        path: dotted(fullPath),
        message: `missing required key "${String(fullPath[fullPath.length - 1])}"`,
        hint: describeField(options.schema, path),
      });
      continue;
    }
    const expected = expectation(issue, schemaAtPath(options.schema, path));
    const problem: ConfigProblem = {
      ...at(fullPath),
      path: dotted(fullPath),
      message: `expected ${expected}, found ${describeValue(input)}`,
    };
    if (issue.code === "invalid_value" && typeof input === "string") {
      const suggestion = didYouMean(input, issue.values.map(String));
      if (suggestion) problem.hint = `did you mean "${suggestion}"?`;
    }
    problems.push(problem);
  }
  return problems;
}

/** Dotted form of a key path, with list indices in brackets. */
export function dotted(path: Path): string {
  return path.reduce<string>(
    (text, segment) =>
      typeof segment === "number" ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment,
    "",
  );
}

/**
 * A short, quoted rendering of a user's value for messages. Numbers that are not finite (`.nan`, `.inf`, or
 * `1e400`, which overflows to infinity) are named as such: JSON would print them as null.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "number" && !Number.isFinite(value)) return describeNonFinite(value);
  if (Array.isArray(value)) return `a list ${clip(jsonOf(value))}`;
  if (typeof value === "object") return `a mapping ${clip(jsonOf(value))}`;
  return clip(jsonOf(value));
}

function describeNonFinite(value: number): string {
  if (Number.isNaN(value)) return ".nan (not a number)";
  return `${value > 0 ? "" : "-"}.inf (an infinite number, or one beyond ${value > 0 ? "" : "-"}1.8e308)`;
}

/** JSON, except that numbers that are not finite appear in YAML's spelling instead of as null. */
function jsonOf(value: unknown): string {
  const marked = JSON.stringify(
    value,
    (_key, item) =>
      typeof item === "number" && !Number.isFinite(item)
        ? `\u0000${Number.isNaN(item) ? ".nan" : item > 0 ? ".inf" : "-.inf"}\u0000`
        : item,
  );
  return marked.replace(/"\\u0000(-?\.\w+)\\u0000"/g, "$1");
}

/** A key, quoted for a message and clipped: a key can be as long as the file. */
export function quoteKey(key: string): string {
  return clip(JSON.stringify(key));
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeField(schema: z.ZodType, path: Path): string | undefined {
  const field = schemaAtPath(schema, path);
  return field?.description ? `${dotted(path)}: ${field.description}` : undefined;
}

const TYPE_WORDS: Record<string, string> = {
  number: "a number",
  int: "an integer",
  string: "a string",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  tuple: "a list",
  record: "a mapping",
  null: "null",
};

function expectation(issue: Issue, field: z.ZodType | undefined): string {
  const isInt = field !== undefined && defOf(unwrapSchema(field)).format === "safeint";
  switch (issue.code) {
    case "invalid_type":
      return isInt && issue.expected === "number"
        ? "an integer"
        : TYPE_WORDS[issue.expected] ?? issue.expected;
    case "invalid_value":
      return oneOf(issue.values);
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const sign = issue.code === "too_small"
        ? (issue.inclusive ? ">=" : ">")
        : (issue.inclusive ? "<=" : "<");
      if (issue.origin === "array" || issue.origin === "set") {
        return `a list with ${issue.code === "too_small" ? "at least" : "at most"} ${bound} item(s)`;
      }
      if (issue.origin === "string") {
        return issue.code === "too_small" ? "a non-empty string" : `a string of at most ${bound} characters`;
      }
      return `${isInt ? "an integer" : "a number"} ${sign} ${bound}`;
    }
    case "invalid_union": {
      const values: unknown[] = [];
      const types: string[] = [];
      for (const branch of issue.errors) {
        const first = branch[0];
        if (first?.code === "invalid_value") values.push(...first.values);
        else if (first?.code === "invalid_type") types.push(TYPE_WORDS[first.expected] ?? first.expected);
        else if (first) types.push(expectation(first, undefined));
      }
      return [...(values.length ? [oneOf(values)] : []), ...types].join(" or ");
    }
    case "invalid_format":
      return `a string in ${issue.format} format`;
    case "not_multiple_of":
      return `a multiple of ${issue.divisor}`;
    default:
      return issue.message;
  }
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v));
  return shown.length === 1 ? shown[0]! : `one of ${shown.join(", ")}`;
}
