import assert from "node:assert/strict";
import { assertAllClose, seededRandom } from "../_assert.ts";
import { minimumPhaseIr, minimumPhaseSpectrum } from "../../dsp/minimum_phase.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { directConvolve } from "../../dsp/convolve.ts";

function magnitudeOf(h: ArrayLike<number>, size: number): Float64Array {
  const H = realFftPlan(size).forward(h);
  return H.re.map((re, k) => Math.hypot(re, H.im[k]!));
}

/** A minimum-phase FIR: the product of first-order factors (1 − z_i·z⁻¹) with |z_i| < 1. */
function minimumPhaseFir(zeros: readonly number[]): Float64Array {
  let h: Float64Array = new Float64Array([1]);
  for (const z of zeros) h = directConvolve(h, [1, -z]);
  return h;
}

Deno.test("minimumPhaseSpectrum() keeps the input magnitude to 1e-12", () => {
  const rand = seededRandom(21);
  const mag = Float64Array.from({ length: 513 }, () => 0.01 + rand());
  const H = minimumPhaseSpectrum(mag);
  // The magnitude is set from exp(ln|H|): only the round-off of exp/log/cos/sin remains.
  assertAllClose(H.re.map((re, k) => Math.hypot(re, H.im[k]!)), mag, { rtol: 1e-12 });
});

Deno.test("minimumPhaseIr() recovers a known minimum-phase FIR from its magnitude to 1e-9", () => {
  // Zeros at radius <= 0.8: the cepstrum decays like 0.8ⁿ/n, so N = 1024 makes the
  // time-aliasing error ~0.8^512 — far below 1e-9.
  const h = minimumPhaseFir([0.8, -0.5, 0.3, -0.75, 0.6]);
  const size = 1024;
  const recovered = minimumPhaseIr(magnitudeOf(h, size));
  const expected = new Float64Array(size);
  expected.set(h);
  assertAllClose(recovered, expected, { atol: 1e-9 });
});

Deno.test("minimumPhaseIr() of a mixed-phase FIR reflects zeros outside the unit circle inside", () => {
  // (1 − 2z⁻¹) has the same magnitude as 2·(1 − 0.5z⁻¹): its minimum-phase twin is [2, −1].
  const recovered = minimumPhaseIr(magnitudeOf([1, -2], 256), { taps: 4 });
  assertAllClose(recovered, [2, -1, 0, 0], { atol: 1e-12 });
});

Deno.test("a minimum-phase IR has the most energy up front (partial energy majorizes a mixed-phase one)", () => {
  const mixed = [0.2, -0.5, 1, 0.7, -0.3]; // some zeros outside the unit circle
  const minimum = minimumPhaseIr(magnitudeOf(mixed, 512), { taps: 5 });
  let a = 0, b = 0;
  for (let n = 0; n < 5; n++) {
    a += minimum[n]! ** 2;
    b += mixed[n]! ** 2;
    assert.ok(a >= b - 1e-12, `partial energy at n = ${n}`);
  }
  assertAllClose([a], [b], { rtol: 1e-9 }); // same magnitude ⇒ same total energy (Parseval)
});

Deno.test("minimumPhaseIr() floors zeros of the magnitude and stays finite", () => {
  const mag = new Float64Array(65).fill(1);
  mag[10] = 0;
  const h = minimumPhaseIr(mag);
  assert.ok(h.every(Number.isFinite));
  const H = realFftPlan(128).forward(h);
  // The zero becomes the −200 dB default floor (1e-10) up to round-off relative to the unit
  // level of the other bins.
  assert.ok(Math.hypot(H.re[10]!, H.im[10]!) < 1e-9);
});

Deno.test("minimumPhaseSpectrum() and minimumPhaseIr() reject bad input", () => {
  assert.throws(() => minimumPhaseSpectrum(new Float64Array(10)), {
    name: "RangeError",
    message:
      "Cannot compute minimum-phase spectrum as magnitude must have N/2 + 1 values for a power of two N >= 4: current length is 10",
  });
  assert.throws(() => minimumPhaseSpectrum([1, -1, 1]), {
    name: "RangeError",
    message:
      "Cannot compute minimum-phase spectrum as magnitude values must be finite and >= 0: bin 1 is -1",
  });
  assert.throws(() => minimumPhaseSpectrum([0, 0, 0]), {
    name: "RangeError",
    message: "Cannot compute minimum-phase spectrum as magnitude must not be all zero",
  });
  assert.throws(() => minimumPhaseSpectrum([1, 1, 1], { floorDb: 10 }), {
    name: "RangeError",
    message:
      "Cannot compute minimum-phase spectrum as floorDb must be a finite number < 0: current value is 10",
  });
  assert.throws(() => minimumPhaseIr([1, 1, 1], { taps: 5 }), {
    name: "RangeError",
    message:
      "Cannot compute minimum-phase IR as taps must be an integer in [1, 4] (the FFT size): current value is 5",
  });
  assert.throws(() => minimumPhaseIr([1, NaN, 1]), {
    name: "RangeError",
    message:
      "Cannot compute minimum-phase IR as magnitude values must be finite and >= 0: bin 1 is NaN",
  });
});
