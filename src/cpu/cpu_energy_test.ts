import * as assert from "node:assert/strict";
import { counterSum, type CpuDomain, cpuDomainEnergy, cpuEnergyTotals, wrappedStep } from "./cpu_energy.ts";

const PACKAGE: CpuDomain = {
  id: "intel-rapl:0",
  name: "package-0",
  socket: 0,
  kind: "package",
  wrapJoules: 1000,
};
const DRAM: CpuDomain = { id: "intel-rapl:0:1", name: "dram", socket: 0, kind: "dram", wrapJoules: 100 };

Deno.test("a counter step that goes down is one wrap, added back", () => {
  assert.equal(wrappedStep(10, { to: 25, wrapJoules: 100 }), 15);
  assert.equal(wrappedStep(95, { to: 5, wrapJoules: 100 }), 10);
  assert.equal(wrappedStep(95, { to: 5, wrapJoules: 0 }), null, "no range: the wrap cannot be undone");
  // A counter that went back a little is no wrap: counting one would add a whole range (262 kJ).
  assert.equal(wrappedStep(100, { to: 99.999999, wrapJoules: 262_143 }), null);
  // A value above the reported range: the range is wrong, and the step would be negative.
  assert.equal(wrappedStep(300, { to: 10, wrapJoules: 100 }), null);
});

Deno.test("a window's energy sums the steps between readings, through several wraps", () => {
  // 30 J per reading on a counter that wraps at 100 J: 0, 30, 60, 90, 20 (wrapped), 50, 80, 10 (wrapped).
  const values = [0, 30, 60, 90, 20, 50, 80, 10];
  assert.equal(counterSum(values, 100), 210);
  // The edges alone would see 10 J: the readings in between are what keep the count.
  assert.equal(counterSum([0, 10], 100), 10);
  assert.equal(counterSum([5], 100), null, "one reading is no window");
  assert.equal(counterSum([5, null, 7], 100), null, "a failed read loses the domain, never counts zero");
});

Deno.test("packages and DRAM add up; core and psys overlap a package and are not added", () => {
  const domains: CpuDomain[] = [
    PACKAGE,
    { ...PACKAGE, id: "intel-rapl:0:0", name: "core", kind: "core" },
    DRAM,
    { ...PACKAGE, id: "intel-rapl:1", name: "package-1", socket: 1 },
  ];
  const readings = [
    { timeSeconds: 0, joules: [990, 0, 90, 5] },
    { timeSeconds: 1, joules: [20, 20, 10, 45] },
  ];
  const energy = cpuDomainEnergy(domains, readings);
  assert.deepEqual(energy.map((e) => e.energyJoules), [30, 20, 20, 40]);
  assert.deepEqual(cpuEnergyTotals(energy), { packageJoules: 70, dramJoules: 20 });
  assert.deepEqual(cpuEnergyTotals(cpuDomainEnergy([PACKAGE], readings)), {
    packageJoules: 30,
    dramJoules: null,
  });
});
