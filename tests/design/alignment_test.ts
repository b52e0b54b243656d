import assert from "node:assert/strict";
import { createComplexMatrixStack } from "../../dsp/complex_linalg.ts";
import {
  alignPaths,
  delayWeights,
  estimateGroupDelaySamples,
  pathResponse,
} from "../../design/alignment.ts";
import { designBeamformer } from "../../design/beamformer.ts";
import { designCrosstalkCanceller } from "../../design/crosstalk_canceller.ts";
import { arcPlant, earPlant, FFT_SIZE, FIVE_DRIVERS_Y, SAMPLE_RATE } from "./_plants.ts";

const GRID = { sampleRate: SAMPLE_RATE, fftSize: FFT_SIZE };

function delay(d: number, n = FFT_SIZE): { re: Float64Array; im: Float64Array } {
  const bins = n / 2 + 1;
  return {
    re: Float64Array.from({ length: bins }, (_, k) => Math.cos((2 * Math.PI * k * d) / n)),
    im: Float64Array.from({ length: bins }, (_, k) => -Math.sin((2 * Math.PI * k * d) / n)),
  };
}

Deno.test("estimateGroupDelaySamples() is exact for pure fractional delays", () => {
  for (const d of [0, 3.25, 280.7, -12.5, 1500]) {
    // A pure delay has a constant phase step: only round-off of atan2 remains.
    assert.ok(Math.abs(estimateGroupDelaySamples(delay(d), GRID) - d) < 1e-9, `${d}`);
  }
});

Deno.test("alignPaths() pads the faster paths to the slowest in whole samples", () => {
  const a = alignPaths([delay(10), delay(25.3), delay(20)], GRID);
  assert.equal(a.reference, 1);
  assert.deepEqual(a.padSamples, [15, 0, 5]);
});

Deno.test("the center beam path and the CTC path at ear-left end up aligned within 0.5 samples after padding", () => {
  const ears = earPlant(FIVE_DRIVERS_Y);
  const ctc = designCrosstalkCanceller(ears);
  const beam = designBeamformer(arcPlant(FIVE_DRIVERS_Y));
  // Make the beam path artificially faster by 7 samples relative to the CTC path.
  const early = delayWeights(beam.weights, -7);
  const paths = [
    pathResponse(ears.matrix, ctc.weights, 0, 0),
    pathResponse(ears.matrix, early, 0, 0),
  ];
  const a = alignPaths(paths, GRID);
  const padded = [
    delayWeights(ctc.weights, a.padSamples[0]!),
    delayWeights(early, a.padSamples[1]!),
  ];
  const after = alignPaths([
    pathResponse(ears.matrix, padded[0]!, 0, 0),
    pathResponse(ears.matrix, padded[1]!, 0, 0),
  ], GRID);
  const gap = Math.abs(after.groupDelaySamples[0]! - after.groupDelaySamples[1]!);
  // Whole-sample padding leaves at most half a sample.
  assert.ok(gap <= 0.5, `gap ${gap} samples (before: ${a.groupDelaySamples.join(", ")})`);
  assert.equal(a.padSamples[0], 0);
  assert.ok(a.padSamples[1]! >= 6 && a.padSamples[1]! <= 8, `pad ${a.padSamples[1]}`);
});

Deno.test("alignment functions reject bad input with RangeError", () => {
  const cases: [() => unknown, string][] = [
    [
      () => alignPaths([], GRID),
      "Cannot align paths as responses must hold at least one path: got 0",
    ],
    [
      () => estimateGroupDelaySamples(delay(0, 64), GRID),
      "Cannot estimate group delay as the response must have fftSize/2 + 1 = 2049 bins: current value is 33",
    ],
    [
      () => estimateGroupDelaySamples(delay(0), GRID, { lowHz: 1000, highHz: 1005 }),
      "Cannot estimate group delay as the band must hold at least two bins: 1000..1005 Hz holds 0",
    ],
    [
      () =>
        pathResponse(createComplexMatrixStack(2, 3, 5), createComplexMatrixStack(2, 1, 5), 0, 0),
      "Cannot compute path response as weights must be drivers × inputs on the plant's bins: plant is 2×3×5, weights are 2×1×5",
    ],
    [
      () =>
        pathResponse(createComplexMatrixStack(2, 3, 5), createComplexMatrixStack(3, 1, 5), 2, 0),
      "Cannot compute path response as row must be within 0..1 and column within 0..0: current values are 2 and 0",
    ],
    [
      () => delayWeights(createComplexMatrixStack(1, 1, 5), NaN),
      "Cannot delay weights as delaySamples must be finite: current value is NaN",
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { name: "RangeError", message });
});
