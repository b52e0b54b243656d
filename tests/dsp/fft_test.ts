import { assertAllClose, errorDb, seededRandom } from "../_assert.ts";
import { nextFastSize, realFftPlan } from "../../dsp/fft.ts";
import { complexFftKernel, factorize } from "../../dsp/fft_kernel.ts";
import { referenceRealFftPlan } from "../../dsp/fft_reference.ts";
import { realFftPlanFloat32 } from "../../dsp/fft_float32.ts";
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

Deno.test("realFftPlan() rejects sizes that are not 2·3·5-smooth integers >= 4", () => {
  assert.throws(() => realFftPlan(1001), {
    name: "RangeError",
    message:
      "Cannot create FFT plan as size must be a 2·3·5-smooth integer >= 4: current value is 1001",
  });
  assert.throws(() => realFftPlan(2), RangeError);
  assert.throws(() => realFftPlan(14), RangeError); // 2·7
  assert.throws(() => realFftPlan(64.5), RangeError);
});

Deno.test("realFftPlan() matches a direct DFT at 2·3·5-smooth sizes, even and odd, every radix", () => {
  const rand = seededRandom(11);
  // 6 = 2·3, 10 = 2·5, 40 = 8·5, 96 = 8·4·3, 360 = 8·9·5, 1000 = 8·125, 1080 = 8·27·5; odd 9, 15, 75, 675.
  for (const n of [6, 10, 12, 40, 48, 96, 100, 360, 1000, 1080, 9, 15, 75, 675]) {
    const x = Float64Array.from({ length: n }, () => rand() - 0.5);
    const plan = realFftPlan(n);
    const X = plan.forward(x);
    const ref = dftReference(x);
    const bins = Math.floor(n / 2) + 1;
    assert.equal(plan.binCount, bins);
    assertAllClose(X.re, ref.re.slice(0, bins), { atol: 1e-12 * n });
    assertAllClose(X.im, ref.im.slice(0, bins), { atol: 1e-12 * n });
    assertAllClose(plan.inverse(X), x, { atol: 1e-14 * Math.log2(n) });
  }
});

Deno.test("forwardInto()/inverseInto() equal forward()/inverse() and reuse the caller's arrays", () => {
  const rand = seededRandom(12);
  for (const n of [480, 4096, 135]) {
    const plan = realFftPlan(n);
    const x = Float64Array.from({ length: n - 7 }, () => rand() - 0.5); // zero-padded
    const out = { re: new Float64Array(plan.binCount), im: new Float64Array(plan.binCount) };
    plan.forwardInto(x, out);
    const X = plan.forward(x);
    assert.deepEqual(out.re, X.re);
    assert.deepEqual(out.im, X.im);
    const y = new Float64Array(n);
    plan.inverseInto(out, y);
    assert.deepEqual(y, plan.inverse(X));
    assertAllClose(y.subarray(0, n - 7), x, { atol: 1e-14 * Math.log2(n) });
    assertAllClose(y.subarray(n - 7), new Float64Array(7), { atol: 1e-14 * Math.log2(n) });
  }
});

Deno.test("every pass order of the complex kernel gives the same transform", () => {
  const rand = seededRandom(13);
  const n = 8 * 4 * 3 * 5; // 480
  const x = Float64Array.from({ length: 2 * n }, () => rand() - 0.5);
  const results = [[8, 4, 3, 5], [5, 3, 4, 8], [2, 2, 2, 2, 2, 3, 5], [4, 8, 5, 3]].map((o) => {
    const k = complexFftKernel(n, o);
    return k.run(x.slice(), new Float64Array(2 * n)).slice();
  });
  for (const r of results.slice(1)) assertAllClose(r, results[0]!, { atol: 1e-12 });
  assert.deepEqual(factorize(480), [8, 4, 3, 5]);
  assert.equal(factorize(14), null);
  assert.throws(() => complexFftKernel(480, [8, 4, 3]), RangeError);
});

Deno.test("realFftPlan() agrees with the fft.js reference at powers of two to -290 dB", () => {
  const rand = seededRandom(14);
  for (const n of [4, 8, 16, 1024, 65536]) {
    const x = Float64Array.from({ length: n }, () => rand() - 0.5);
    const X = realFftPlan(n).forward(x);
    const R = referenceRealFftPlan(n).forward(x);
    assert.ok(peakErrorDb(X, R) < -290, `${n}: ${peakErrorDb(X, R).toFixed(1)} dB`);
    const y = realFftPlan(n).inverse(X);
    const yr = referenceRealFftPlan(n).inverse(X);
    assert.ok(errorDb(y, yr) < -290, `${n} inverse: ${errorDb(y, yr).toFixed(1)} dB`);
  }
});

