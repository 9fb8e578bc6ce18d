import * as assert from "node:assert/strict";
import type { CpuDomain } from "./cpu_energy.ts";
import { cpuTimeseriesRows } from "./cpu_timeseries_rows.ts";

const PACKAGE: CpuDomain = {
  id: "intel-rapl:0",
  name: "package-0",
  socket: 0,
  kind: "package",
  wrapJoules: 100,
};

Deno.test("cpuTimeseriesRows(): cumulative energy through a wrap, mean power per step, lost after a failed read", () => {
  const rows = cpuTimeseriesRows([PACKAGE], [
    { timeSeconds: 10, joules: [90] },
    { timeSeconds: 10.5, joules: [10] }, // wrapped: 20 J in 0.5 s
    { timeSeconds: 11, joules: [30] },
    { timeSeconds: 11.5, joules: [null] },
    { timeSeconds: 12, joules: [40] },
  ]);
  assert.deepEqual(rows.map((r) => [r.timeSeconds, r.energyJoules, r.powerWatts]), [
    [10, 0, null],
    [10.5, 20, 40],
    [11, 40, 40],
    [11.5, null, null],
    [12, null, null],
  ]);
  assert.equal(cpuTimeseriesRows([PACKAGE], [{ timeSeconds: 1, joules: [null] }])[0]!.energyJoules, null);
});
