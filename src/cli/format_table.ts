import { maxOf } from "../measure/max_of.ts";

/** Left-aligned text columns separated by two spaces; trailing spaces trimmed. */
export function formatTable(header: string[], rows: string[][], indent = "  "): string[] {
  const widths = header.map((h, i) => maxOf([h.length, ...rows.map((r) => (r[i] ?? "").length)])!);
  const line = (cells: string[]) => indent + cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}
