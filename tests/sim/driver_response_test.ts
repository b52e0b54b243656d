import assert from "node:assert/strict";
import { driverResponse } from "../../sim/_response.ts";
import { loadDeviceModel } from "../../sim/device_model.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { besselJ1 } from "../../sim/_bessel.ts";

const fs = 48000;
const studio5 = loadDeviceModel("studio5");
const midLeft = studio5.drivers.find((d) => d.id === "mid-left")!;
const levelDb = (driver: typeof midLeft, hz: number) => {
  const h = driverResponse(driver, new Float64Array([hz]), fs);
  return 10 * Math.log10(h.re[0]! ** 2 + h.im[0]! ** 2);
};
const withResponse = (patch: Partial<typeof midLeft.response>) => ({
  ...midLeft,
  response: { ...midLeft.response, ...patch },
});

Deno.test("driver response: a 2nd-order resonance high-pass (level Q at f0, −40 dB/decade below), a low-pass and a break-up peak of the stated gain", () => {
  const r = midLeft.response; // 160 Hz, Q 0.9; low-pass 14 kHz, Q 0.7; break-up 7.5 kHz, +5 dB, Q 3
  const flat = withResponse({ breakupGainDb: 0 });
  // Bilinear-transform biquads with pre-warping are exact at their own frequency: |HP(f0)| = Q.
  // (Levels re the driver's sensitivity; the other sections are within 0.01 dB of 1 there.)
  const atResonance = levelDb(flat, r.resonanceHz) - midLeft.sensitivityDb;
  assert.ok(
    Math.abs(atResonance - 20 * Math.log10(r.resonanceQ)) < 0.02,
    `${atResonance} dB`,
  );
  // Far below resonance a 2nd-order high-pass falls 40 dB per decade (|H| ≈ (f/f0)²).
  const decade = levelDb(flat, r.resonanceHz / 10) - levelDb(flat, r.resonanceHz / 100);
  assert.ok(Math.abs(decade - 40) < 0.5, `slope ${decade} dB/decade`);
  const lowPass = levelDb(flat, r.lowPassHz) - midLeft.sensitivityDb;
  assert.ok(Math.abs(lowPass - 20 * Math.log10(r.lowPassQ)) < 0.1, `${lowPass} dB at the low-pass`);
  // The break-up peak adds exactly its gain at its frequency.
  const peak = levelDb(midLeft, r.breakupHz) - levelDb(flat, r.breakupHz);
  assert.ok(Math.abs(peak - r.breakupGainDb) < 1e-9, `break-up ${peak} dB`);
});

Deno.test("driver directivity narrows with frequency like a baffled piston: 45° off its axis, mid-left loses ~0 dB at 1 kHz and ~9 dB at 8 kHz", () => {
  const device = createSimDevice({ model: "studio5", serial: "nominal", mics: "reference" });
  const axis = midLeft.axis.azimuthDeg; // 60°
  const irAt = (azimuthDeg: number) =>
    device.trueImpulseResponses({ azimuthDeg, elevationDeg: 0, distanceMeters: 2 }).ir["mid-left"]![
      "ref"
    ]!;
  const onAxis = irAt(axis), offAxis = irAt(axis - 45);
  const n = 2 ** Math.ceil(Math.log2(onAxis.length));
  const plan = realFftPlan(n);
  const A = plan.forward(onAxis), B = plan.forward(offAxis);
  // Power ratio over a third octave around fc (smooths the small path-length differences).
  const lossDb = (fc: number) => {
    let pa = 0, pb = 0;
    for (let k = 1; k < plan.binCount; k++) {
      const f = (k * fs) / n;
      if (f < fc * 2 ** (-1 / 6) || f > fc * 2 ** (1 / 6)) continue;
      pa += A.re[k]! ** 2 + A.im[k]! ** 2;
      pb += B.re[k]! ** 2 + B.im[k]! ** 2;
    }
    return 10 * Math.log10(pb / pa);
  };
  // Baffled piston 2·J1(x)/x, x = k·a·sin θ (a = 25 mm, θ = 45°).
  const piston = (hz: number) => {
    const x = (2 * Math.PI * hz / 343) * midLeft.pistonRadiusMeters * Math.sin(Math.PI / 4);
    return 20 * Math.log10(Math.abs((2 * besselJ1(x)) / x));
  };
  const low = lossDb(1000), high = lossDb(8000);
  assert.ok(
    high < low - 5,
    `narrowing: ${low.toFixed(2)} dB at 1 kHz, ${high.toFixed(2)} dB at 8 kHz`,
  );
  // Within 1.5 dB of the piston (the mic's 2 m distance to the driver differs by a few mm).
  assert.ok(Math.abs(low - piston(1000)) < 1.5, `1 kHz ${low} vs piston ${piston(1000)}`);
  assert.ok(Math.abs(high - piston(8000)) < 1.5, `8 kHz ${high} vs piston ${piston(8000)}`);
});