Deno.test("nextFastSize() is the smallest even 5-smooth size (multiple of 32 on request)", () => {
  const smooth = (n: number) => factorize(n) !== null;
  for (const n of [1, 4, 5, 17, 97, 1000, 1025, 4097, 100_001, 540_001]) {
    let expected = Math.max(4, n);
    while (!(smooth(expected) && expected % 2 === 0)) expected++;
    assert.equal(nextFastSize(n), expected, `${n}`);
    let e32 = Math.max(32, n);
    while (!(smooth(e32) && e32 % 32 === 0)) e32++;
    assert.equal(nextFastSize(n, 32), e32, `${n} (32)`);
  }
  assert.equal(nextFastSize(540_001), 546_750);
});

Deno.test("realFftPlan() forward error is below -280 dB re peak against numpy at 2^16..2^21, 480000, 559872", async () => {
  const sizes = [2 ** 16, 2 ** 17, 2 ** 18, 2 ** 19, 2 ** 20, 2 ** 21, 480000, 559872];
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-fft-numpy-" });
  try {
    const rand = seededRandom(15);
    const inputs = sizes.map((n) => Float64Array.from({ length: n }, () => rand() - 0.5));
    for (const [i, x] of inputs.entries()) await Deno.writeFile(`${dir}/x${i}.f64`, bytesOf(x));
    const script = [
      "import sys, numpy as np",
      "d = sys.argv[1]",
      "for i in range(int(sys.argv[2])):",
      "    X = np.fft.rfft(np.fromfile(f'{d}/x{i}.f64', dtype='<f8'))",
      "    np.stack([X.real, X.imag]).astype('<f8').tofile(f'{d}/X{i}.f64')",
    ].join("\n");
    const { code, stderr } = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", script, dir, String(sizes.length)],
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    for (const [i, x] of inputs.entries()) {
      const n = x.length;
      const raw = await Deno.readFile(`${dir}/X${i}.f64`);
      const both = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
      const bins = n / 2 + 1;
      const ref = { re: both.subarray(0, bins), im: both.subarray(bins) };
      const X = realFftPlan(n).forward(x);
      const db = peakErrorDb(X, ref);
      assert.ok(db <= -280, `size ${n}: forward error ${db.toFixed(1)} dB re peak`);
      const y = realFftPlan(n).inverse(X);
      assert.ok(errorDb(y, x) <= -280, `size ${n}: round trip ${errorDb(y, x).toFixed(1)} dB`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the float32 PFFFT plan runs on 5-smooth grids within -130 dB of the float64 plan", () => {
  const rand = seededRandom(16);
  for (const n of [96, 480, 4800, 552960, 2 ** 21]) { // 2^21: the WebAssembly memory grows
    const x = Float64Array.from({ length: n }, () => rand() - 0.5);
    const X = realFftPlanFloat32(n).forward(x);
    const R = realFftPlan(n).forward(x);
    assert.ok(peakErrorDb(X, R) < -120, `${n}: ${peakErrorDb(X, R).toFixed(1)} dB re peak`);
    const y = realFftPlanFloat32(n).inverse(R);
    assert.ok(errorDb(y, x) < -130, `${n} inverse: ${errorDb(y, x).toFixed(1)} dB`);
  }
  assert.throws(() => realFftPlanFloat32(480 + 32 * 7), RangeError); // 704 = 64·11
  assert.throws(() => realFftPlanFloat32(90), RangeError); // not a multiple of 32
});

/** Largest bin error re the reference's largest magnitude, in dB. */
function peakErrorDb(
  actual: { re: ArrayLike<number>; im: ArrayLike<number> },
  expected: { re: ArrayLike<number>; im: ArrayLike<number> },
): number {
  let err = 0, peak = 0;
  for (let k = 0; k < expected.re.length; k++) {
    const er = (actual.re[k] as number) - (expected.re[k] as number);
    const ei = (actual.im[k] as number) - (expected.im[k] as number);
    err = Math.max(err, Math.hypot(er, ei));
    peak = Math.max(peak, Math.hypot(expected.re[k] as number, expected.im[k] as number));
  }
  return 20 * Math.log10(err / peak);
}

function bytesOf(x: Float64Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

Deno.test("fftConvolve() equals direct convolution to 1e-12", () => {
  const rand = seededRandom(4);
  const a = Float64Array.from({ length: 1000 }, () => rand() - 0.5);
  const b = Float64Array.from({ length: 300 }, () => rand() - 0.5);
  assertAllClose(fftConvolve(a, b), directConvolve(a, b), { atol: 1e-12 });
  assert.equal(fftConvolve(a, b).length, 1299);
});
