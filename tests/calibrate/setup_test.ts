import assert from "node:assert/strict";
import { computeLimits } from "../../calibrate/golden.ts";
import {
  limitsToJson,
  parseLimits,
  type StationSetup,
  type UnitMeasurement,
} from "../../calibrate/limits.ts";
import { verifyUnit } from "../../calibrate/verify.ts";
import { InputError } from "../../io/errors.ts";
import { synthUnit } from "./_units.ts";

const station: StationSetup = {
  position: { azimuthDeg: 30, elevationDeg: 20, distanceMeters: 0.5 },
  sweep: { startHz: 20, endHz: 20000, durationSeconds: 1, levelDbfs: -24 },
};
const at = (unit: UnitMeasurement, setup: StationSetup): UnitMeasurement => ({ ...unit, setup });

Deno.test("limits keep the golden units' station setup, and the file round-trips it", async () => {
  const limits = await computeLimits([1, 2, 3, 4].map((s) => at(synthUnit(s), station)));
  assert.deepEqual(limits.setup, station);
  const again = await parseLimits(limitsToJson(limits), "limits.json");
  assert.deepEqual(again.setup, station);
  assert.equal(again.sha256, limits.sha256);
});

Deno.test("verifyUnit() refuses (exit 2, not a fail) a unit measured with another mic position or sweep", async () => {
  const limits = await computeLimits([1, 2, 3, 4].map((s) => at(synthUnit(s), station)));
  assert.equal(verifyUnit(at(synthUnit(9), station), limits).passed, true);
  const moved = at(synthUnit(9), {
    ...station,
    position: { ...station.position, distanceMeters: 1 },
  });
  assert.throws(
    () => verifyUnit(moved, limits),
    (e: unknown) =>
      e instanceof InputError && e.field === "setup" &&
      e.message.includes(
        "the limits were made with the mic at az 30°, el 20°, 0.5 m but the unit was measured at az 30°, el 20°, 1 m",
      ),
  );
  const louder = at(synthUnit(9), { ...station, sweep: { ...station.sweep!, levelDbfs: -12 } });
  assert.throws(
    () => verifyUnit(louder, limits),
    (e: unknown) =>
      e instanceof InputError &&
      /-24 dBFS sweep but the unit was measured with .* -12 dBFS/.test(e.message),
  );
  // The stimulus counts too: limits from one-pass multiple sweeps do not judge a unit measured
  // with sequential synchronized sweeps (when both sides name their method).
  const multi = { ...station, sweep: { ...station.sweep!, method: "multiple-exponential" } };
  const byMulti = await computeLimits([1, 2, 3, 4].map((s) => at(synthUnit(s), multi)));
  assert.equal(verifyUnit(at(synthUnit(9), multi), byMulti).passed, true);
  const synchronized = {
    ...station,
    sweep: { ...station.sweep!, method: "synchronized-exponential" },
  };
  assert.throws(
    () => verifyUnit(at(synthUnit(9), synchronized), byMulti),
    (e: unknown) =>
      e instanceof InputError && e.field === "setup" &&
      e.message.includes(
        "the limits were made with multiple-exponential sweeps but the unit was measured with synchronized-exponential sweeps",
      ),
  );
  assert.equal(verifyUnit(at(synthUnit(9), station), byMulti).passed, true); // method unknown: not compared
  // A unit whose setup is unknown (an imported set without positions, a manifest without its
  // sweep) cannot be judged: a unit measured at another level would pass unseen.
  const { setup: _unknown, ...bare } = at(synthUnit(9), station);
  assert.throws(
    () => verifyUnit(bare, limits),
    (e: unknown) =>
      e instanceof InputError && e.field === "setup" &&
      e.message.includes("the measurement records no station setup (mic position and sweep)"),
  );
  const { sweep: _noSweep, ...positionOnly } = station;
  assert.throws(
    () => verifyUnit(at(synthUnit(9), positionOnly), limits),
    (e: unknown) => e instanceof InputError && e.message.includes("its manifest has no sweep"),
  );
});

Deno.test("verifyUnit() refuses limits without a station setup; computeLimits() refuses golden units without one", async () => {
  const limits = await computeLimits([1, 2, 3, 4].map((s) => at(synthUnit(s), station)));
  const { setup: _none, ...bare } = limits;
  assert.throws(
    () => verifyUnit(at(synthUnit(9), station), bare as typeof limits, { limitsFile: "l.json" }),
    (e: unknown) =>
      e instanceof InputError && e.field === "setup" &&
      e.message.includes(
        'the limits "l.json" record no station setup (mic position and sweep), so the unit\'s cannot be checked',
      ),
  );
  const units = [1, 2, 3, 4].map((s) => at(synthUnit(s), station));
  const { setup: _gone, ...unknown } = units[2]!;
  units[2] = unknown;
  await assert.rejects(computeLimits(units), {
    name: "RangeError",
    message:
      "Cannot compute limits as every golden unit must record its station setup (mic position and sweep): unit SYN-00003 has none",
  });
});

Deno.test("computeLimits() refuses golden units measured with different setups", async () => {
  const units = [1, 2, 3].map((s) => at(synthUnit(s), station));
  units.push(at(synthUnit(4), { ...station, position: { ...station.position, azimuthDeg: 0 } }));
  await assert.rejects(computeLimits(units), {
    name: "RangeError",
    message: /every golden unit must be measured the same way: unit .* differs/,
  });
});
