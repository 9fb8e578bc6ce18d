/** A point to compare: what is better is less energy and more throughput (or less latency). */
export interface ParetoPoint {
  /** Lower is better (e.g. mJ per token). */
  cost: number;
  /** Higher is better (e.g. tokens per second). */
  benefit: number;
}

/**
 * Which points are on the Pareto front: no other point has at most their cost and at least their benefit,
 * with one of the two strictly better. Returns a flag per point, in order.
 */
export function paretoFront(points: readonly ParetoPoint[]): boolean[] {
  return points.map((point) =>
    !points.some((other) =>
      other.cost <= point.cost && other.benefit >= point.benefit &&
      (other.cost < point.cost || other.benefit > point.benefit)
    )
  );
}
