import { isMap, isPair, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import { type Position, positionOf, type SourceFile } from "./source_file.ts";

/** Where a key path was found in a node tree: the deepest node reached and how much of the path it covers. */
export interface Located {
  /** Position of the deepest node reached (its key, when asked for keys). */
  position: Position;
  /** How many path segments were matched. */
  depth: number;
}

/**
 * Find `path` below `node` (dotted keys such as `generation.batch_size:` count as nesting).
 * With `key: true`, the position of the last segment's key rather than its value.
 */
export function locateNode(
  source: SourceFile,
  node: Node | null | undefined,
  path: readonly (string | number)[],
  options: { key?: boolean } = {},
): Located {
  let current: unknown = node;
  let keyNode: unknown = undefined;
  let depth = 0;
  while (depth < path.length) {
    const segment = path[depth]!;
    if (isSeq(current) && typeof segment === "number" && current.items[segment] !== undefined) {
      keyNode = current.items[segment];
      current = current.items[segment];
      depth += 1;
      continue;
    }
    if (!isMap(current)) break;
    let matched = false;
    for (const { pair, parts } of keysStartingWith(current, String(segment))) {
      if (parts.every((part, i) => String(path[depth + i]) === part)) {
        keyNode = pair.key;
        current = pair.value;
        depth += parts.length;
        matched = true;
        break;
      }
    }
    if (!matched) break;
  }
  const target = options.key && depth === path.length ? keyNode ?? current : current;
  return { position: positionOf(source, (target ?? node) as Node), depth };
}

interface KeyEntry {
  pair: Pair;
  /** The key split at its dots: `generation.batch_size:` nests like `generation: {batch_size:}`. */
  parts: string[];
}

// Built once per mapping, so that locating every key of a big mapping is linear in its size, not quadratic.
const keyIndexes = new WeakMap<YAMLMap, Map<string, KeyEntry[]>>();

/** A mapping's scalar keys whose first dotted part is `head`, in file order. */
function keysStartingWith(map: YAMLMap, head: string): KeyEntry[] {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const parts = String(pair.key.value).split(".");
      const entries = index.get(parts[0]!);
      if (entries) entries.push({ pair, parts });
      else index.set(parts[0]!, [{ pair, parts }]);
    }
    keyIndexes.set(map, index);
  }
  return index.get(head) ?? [];
}
