/**
 * The text of JSON.stringify(value, null, 2), in pieces: the top `depth` levels of objects and arrays
 * are written member by member, deeper values whole. Joined, the pieces equal JSON.stringify's text; no
 * piece holds more than one member below those levels, so a large document is never one string.
 */
export function* jsonChunks(value: unknown, options: { depth: number; indent?: string }): Generator<string> {
  const indent = options.indent ?? "";
  const container = value !== null && typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function";
  if (options.depth <= 0 || !container) {
    yield (JSON.stringify(value, null, 2) ?? "null").replaceAll("\n", `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  const isArray = Array.isArray(value);
  const entries = isArray
    ? (value as unknown[]).map((item) => [null, item ?? null] as const)
    : Object.entries(value as Record<string, unknown>).filter(([, item]) => serializable(item));
  if (entries.length === 0) {
    yield isArray ? "[]" : "{}";
    return;
  }
  yield isArray ? "[\n" : "{\n";
  for (const [i, [key, item]] of entries.entries()) {
    yield `${inner}${key === null ? "" : `${JSON.stringify(key)}: `}`;
    yield* jsonChunks(isArray && !serializable(item) ? null : item, {
      depth: options.depth - 1,
      indent: inner,
    });
    yield i < entries.length - 1 ? ",\n" : "\n";
  }
  yield `${indent}${isArray ? "]" : "}"}`;
}

/** What JSON.stringify keeps as an object member (it drops undefined, functions and symbols). */
function serializable(value: unknown): boolean {
  return value !== undefined && typeof value !== "function" && typeof value !== "symbol";
}
