import assert from "node:assert/strict";
import { counterUpdatePeriod } from "./counter_update_period.ts";

/** Reads every `readSeconds` for `seconds` of a 100 W counter that updates every `updateSeconds`. */
function reads(options: { readSeconds: number; updateSeconds: number; seconds: number }) {
  const n = Math.round(options.seconds / options.readSeconds);
  return Array.from({ length: n + 1 }, (_, i) => {
    const t = i * options.readSeconds;
    const updated = Math.floor(t / options.updateSeconds + 1e-9) * options.updateSeconds;
    return { timeSeconds: t, energyJoules: Math.round(100 * updated * 1000) / 1000 };
  });
}

Deno.test("counterUpdatePeriod() is the mean time between changes when reads come faster than updates", () => {
  const period = counterUpdatePeriod(reads({ readSeconds: 0.01, updateSeconds: 0.1, seconds: 2 }));
  assert.ok(period !== null && Math.abs(period - 0.1) < 1e-9, `${period}`);
  // Reads not on the update grid: changes are seen up to a read late, but their mean spacing holds.
  const offGrid = counterUpdatePeriod(reads({ readSeconds: 0.03, updateSeconds: 0.1, seconds: 3 }));
  assert.ok(offGrid !== null && Math.abs(offGrid - 0.1) < 0.01, `${offGrid}`);
});

Deno.test("counterUpdatePeriod() is null when every read changed, or the counter changed too rarely", () => {
  assert.equal(counterUpdatePeriod(reads({ readSeconds: 0.1, updateSeconds: 0.02, seconds: 2 })), null);
  assert.equal(counterUpdatePeriod(reads({ readSeconds: 0.01, updateSeconds: 0.1, seconds: 0.25 })), null);
  assert.equal(counterUpdatePeriod([]), null);
});

Deno.test("counterUpdatePeriod() skips failed reads and reads taken at the same instant", () => {
  const base = reads({ readSeconds: 0.1, updateSeconds: 0.02, seconds: 1 });
  // A repeated read at one instant is not a counter that held its value.
  const doubled = base.flatMap((r) => [r, { ...r }]);
  assert.equal(counterUpdatePeriod(doubled), null);
  const gappy = reads({ readSeconds: 0.01, updateSeconds: 0.1, seconds: 2 })
    .map((r, i) => (i % 7 === 3 ? { ...r, energyJoules: null } : r));
  const period = counterUpdatePeriod(gappy);
  assert.ok(period !== null && Math.abs(period - 0.1) < 0.005, `${period}`);
});
