import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import { arrivalSamples, gateWindow, windowImpulseResponse } from "../../dsp/ir_window.ts";

Deno.test("a gate after the direct sound keeps it intact and removes the first reflection entirely", () => {
  // Direct sound at 100 samples (a 5-sample pulse), a reflection at 300 (−6 dB).
  const ir = new Float64Array(2000);
  [0.2, 0.7, 1, 0.7, 0.2].forEach((v, i) => {
    ir[98 + i] = v;
    ir[298 + i] = 0.5 * v;
  });
  const onset = arrivalSamples(ir);
  assert.equal(onset, 99); // first sample >= half the peak
  const gated = windowImpulseResponse(ir, { lengthSamples: onset + 150, fadeOutSamples: 50 });
  assertAllClose(gated.subarray(98, 103), ir.subarray(98, 103), { atol: 0 });
  assert.ok(gated.length < 298 && gated.every((v, i) => i < 200 ? true : v === 0));
});

Deno.test("windowImpulseResponse() fades are half-Hann windows and padding past the end is zero", () => {
  const ones = new Float64Array(100).fill(1);
  const w = windowImpulseResponse(ones, {
    startSamples: 60,
    lengthSamples: 64,
    fadeInSamples: 8,
    fadeOutSamples: 0,
  });
  assert.equal(w.length, 64);
  // 40 samples remain after the start: the rest is zero padding.
  assert.ok(w.subarray(40).every((v) => v === 0));
  // The rise follows sin²(π(i + ½)/(2·8)), the first half of a Hann window sampled at half-integers.
  const rise = Array.from({ length: 8 }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / 16) ** 2);
  assertAllClose(w.subarray(0, 8), rise, { atol: 1e-15 });
  const g = gateWindow(16, 16);
  // The fade-out is the fade-in reversed: cos²(π(i+½)/32) read backwards is sin²(π(i+½)/32).
  const rise16 = Array.from({ length: 16 }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / 32) ** 2);
  assertAllClose(Array.from(g).reverse(), rise16, { atol: 1e-15 });
  assert.ok(g[0]! > 0.99 && g[15]! < 0.01);
});

Deno.test("IR window functions reject bad lengths with RangeErrors naming the value", () => {
  assert.throws(() => windowImpulseResponse([1], { lengthSamples: -1 }), {
    name: "RangeError",
    message:
      "Cannot window impulse response as lengthSamples must be an integer >= 0: current value is -1",
  });
  assert.throws(() => windowImpulseResponse([1], { lengthSamples: 8, fadeOutSamples: 9 }), {
    name: "RangeError",
    message:
      "Cannot window impulse response as fadeOutSamples must be an integer within 0..lengthSamples (8): current value is 9",
  });
  assert.throws(
    () => gateWindow(2.5, 1),
    /endSamples must be an integer >= 0: current value is 2.5/,
  );
  assert.throws(() => arrivalSamples([1], 0), /fraction must be in \(0, 1\]: current value is 0/);
  assert.equal(arrivalSamples([0, 0]), Infinity);
});
