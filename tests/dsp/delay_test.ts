import assert from "node:assert/strict";
import { assertAllClose, seededRandom } from "../_assert.ts";
import { delaySamples, delaySpectrum, fractionalDelayFir } from "../../dsp/delay.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { fftConvolve } from "../../dsp/convolve.ts";
import { SPEED_OF_SOUND_MPS } from "../../dsp/constants.ts";

/**
 * Position of the peak of `x` band-limited to `bandFraction`·fs/2: keep the
 * bins up to there, upsample by `factor` through zero-padding the spectrum,
 * then refine the largest sample with a parabola through it and its neighbours.
 */
function bandLimitedPeak(
  x: ArrayLike<number>,
  size: number,
  factor: number,
  bandFraction = 1,
): number {
  const X = realFftPlan(size).forward(x);
  const big = realFftPlan(size * factor);
  const re = new Float64Array(big.binCount), im = new Float64Array(big.binCount);
  const last = Math.floor(bandFraction * (X.re.length - 1));
  for (let k = 0; k <= last; k++) {
    const split = k === X.re.length - 1 ? 0.5 : 1; // share the Nyquist bin between ±fs/2
    re[k] = X.re[k]! * factor * split;
    im[k] = X.im[k]! * factor * split;
  }
  const y = big.inverse({ re, im });
  let i = 0;
  for (let n = 1; n < y.length; n++) if (y[n]! > y[i]!) i = n;
  const a = y[i - 1]!, b = y[i]!, c = y[i + 1]!;
  return (i + (0.5 * (a - c)) / (a - 2 * b + c)) / factor;
}

/** Group delay −dφ/dω of an FIR at ω, in samples: Re{Σ n·h[n]e^{−jωn} / Σ h[n]e^{−jωn}}. */
function groupDelay(h: ArrayLike<number>, w: number): number {
  let r = 0, i = 0, nr = 0, ni = 0;
  for (let n = 0; n < h.length; n++) {
    const c = Math.cos(w * n), s = -Math.sin(w * n), v = h[n] as number;
    r += v * c;
    i += v * s;
    nr += n * v * c;
    ni += n * v * s;
  }
  return (nr * r + ni * i) / (r * r + i * i);
}

Deno.test("delaySamples() shifts by whole samples, pads, truncates and advances", () => {
  assert.deepEqual([...delaySamples([1, 2, 3], 2)], [0, 0, 1, 2, 3]);
  assert.deepEqual([...delaySamples([1, 2, 3], 0)], [1, 2, 3]);
  assert.deepEqual([...delaySamples([1, 2, 3], -1)], [2, 3]);
  assert.deepEqual([...delaySamples([1, 2, 3], -5)], []);
  assert.deepEqual([...delaySamples([1, 2, 3], 1, { length: 3 })], [0, 1, 2]);
  assert.deepEqual([...delaySamples([1, 2, 3], 1, { length: 6 })], [0, 1, 2, 3, 0, 0]);
});

Deno.test("fractionalDelayFir() delays an impulse to a band-limited peak at 10.3 samples within 0.01", () => {
  const h = fractionalDelayFir(10.3, { taps: 20 });
  const impulse = new Float64Array(64);
  impulse[0] = 1;
  const y = fftConvolve(impulse, h);
  // Band-limited to 0.8·fs/2, where the kernel is specified, 32× upsampling plus a parabola
  // puts the peak within 3.4e-4 of 10.3 (measured). The full-band peak sits 0.036 early:
  // near fs/2 the Blackman-windowed kernel's gain and delay fall off (see the module doc).
  const peak = bandLimitedPeak(y, 128, 32, 0.8);
  assert.ok(Math.abs(peak - 10.3) < 0.01, `peak at ${peak}`);
  assert.ok(Math.abs(bandLimitedPeak(y, 128, 32) - 10.264) < 0.001);
});

