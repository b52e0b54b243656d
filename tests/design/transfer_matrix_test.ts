import assert from "node:assert/strict";
import { createComplexMatrixStack } from "../../dsp/complex_linalg.ts";
import {
  arcTransferMatrix,
  bulkDelaySamples,
  createTransferMatrix,
  transferMatrix,
} from "../../design/transfer_matrix.ts";
import { assertAllClose } from "../_assert.ts";

function delayed(delay: number, gain: number, length: number): Float64Array {
  const x = new Float64Array(length);
  x[delay] = gain;
  return x;
}

Deno.test("transferMatrix() keeps relative delays: H[mic][driver] = g·e^{-j2πk·d/N} for integer-delay IRs", () => {
  const irs = [
    [delayed(3, 1, 20), delayed(5, 0.5, 20)],
    [delayed(7, -1, 20), delayed(4, 2, 20)],
  ];
  const H = transferMatrix(irs, { sampleRate: 48000, fftSize: 32 });
  assert.equal(H.matrix.rows, 2);
  assert.equal(H.matrix.cols, 2);
  assert.equal(H.matrix.bins, 17);
  assert.equal(H.frequenciesHz[16], 24000);
  const params = [[[3, 1], [5, 0.5]], [[7, -1], [4, 2]]];
  for (let k = 0; k < 17; k++) {
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        const [d, g] = params[r]![c]!;
        const i = (k * 2 + r) * 2 + c;
        // One FFT of a unit impulse: exact up to twiddle round-off.
        assertAllClose(
          [H.matrix.re[i]!, H.matrix.im[i]!],
          [g! * Math.cos((2 * Math.PI * k * d!) / 32), -g! * Math.sin((2 * Math.PI * k * d!) / 32)],
          { atol: 1e-14 },
        );
      }
    }
  }
  assert.equal(bulkDelaySamples(H), 3);
  assert.equal(bulkDelaySamples(H, [1]), 4);
});

Deno.test("transferMatrix() defaults fftSize to the next power of two of the longest IR", () => {
  const H = transferMatrix([[new Float64Array(100), delayed(1, 1, 3)]], { sampleRate: 8000 });
  assert.equal(H.fftSize, 128);
  assert.equal(H.matrix.bins, 65);
});

Deno.test("transferMatrix() gate keeps the direct sounds and their relative delay, and drops a later reflection", () => {
  // Driver 0: direct at 100, reflection at 400. Driver 1: direct at 130 (30 samples later).
  const a = new Float64Array(1000), b = new Float64Array(1000);
  a[100] = 1;
  a[400] = 0.5;
  b[130] = 0.8;
  const H = transferMatrix([[a, b]], {
    sampleRate: 48000,
    fftSize: 512,
    gate: { lengthSamples: 200, fadeSamples: 20 },
  });
  // Gate ends at onset 100 + 200 = 300: the reflection at 400 is gone, both direct sounds intact.
  for (let k = 0; k < H.matrix.bins; k++) {
    const w = (2 * Math.PI * k) / 512;
    assertAllClose(
      [H.matrix.re[k * 2]!, H.matrix.im[k * 2]!, H.matrix.re[k * 2 + 1]!, H.matrix.im[k * 2 + 1]!],
      [Math.cos(100 * w), -Math.sin(100 * w), 0.8 * Math.cos(130 * w), -0.8 * Math.sin(130 * w)],
      { atol: 1e-13 },
    );
  }
  assert.throws(
    () => transferMatrix([[a]], { sampleRate: 48000, gate: { lengthSamples: 0 } }),
    {
      name: "RangeError",
      message:
        "Cannot build transfer matrix as gate.lengthSamples must be an integer >= 1: current value is 0",
    },
  );
  assert.throws(
    () =>
      transferMatrix([[a]], { sampleRate: 48000, gate: { lengthSamples: 10, fadeSamples: 11 } }),
    {
      name: "RangeError",
      message:
        "Cannot build transfer matrix as gate.fadeSamples must be an integer within 0..lengthSamples (10): current value is 11",
    },
  );
});

Deno.test("transferMatrix(), createTransferMatrix() and arcTransferMatrix() reject bad input with the value in the message", () => {
  assert.throws(() => transferMatrix([], { sampleRate: 48000 }), {
    name: "RangeError",
    message:
      "Cannot build transfer matrix as irs must hold at least one mic and one driver: current shape is 0×0",
  });
  assert.throws(() => transferMatrix([[delayed(0, 1, 4)], []], { sampleRate: 48000 }), {
    name: "TypeError",
    message:
      "Cannot build transfer matrix as every mic must have one response per driver: mic 0 has 1, mic 1 has 0",
  });
  assert.throws(() => transferMatrix([[[0, NaN]]], { sampleRate: 48000 }), {
    name: "RangeError",
    message: "Cannot build transfer matrix as samples must be finite: irs[0][0] sample 1 is NaN",
  });
  assert.throws(
    () => transferMatrix([[new Float64Array(40)]], { sampleRate: 48000, fftSize: 32 }),
    {
      name: "RangeError",
      message:
        "Cannot build transfer matrix as fftSize must be >= the longest response (40 samples): current value is 32",
    },
  );
  assert.throws(() => transferMatrix([[[1]]], { sampleRate: 48000, fftSize: 24 }), {
    name: "RangeError",
    message:
      "Cannot build transfer matrix as fftSize must be a power of two >= 4: current value is 24",
  });
  assert.throws(() => transferMatrix([[[1]]], { sampleRate: 0 }), {
    name: "RangeError",
    message:
      "Cannot build transfer matrix as sampleRate must be a positive number of Hz: current value is 0",
  });
  assert.throws(
    () =>
      createTransferMatrix(createComplexMatrixStack(2, 2, 9), { sampleRate: 48000, fftSize: 32 }),
    {
      name: "RangeError",
      message:
        "Cannot create transfer matrix as the matrix must have fftSize/2 + 1 = 17 bins: current value is 9",
    },
  );
  const m = createComplexMatrixStack(1, 2, 3);
  m.im[3] = Infinity;
  assert.throws(() => createTransferMatrix(m, { sampleRate: 48000, fftSize: 4 }), {
    name: "RangeError",
    message:
      "Cannot create transfer matrix as entries must be finite: bin 1 entry 1 is 0 + Infinityj",
  });
  const H = transferMatrix([[[1]], [[1]]], { sampleRate: 48000 });
  assert.throws(() => arcTransferMatrix(H, [0]), {
    name: "RangeError",
    message:
      "Cannot create arc transfer matrix as azimuthsDeg must have one value per row: the matrix has 2 rows, azimuthsDeg has 1",
  });
  assert.throws(() => arcTransferMatrix(H, [0, NaN]), {
    name: "RangeError",
    message: "Cannot create arc transfer matrix as azimuthsDeg must be finite: index 1 is NaN",
  });
});
