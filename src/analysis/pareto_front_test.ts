import assert from "node:assert/strict";
import { paretoFront } from "./pareto_front.ts";

Deno.test("paretoFront() keeps the points no other point beats on both cost and benefit", () => {
  const points = [
    { cost: 1, benefit: 10 }, // cheapest
    { cost: 2, benefit: 30 }, // on the front
    { cost: 3, benefit: 20 }, // beaten by the second
    { cost: 4, benefit: 40 }, // best benefit
    { cost: 4, benefit: 40 }, // a tie stays on the front
  ];
  assert.deepEqual(paretoFront(points), [true, true, false, true, true]);
  assert.deepEqual(paretoFront([]), []);
});
