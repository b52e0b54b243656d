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

Deno.test("the simulator's resonance defect is a +gainDb peak of quality q at hz (station response ratio), and bad parameters are refused", async () => {
  const { createSimDevice } = await import("../../sim/sim_device.ts");
  const { realFftPlan } = await import("../../dsp/fft.ts");
  const at = (defects?: Parameters<typeof createSimDevice>[0]["defects"]) => {
    const d = createSimDevice({
      model: "studio5",
      serial: "RES-T",
      mics: "reference",
      ...(defects ? { defects } : {}),
    });
    const ir = d.trueImpulseResponses({ azimuthDeg: 30, elevationDeg: 20, distanceMeters: 0.5 })
      .ir["mid-left"]!["ref"]!;
    return realFftPlan(ir.length).forward(ir);
  };
  const plain = at();
  const peaked = at({ drivers: { "mid-left": { resonance: { hz: 2000, q: 10, gainDb: 3 } } } });
  const ratioDb = (hz: number) => {
    const k = Math.round((hz * 2 * (plain.re.length - 1)) / 48000);
    const p = (X: typeof plain) => X.re[k]! ** 2 + X.im[k]! ** 2;
    return 10 * Math.log10(p(peaked) / p(plain));
  };
  ok(Math.abs(ratioDb(2000) - 3) < 0.2, `at 2 kHz ${ratioDb(2000)}`);
  ok(Math.abs(ratioDb(1000)) < 0.2, `at 1 kHz ${ratioDb(1000)}`);
  // Off centre, the RBJ peaking biquad's own response (dsp/filters.ts) at 2.2 kHz.
  const { biquadResponse, designBiquad } = await import("../../dsp/filters.ts");
  const peak = designBiquad({
    type: "peaking",
    frequencyHz: 2000,
    sampleRate: 48000,
    q: 10,
    gainDb: 3,
  });
  const H = biquadResponse([peak], Float64Array.of(2200), 48000);
  const expected = 10 * Math.log10(H.re[0]! ** 2 + H.im[0]! ** 2);
  ok(Math.abs(ratioDb(2200) - expected) < 0.2, `at 2.2 kHz ${ratioDb(2200)} vs ${expected}`);
  let refused = "";
  try {
    at({ drivers: { "mid-left": { resonance: { hz: 2000, q: 100, gainDb: 3 } } } });
  } catch (e) {
    refused = (e as Error).message;
  }
  ok(/resonance\.q must be in \[0\.3, 50\]/.test(refused), refused);
});
