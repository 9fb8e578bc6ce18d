import assert from "node:assert/strict";
import { waitForThermalFloor } from "./thermal_floor.ts";

function fakeClock() {
  let now = 0;
  return { nowSeconds: () => now, sleep: (s: number) => Promise.resolve(void (now += s)) };
}
const settings = { enabled: true, min_seconds: 2, max_seconds: 10, margin_celsius: 3 };

Deno.test("waitForThermalFloor() waits until the GPU is within the margin of idle, at least min_seconds", async () => {
  const clock = fakeClock();
  const temps = [70, 60, 50, 44, 42];
  const record = await waitForThermalFloor(settings, {
    idleCelsius: 40,
    readTemperature: () => temps.shift() ?? 42,
    clock,
  });
  assert.deepEqual(record, {
    waitedSeconds: 4,
    startTemperatureCelsius: 70,
    endTemperatureCelsius: 42,
    targetTemperatureCelsius: 43,
    reached: true,
  });
});

Deno.test("waitForThermalFloor() gives up at max_seconds and says the floor was not reached", async () => {
  const record = await waitForThermalFloor(settings, {
    idleCelsius: 40,
    readTemperature: () => 80,
    clock: fakeClock(),
  });
  assert.equal(record?.waitedSeconds, 10);
  assert.equal(record?.reached, false);
});

Deno.test("waitForThermalFloor() waits only the minimum when cool or when idle temperature is unknown", async () => {
  assert.equal(
    (await waitForThermalFloor(settings, { idleCelsius: 40, readTemperature: () => 41, clock: fakeClock() }))
      ?.waitedSeconds,
    2,
  );
  assert.equal(
    (await waitForThermalFloor(settings, {
      idleCelsius: null,
      readTemperature: () => 90,
      clock: fakeClock(),
    }))?.reached,
    true,
  );
  assert.equal(
    await waitForThermalFloor({ ...settings, enabled: false }, {
      idleCelsius: 40,
      readTemperature: () => 90,
      clock: fakeClock(),
    }),
    null,
  );
});
