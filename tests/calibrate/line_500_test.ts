/**
 * The production-line acceptance run of the README: 520 simulated studio5
 * units (seed 42, defect rate 0.3, limits from 30 golden units, the default
 * station) — every seeded defect caught, false rejects <= 0.5 % of the good
 * units. About a minute; it runs beside the other test files.
 */
import { equal, ok } from "node:assert/strict";
import { formatConfusion, runLine } from "../../calibrate/line_sim.ts";
import { DEFAULT_STATION } from "../../calibrate/line_station.ts";

Deno.test("a virtual line of 520 units (seed 42, 30 % defective): every seeded defect caught, false rejects <= 0.5 %", async () => {
  const { summary } = await runLine({
    model: "studio5",
    units: 520,
    defectRate: 0.3,
    seed: 42,
    goldenUnits: 30,
    station: DEFAULT_STATION,
  });
  console.log(formatConfusion(summary));
  equal(summary.units, 520);
  equal(summary.missed.length, 0, JSON.stringify(summary.missed));
  const good = summary.confusion["good"]!.units;
  ok(good >= 300, `${good} good units`);
  ok(
    summary.falseRejects.length <= 0.005 * good,
    `${summary.falseRejects.length} false rejects of ${good} good units`,
  );
  for (const [type, row] of Object.entries(summary.confusion)) {
    equal(row.invalid, 0, `${type}: ${row.invalid} invalid`);
    if (type !== "good") equal(row.byExpectedCheck, row.units, `${type} caught by its own check`);
  }
});
