import assert from "node:assert/strict";
import { checkBundlePrediction } from "../../calibrate/verify.ts";
import type { FilterBundle } from "../../calibrate/bundle.ts";
import { InputError } from "../../io/errors.ts";
import { synthUnit } from "./_units.ts";

/** The parts of a fitted bundle the line check reads (as `deno task fit` writes them). */
function bundleFor(
  model: string,
  serial: string,
  maxAbsDeviationDb: unknown,
  drivers = synthUnit(3).drivers,
): FilterBundle {
  return {
    device: { model, serial, drivers },
    predicted: { separation: { meanDb: { left: 12, right: 12 }, maxAbsDeviationDb } },
  } as unknown as FilterBundle;
}

Deno.test("checkBundlePrediction() passes a unit whose fitted filters meet the target and fails one that misses it", () => {
  const unit = synthUnit(3);
  assert.deepEqual(checkBundlePrediction(bundleFor(unit.model, unit.serial, 0.3), unit), []);
  const [violation, ...rest] = checkBundlePrediction(bundleFor(unit.model, unit.serial, 4.2), unit);
  assert.equal(rest.length, 0);
  assert.equal(violation!.check, "ctc-separation");
  assert.equal(violation!.value, 4.2);
  assert.equal(violation!.limit, 3);
  assert.match(
    violation!.reason,
    /miss the target channel separation by up to 4\.2 dB \(allowed 3\.0 dB\)/,
  );
  assert.deepEqual(
    checkBundlePrediction(bundleFor(unit.model, unit.serial, 4.2), unit, { maxDeviationDb: 5 }),
    [],
  );
});

Deno.test("checkBundlePrediction() refuses another unit's bundle, other drivers, or a missing or negative prediction (InputError: exit 2)", () => {
  const unit = synthUnit(3);
  assert.throws(
    () => checkBundlePrediction(bundleFor(unit.model, "OTHER-1", 0.3), unit, { bundleFile: "b" }),
    (e: unknown) =>
      e instanceof InputError && e.field === "device.serial" &&
      e.message ===
        `Cannot check bundle "b" as it was fitted for serial "OTHER-1" but the unit is "${unit.serial}"`,
  );
  assert.throws(
    () =>
      checkBundlePrediction(bundleFor(unit.model, unit.serial, "n/a"), unit, { bundleFile: "b" }),
    (e: unknown) =>
      e instanceof InputError &&
      /predicted\.separation\.maxAbsDeviationDb must be a finite number/.test(e.message),
  );
  assert.throws(
    () => checkBundlePrediction(bundleFor(unit.model, unit.serial, -5), unit, { bundleFile: "b" }),
    (e: unknown) =>
      e instanceof InputError &&
      /maxAbsDeviationDb must be a finite number >= 0: current value is -5/.test(e.message),
  );
  // bundle.json is not covered by its own file hashes: its driver list is checked against the unit.
  const renamed = bundleFor(unit.model, unit.serial, 0.3, ["a", "b", "c"]);
  assert.throws(
    () => checkBundlePrediction(renamed, unit, { bundleFile: "b" }),
    (e: unknown) =>
      e instanceof InputError && e.field === "device.drivers" &&
      e.message ===
        `Cannot check bundle "b" as its filters drive a, b, c but the unit's drivers are ${
          unit.drivers.join(", ")
        } (same ids, same order)`,
  );
  assert.throws(
    () => checkBundlePrediction(bundleFor(unit.model, unit.serial, 1), unit, { maxDeviationDb: 0 }),
    {
      name: "RangeError",
    },
  );
});
