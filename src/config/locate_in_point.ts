import type { Node } from "yaml";
import { locateNode } from "./locate_node.ts";
import type { SourceFile } from "./source_file.ts";

/** A value in an expanded config came from this YAML node, placed at `prefix`. */
export interface Contribution {
  /** Key path in the config where the node's value was placed. */
  prefix: readonly (string | number)[];
  /** File the node is in. */
  source: SourceFile;
  /** The node (a whole file, a section, one sweep value). */
  node: Node | null | undefined;
}

/** A file position. */
export interface FilePosition {
  file: string;
  line: number;
  column: number;
}

/**
 * The source position of a key path in a config assembled from several contributions: the latest
 * contribution that holds the whole path wins, else the one that gets closest to it.
 */
export function locateInPoint(
  contributions: readonly Contribution[],
  path: readonly (string | number)[],
  options: { key?: boolean } = {},
): FilePosition {
  let best: { position: FilePosition; depth: number } | undefined;
  for (let i = contributions.length - 1; i >= 0; i--) {
    const contribution = contributions[i]!;
    const { prefix } = contribution;
    if (prefix.length > path.length || !prefix.every((segment, j) => String(segment) === String(path[j]))) {
      continue;
    }
    const rest = path.slice(prefix.length);
    const located = locateNode(contribution.source, contribution.node, rest, options);
    const depth = prefix.length + located.depth;
    const position = { file: contribution.source.path, ...located.position };
    if (located.depth === rest.length) return position;
    if (!best || depth > best.depth) best = { position, depth };
  }
  return best?.position ?? { file: contributions[0]?.source.path ?? "", line: 0, column: 0 };
}
