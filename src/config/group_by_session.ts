import type { Order } from "./execution_config.ts";

/**
 * Orders whose run order may group experiments by session: sequential, interleave and reverse keep a
 * fixed order of experiments within every cycle, so putting the experiments that load the model alike next
 * to each other changes no property of the design. Shuffle and latin_square exist to spread experiments
 * over the study (against drift, and carry-over between neighbours); grouping would undo them.
 */
export const GROUPABLE_ORDERS: ReadonlySet<Order> = new Set(["sequential", "interleave", "reverse"]);

/**
 * A stable order of experiments (0-based) in which experiments with equal session keys are adjacent: each
 * group where its first experiment was declared, experiments within a group in declared order. What forces
 * a model reload thus varies slowest, whatever the order of the sweep's axes.
 */
export function groupBySession(sessionKeys: readonly string[]): number[] {
  const groups = new Map<string, number[]>();
  for (const [experiment, key] of sessionKeys.entries()) {
    const group = groups.get(key);
    if (group) group.push(experiment);
    else groups.set(key, [experiment]);
  }
  return [...groups.values()].flat();
}
