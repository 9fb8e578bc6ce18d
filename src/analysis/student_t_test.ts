import assert from "node:assert/strict";
import { T_975_TABLE } from "../measure/cycle_statistics.ts";
import { studentTCdf, studentTQuantile } from "./student_t.ts";

Deno.test("studentTQuantile() agrees with the t table at whole degrees of freedom", () => {
  for (const [i, tabled] of T_975_TABLE.entries()) {
    assert.ok(Math.abs(studentTQuantile(0.975, i + 1) - tabled) < 1e-8, `df ${i + 1}`);
  }
});

Deno.test("studentTQuantile() at fractional degrees of freedom, as Welch's test needs", () => {
  // Exact quantiles by numeric integration of Student's t density (Simpson-free trapezoid, 20,000 steps).
  for (const [df, exact] of [[2.941, 3.218871], [4.5, 2.658912], [7.3, 2.345067], [1.5, 6.016663]] as const) {
    assert.ok(Math.abs(studentTQuantile(0.975, df) - exact) < 2e-6, `df ${df}`);
  }
  assert.ok(Math.abs(studentTCdf(0, 3) - 0.5) < 1e-15);
  assert.ok(Math.abs(studentTQuantile(0.025, 10) + studentTQuantile(0.975, 10)) < 1e-12, "symmetric");
  assert.throws(() => studentTQuantile(1, 3), RangeError);
});
