import assert from "node:assert/strict";
import {
  amplitudeToDb,
  flooredPowerToDb,
  POWER_FLOOR,
  powerRatioDb,
  powerToDb,
} from "../../dsp/db.ts";

Deno.test("powerRatioDb() is 10·log10 of the ratio above the floor: 100:1 is 20 dB, 1:2 is −3.0103 dB", () => {
  assert.equal(powerRatioDb(100, 1), 20);
  assert.equal(powerRatioDb(1, 100), -20);
  assert.ok(Math.abs(powerRatioDb(1, 2) + 3.0102999566398) < 1e-12);
  assert.equal(powerRatioDb(7, 7), 0);
});

Deno.test("powerRatioDb() floors both powers at 1e-30: silence over signal is −300 dB re 1, both silent is 0 dB", () => {
  assert.equal(POWER_FLOOR, 1e-30);
  assert.equal(powerRatioDb(1, 0), 300);
  assert.equal(powerRatioDb(0, 1), -300);
  assert.equal(powerRatioDb(0, 0), 0);
  assert.equal(powerRatioDb(1e-40, 1e-35), 0); // both below the floor
});

Deno.test("flooredPowerToDb() equals powerToDb() above the floor and −300 dB at or below it", () => {
  for (const p of [1e-20, 1e-3, 0.5, 1, 4, 1e9]) assert.equal(flooredPowerToDb(p), powerToDb(p));
  assert.equal(flooredPowerToDb(0), -300);
  assert.equal(flooredPowerToDb(1e-31), -300);
  // a power of an amplitude a is a², so the two conventions agree
  assert.ok(Math.abs(flooredPowerToDb(0.25) - amplitudeToDb(0.5)) < 1e-12);
});
