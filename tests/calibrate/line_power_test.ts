import { equal, ok } from "node:assert/strict";
import { computeLimits } from "../../calibrate/golden.ts";
import type { UnitMeasurement } from "../../calibrate/limits.ts";
import { measureSimUnit } from "../../calibrate/line_sim.ts";
import { defaultPowerCases, detectionPower, formatPower } from "../../calibrate/line_power.ts";
import { verifyUnit } from "../../calibrate/verify.ts";

const golden: UnitMeasurement[] = [];
for (let g = 0; g < 12; g++) {
  golden.push((await measureSimUnit({ model: "studio5", serial: `PG-${g}`, seed: 300 + g })).unit);
}
const limits = await computeLimits(golden);
const coarse = await computeLimits(golden, { fine: false });

Deno.test("fine screening: a +3 dB Q 10 resonance passes the 1/3-octave checks (version-1 limits) but fails narrow-resonance; good units pass both", async () => {
  const cases = [
    ["mid-left", 3000],
    ["tweeter", 1100],
    ["woofer", 250],
    ["mid-top", 8000],
  ] as const;
  let coarseCaught = 0;
  for (const [driver, hz] of cases) {
    const unit = (await measureSimUnit({
      model: "studio5",
      serial: `RES-${driver}`,
      seed: 5,
      defects: { drivers: { [driver]: { resonance: { hz, q: 10, gainDb: 3 } } } },
    })).unit;
    const v = verifyUnit(unit, limits);
    const hit = v.violations.find((x) => x.check === "narrow-resonance" && x.driver === driver);
    ok(hit, `${driver} @ ${hz} Hz: ${JSON.stringify(v.violations.map((x) => x.reason))}`);
    // The violation names the band (within 1/24 octave of the resonance) and the peak's size.
    ok(Math.abs(Math.log2(hit.band! / hz)) <= 1 / 24 + 1e-9, `${hit.band} vs ${hz}`);
    // Its size re the golden units' mean residual there: the +3 dB peak, seen through the bands.
    const fine = limits.driverLimits[driver]!.fine!;
    const excess = hit.value - fine.residual.meanDb[fine.centerHz.indexOf(hit.band!)]!;
    ok(
      excess > 1.5 && excess < 3.5,
      `${driver}: ${excess} dB above the golden residual at ${hit.band}`,
    );
    if (!verifyUnit(unit, coarse).passed) coarseCaught++;
  }
  ok(coarseCaught < cases.length, "the 1/3-octave checks alone caught every resonance");
  for (let i = 0; i < 8; i++) {
    const good = (await measureSimUnit({ model: "studio5", serial: `PGOOD-${i}`, seed: 40 + i }))
      .unit;
    const v = verifyUnit(good, limits);
    ok(v.passed, JSON.stringify(v.violations.map((x) => x.reason)));
  }
});

Deno.test("detectionPower(): catch rate grows with defect size; binary defects are always caught", async () => {
  const all = defaultPowerCases();
  const pick = (size: string) => all.find((c) => c.size === size)!;
  const rows = await detectionPower({
    model: "studio5",
    limits,
    unitsPerSize: 4,
    seed: 3,
    cases: [pick("+1 dB, Q 10"), pick("+4 dB, Q 10"), pick("±0.5 dB"), pick("±4 dB"), pick("dead")],
  });
  equal(rows.length, 5);
  const rate = (i: number) => rows[i]!.caught / rows[i]!.units;
  equal(rate(0), 0); // +1 dB resonance: inside the golden spread's limits
  equal(rate(1), 1);
  equal(rate(2), 0); // ±0.5 dB: one σ of the units' own sensitivity spread
  equal(rate(3), 1);
  equal(rate(4), 1);
  ok(formatPower(rows).includes("| resonance | +4 dB, Q 10 | 4 | 100 % | 100 % |"));
});
