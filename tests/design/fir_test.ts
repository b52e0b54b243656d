import assert from "node:assert/strict";
import { createComplexMatrixStack } from "../../dsp/complex_linalg.ts";
import { firResponses, realizeFir } from "../../design/fir.ts";
import { assertAllClose } from "../_assert.ts";

function delayWeights(n: number, delays: number[][]): ReturnType<typeof createComplexMatrixStack> {
  // delays[driver][input], possibly negative (anti-causal).
  const drivers = delays.length, inputs = delays[0]!.length, bins = n / 2 + 1;
  const W = createComplexMatrixStack(drivers, inputs, bins);
  for (let k = 0; k < bins; k++) {
    for (let d = 0; d < drivers; d++) {
      for (let i = 0; i < inputs; i++) {
        const w = (2 * Math.PI * k * delays[d]![i]!) / n;
        W.re[(k * drivers + d) * inputs + i] = Math.cos(w);
        W.im[(k * drivers + d) * inputs + i] = -Math.sin(w);
      }
    }
  }
  return W;
}

Deno.test("realizeFir() shifts by the modelling delay: delays −5 and +7 samples land at Δ−5 and Δ+7, error −∞", () => {
  const W = delayWeights(256, [[-5, 7]]);
  const fir = realizeFir(W, { taps: 128, shiftSamples: 64 });
  assert.equal(fir.filters.length, 2);
  const expected0 = new Float64Array(128), expected1 = new Float64Array(128);
  expected0[59] = 1;
  expected1[71] = 1;
  // An exact delay through irfft: round-off only.
  assertAllClose(fir.filters[0]![0]!, expected0, { atol: 1e-14 });
  assertAllClose(fir.filters[1]![0]!, expected1, { atol: 1e-14 });
  // All energy inside the window and away from the fades: nothing removed beyond round-off.
  assert.ok(fir.worstTruncationErrorDb < -250, `${fir.worstTruncationErrorDb}`);
});

Deno.test("realizeFir() reports the energy truncation removes: a decaying exponential cut at 1/4 of its length", () => {
  const n = 1024, a = 0.99;
  const W = createComplexMatrixStack(1, 1, n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    // Σ a^m e^{-jωm} over one period = (1 − a^N)/(1 − a e^{-jω}).
    const w = (2 * Math.PI * k) / n;
    const dr = 1 - a * Math.cos(w), di = a * Math.sin(w), d2 = dr * dr + di * di;
    const num = 1 - a ** n;
    W.re[k] = (num * dr) / d2;
    W.im[k] = (-num * di) / d2;
  }
  const fir = realizeFir(W, { taps: 256, shiftSamples: 0, fadeSamples: 0 });
  // Removed: Σ_{m≥256} a^{2m} / Σ a^{2m} = a^{512} (periodic tail is negligible at a^{2048}).
  const expected = 10 * Math.log10(a ** 512);
  assert.ok(
    Math.abs(fir.truncationErrorDb[0]![0]! - expected) < 1e-6,
    `${fir.truncationErrorDb[0]![0]} vs ${expected}`,
  );
});

Deno.test("firResponses() inverts realizeFir() for filters that fit in the window", () => {
  const W = delayWeights(64, [[-3], [2]]);
  const fir = realizeFir(W, { taps: 64, shiftSamples: 10, fadeSamples: 0 });
  const R = firResponses(fir.filters, 64);
  for (let k = 0; k < 33; k++) {
    for (let d = 0; d < 2; d++) {
      const delay = [-3, 2][d]! + 10;
      const w = (2 * Math.PI * k * delay) / 64;
      assertAllClose([R.re[k * 2 + d]!, R.im[k * 2 + d]!], [Math.cos(w), -Math.sin(w)], {
        atol: 1e-13,
      });
    }
  }
});

Deno.test("realizeFir() and firResponses() reject bad shapes and options with RangeError", () => {
  const W = delayWeights(64, [[0]]);
  const cases: [() => unknown, string][] = [
    [
      () => realizeFir(createComplexMatrixStack(1, 1, 6)),
      "Cannot realize FIR filters as weights must have N/2 + 1 bins for a power-of-two N >= 4: current bin count is 6",
    ],
    [
      () => realizeFir(W, { taps: 1 }),
      "Cannot realize FIR filters as taps must be an integer >= 2: current value is 1",
    ],
    [
      () => realizeFir(W, { taps: 32, shiftSamples: 32 }),
      "Cannot realize FIR filters as shiftSamples must be an integer within 0..taps-1 (31): current value is 32",
    ],
    [
      () => realizeFir(W, { taps: 32, fadeSamples: 17 }),
      "Cannot realize FIR filters as fadeSamples must be an integer within 0..taps/2 (16): current value is 17",
    ],
    [
      () => firResponses([], 64),
      "Cannot compute FIR responses as filters must hold at least one input and one driver: current shape is 0×0",
    ],
    [
      () => firResponses([[new Float64Array(4)], []], 64),
      "Cannot compute FIR responses as every input must have one filter per driver: input 0 has 1, input 1 has 0",
    ],
    [
      () => firResponses([[new Float64Array(65)]], 64),
      "Cannot compute FIR responses as filters must be at most fftSize (64) samples: input 0 driver 0 has 65",
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { name: "RangeError", message });
});
