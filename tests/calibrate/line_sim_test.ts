import { equal, ok, throws } from "node:assert/strict";
import { DEFAULT_STATION } from "../../calibrate/line_station.ts";
import {
  DEFECT_TYPES,
  drawDefect,
  formatConfusion,
  lineRandom,
  measureSimUnit,
  runLine,
} from "../../calibrate/line_sim.ts";
import { computeLimits } from "../../calibrate/golden.ts";
import { verifyUnit } from "../../calibrate/verify.ts";
import { InputError } from "../../io/errors.ts";

// A shorter station than the default (0.5 s sweeps) keeps this file fast; the
// 500-unit run with the default station is in the README.
const station = { ...DEFAULT_STATION, durationSeconds: 0.5 };

Deno.test("runLine() on 40 units catches every seeded defect and passes every good unit", async () => {
  const { summary } = await runLine({
    model: "studio5",
    units: 40,
    defectRate: 0.5,
    seed: 16, // a seed whose 40 units hold every defect type (7) at least 3 times
    goldenUnits: 10,
    station,
  });
  console.log(formatConfusion(summary));
  console.log(
    `capture ${summary.captureSeconds.toFixed(2)} s vs sequential ${
      summary.sequentialSeconds.toFixed(2)
    } s; compute mean ${summary.computeMsMean.toFixed(0)} ms`,
  );
  equal(summary.units, 40);
  equal(summary.missed.length, 0, JSON.stringify(summary.missed));
  equal(summary.falseRejects.length, 0, JSON.stringify(summary.falseRejects));
  let defective = 0;
  for (const [type, row] of Object.entries(summary.confusion)) {
    equal(row.invalid, 0, `${type} invalid`);
    if (type !== "good") {
      defective += row.units;
      equal(row.byExpectedCheck, row.units, `${type} caught by its own check`);
    }
  }
  ok(defective >= 18, `only ${defective} defective units`);
  for (const [type, row] of Object.entries(summary.confusion)) {
    ok(row.units >= 3, `${type}: ${row.units}`);
  }
  ok(summary.captureSeconds < summary.sequentialSeconds);
});

Deno.test("drawDefect() draws every defect type with the seeded generator", () => {
  const rand = lineRandom(1);
  const drivers = [
    { id: "a", kind: "midrange" },
    { id: "b", kind: "woofer" },
    { id: "c", kind: "tweeter" },
  ];
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const d = drawDefect(rand, drivers);
    seen.add(d.type);
    if (d.type === "air-leak") equal(d.drivers[0], "b");
    if (d.type === "swapped-wiring") {
      const w = d.defects.wiring!;
      equal([...w].sort().join(","), "0,1,2");
      ok(d.drivers[0] !== d.drivers[1]);
    }
  }
  equal(seen.size, DEFECT_TYPES.length);
  equal(DEFECT_TYPES.length, 7);
});

Deno.test("a simulated capture that clips, is silent or is too noisy is invalid (InputError), not a fail", async () => {
  const golden = [];
  for (let i = 0; i < 4; i++) {
    golden.push((await measureSimUnit({ model: "studio5", serial: `G-${i}`, station })).unit);
  }
  const limits = await computeLimits(golden);
  const clipped = await measureSimUnit({
    model: "studio5",
    serial: "C-1",
    station: { ...station, levelDbfs: 0 },
  });
  throws(
    () => verifyUnit(clipped.unit, limits),
    (e: unknown) =>
      e instanceof InputError && /is clipped .*lower the level and retest/.test(e.message),
  );
  const allDead = Object.fromEntries(
    ["mid-left", "mid-right", "mid-top", "tweeter", "woofer"].map((d) => [d, { dead: true }]),
  );
  const silent = await measureSimUnit({
    model: "studio5",
    serial: "S-1",
    station,
    defects: { drivers: allDead },
  });
  throws(
    () => verifyUnit(silent.unit, limits),
    (e: unknown) =>
      e instanceof InputError && e.message.includes("every driver's capture is silent"),
  );
  const noisy = await measureSimUnit({
    model: "studio5",
    serial: "N-1",
    station,
    noiseLevelDbfs: -50,
  });
  throws(
    () => verifyUnit(noisy.unit, limits),
    (e: unknown) => e instanceof InputError && e.message.includes("too noisy to judge"),
  );
});

Deno.test("runLine() rejects bad options with RangeError", async () => {
  for (
    const [opts, text] of [
      [{ units: 0 }, "units must be an integer between 1 and 1000000: current value is 0"],
      [{ defectRate: 1.5 }, "defectRate must be between 0 and 1: current value is 1.5"],
      [{ seed: 0.5 }, "seed must be an integer: current value is 0.5"],
      [{ goldenUnits: 2 }, "goldenUnits must be an integer >= 3: current value is 2"],
    ] as const
  ) {
    try {
      await runLine({ model: "studio5", units: 1, defectRate: 0, seed: 1, ...opts });
      ok(false, "expected a RangeError");
    } catch (e) {
      ok(e instanceof RangeError && e.message.includes(text), String(e));
    }
  }
});
