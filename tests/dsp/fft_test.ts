import { assertAllClose, seededRandom } from "../_assert.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { directConvolve, fftConvolve } from "../../dsp/convolve.ts";
import { dftReference } from "../_reference/dft.ts";
import assert from "node:assert/strict";

Deno.test("realFftPlan() forward matches a direct DFT to 1e-12 for sizes 4..1024", () => {
  const rand = seededRandom(1);
  for (const n of [4, 8, 16, 64, 1024]) {
    const x = Float64Array.from({ length: n }, () => rand() - 0.5);
    const X = realFftPlan(n).forward(x);
    const ref = dftReference(x);
    // Round-off of an O(N log N) transform of O(1) samples grows ~ sqrt(N)·eps.
    assertAllClose(X.re, ref.re.slice(0, n / 2 + 1), { atol: 1e-12 * n });
    assertAllClose(X.im, ref.im.slice(0, n / 2 + 1), { atol: 1e-12 * n });
  }
});

Deno.test("realFftPlan() inverse undoes forward to 1e-14 (odd and even samples both exercised)", () => {
  const rand = seededRandom(2);
  for (const n of [4, 8, 32, 4096]) {
    const x = Float64Array.from({ length: n }, () => rand() - 0.5);
    const plan = realFftPlan(n);
    assertAllClose(plan.inverse(plan.forward(x)), x, { atol: 1e-14 * Math.log2(n) });
  }
});

Deno.test("Parseval holds for realFftPlan(): Σx² = (1/N)Σ|X|² over the full spectrum", () => {
  const rand = seededRandom(3);
  const n = 2048;
  const x = Float64Array.from({ length: n }, () => rand() - 0.5);
  const X = realFftPlan(n).forward(x);
  let time = 0, freq = 0;
  for (const v of x) time += v * v;
  for (let k = 0; k <= n / 2; k++) {
    const p = X.re[k]! ** 2 + X.im[k]! ** 2;
    freq += k === 0 || k === n / 2 ? p : 2 * p;
  }
  assertAllClose([freq / n], [time], { rtol: 1e-12 });
});

Deno.test("realFftPlan() rejects sizes that are not powers of two >= 4", () => {
  assert.throws(() => realFftPlan(1000), {
    name: "RangeError",
    message: "Cannot create FFT plan as size must be a power of two >= 4: current value is 1000",
  });
  assert.throws(() => realFftPlan(2), RangeError);
});

Deno.test("fftConvolve() equals direct convolution to 1e-12", () => {
  const rand = seededRandom(4);
  const a = Float64Array.from({ length: 1000 }, () => rand() - 0.5);
  const b = Float64Array.from({ length: 300 }, () => rand() - 0.5);
  assertAllClose(fftConvolve(a, b), directConvolve(a, b), { atol: 1e-12 });
  assert.equal(fftConvolve(a, b).length, 1299);
});