Deno.test("fractionalDelayFir() (32 taps) has group delay D ± 0.01 and gain 0 ± 0.1 dB up to 0.8·fs/2", () => {
  for (const D of [15, 15.5, 20.3, 40.25, 17.9]) {
    const h = fractionalDelayFir(D);
    for (let f = 0.01; f <= 0.8; f += 0.01) {
      const w = Math.PI * f;
      // Measured: the 0.01-sample bound holds to 0.83·fs/2 and the 0.1 dB bound to 0.87·fs/2.
      assert.ok(Math.abs(groupDelay(h, w) - D) < 0.01, `D ${D}, f ${f}·fs/2`);
      let r = 0, i = 0;
      for (let n = 0; n < h.length; n++) {
        r += h[n]! * Math.cos(w * n);
        i -= h[n]! * Math.sin(w * n);
      }
      assert.ok(Math.abs(10 * Math.log10(r * r + i * i)) < 0.1, `gain at D ${D}, f ${f}·fs/2`);
    }
  }
});

Deno.test("fractionalDelayFir() with an integer delay is an exact unit impulse", () => {
  const h = fractionalDelayFir(20, { taps: 16 });
  const expected = new Float64Array(29);
  expected[20] = 1;
  assert.deepEqual([...h], [...expected]);
  assert.equal(fractionalDelayFir(16.5).length, 16 + 16 + 1);
});

Deno.test("delaySpectrum() is an exact circular delay for integers and a band-limited one for fractions", () => {
  const rand = seededRandom(31);
  const size = 256;
  const x = Float64Array.from({ length: size }, () => rand() - 0.5);
  const plan = realFftPlan(size);
  const shifted = plan.inverse(delaySpectrum(plan.forward(x), 37));
  const expected = Float64Array.from({ length: size }, (_, n) => x[(n - 37 + size) % size]!);
  assertAllClose(shifted, expected, { atol: 1e-14 }); // FFT round-off on O(1) samples
  const impulse = new Float64Array(size);
  impulse[0] = 1;
  const frac = plan.inverse(delaySpectrum(plan.forward(impulse), 10.3));
  assert.ok(Math.abs(bandLimitedPeak(frac, size, 16) - 10.3) < 0.01);
  // Delays by D1 then D2 equal one delay by D1 + D2 (minus the Nyquist bin's cos(πD) rule).
  const twice = delaySpectrum(delaySpectrum(plan.forward(x), 3.25), 4.5);
  const once = delaySpectrum(plan.forward(x), 7.75);
  assertAllClose(twice.re.slice(0, -1), once.re.slice(0, -1), { atol: 1e-12 });
  assertAllClose(twice.im.slice(0, -1), once.im.slice(0, -1), { atol: 1e-12 });
});

Deno.test("SPEED_OF_SOUND_MPS turns 1 m at 48 kHz into about 140 samples", () => {
  assertAllClose([(1 / SPEED_OF_SOUND_MPS) * 48000], [139.94], { atol: 0.01 });
});

Deno.test("delay functions reject bad input with named values", () => {
  assert.throws(() => delaySamples([1], 1.5), {
    name: "RangeError",
    message:
      "Cannot delay signal as samples must be an integer (use fractionalDelayFir for fractions): current value is 1.5",
  });
  assert.throws(() => delaySamples([1], 1, { length: -2 }), {
    name: "RangeError",
    message: "Cannot delay signal as length must be a non-negative integer: current value is -2",
  });
  assert.throws(() => fractionalDelayFir(20, { taps: 7 }), {
    name: "RangeError",
    message:
      "Cannot design fractional-delay FIR as taps must be an even integer >= 2: current value is 7",
  });
  assert.throws(() => fractionalDelayFir(10.3), {
    name: "RangeError",
    message:
      "Cannot design fractional-delay FIR as delaySamples must be >= taps/2 - 1 (15) for a causal kernel: current value is 10.3",
  });
  assert.throws(() => delaySpectrum({ re: new Float64Array(5), im: new Float64Array(4) }, 1), {
    name: "RangeError",
    message: "Cannot delay spectrum as re and im must have equal lengths >= 3: re has 5, im has 4",
  });
  assert.throws(() => delaySpectrum({ re: new Float64Array(5), im: new Float64Array(5) }, NaN), {
    name: "RangeError",
    message: "Cannot delay spectrum as delaySamples must be a finite number: current value is NaN",
  });
});
