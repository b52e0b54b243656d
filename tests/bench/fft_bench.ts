/**
 * FFT and FFT-convolution timings; `tests/bench/scipy_fft_bench.py` times the
 * same operations in Debian's scipy for comparison.
 *
 * Run: `deno bench -A tests/bench/fft_bench.ts`
 */
import { realFftPlan } from "../../dsp/fft.ts";
import { referenceRealFftPlan } from "../../dsp/fft_reference.ts";
import { realFftPlanFloat32 } from "../../dsp/fft_float32.ts";
import { fftConvolve } from "../../dsp/convolve.ts";
import { seededRandom } from "../_assert.ts";

const SAMPLE_RATE = 48000;

function noise(length: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length }, () => rand() - 0.5);
}

/** Exponential sweep 20 Hz → 20 kHz (Farina 2000), amplitude 0.5. */
function sweep(durationSeconds: number): Float64Array {
  const n = Math.round(durationSeconds * SAMPLE_RATE);
  const f1 = 20, f2 = 20000;
  const rate = Math.log(f2 / f1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SAMPLE_RATE;
    out[i] = 0.5 *
      Math.sin(
        ((2 * Math.PI * f1 * durationSeconds) / rate) *
          (Math.exp((t / durationSeconds) * rate) - 1),
      );
  }
  return out;
}

// Issue 14's sizes: powers of two and the 5-smooth grids of 10 s / 11.6 s recordings. The
// mixed-radix FFT runs into reused buffers (forwardInto/inverseInto), as deconvolve() does;
// fft.js (the reference the tests check against) and PFFFT float32 beside it.
const SIZES: [string, number][] = [
  ["2^16", 2 ** 16],
  ["2^17", 2 ** 17],
  ["2^18", 2 ** 18],
  ["2^19", 2 ** 19],
  ["2^20", 2 ** 20],
  ["2^21", 2 ** 21],
  ["480000", 480000],
  ["559872", 559872],
];
for (const [label, size] of SIZES) {
  const x = noise(size, size);
  const plan = realFftPlan(size); // plan (twiddles) built outside the timed region
  const spectrum = { re: new Float64Array(plan.binCount), im: new Float64Array(plan.binCount) };
  const out = new Float64Array(size);
  plan.forwardInto(x, spectrum); // warm-up
  plan.inverseInto(spectrum, out);
  Deno.bench(`realFftPlan(${label}) forwardInto + inverseInto`, { group: label }, () => {
    plan.forwardInto(x, spectrum);
    plan.inverseInto(spectrum, out);
  });
  if (Number.isInteger(Math.log2(size))) {
    const ref = referenceRealFftPlan(size);
    ref.inverse(ref.forward(x));
    Deno.bench(`fft.js reference (${label}) forward + inverse`, { group: label }, () => {
      ref.inverse(ref.forward(x));
    });
  }
  const f32 = realFftPlanFloat32(size);
  f32.forwardInto(x, spectrum);
  Deno.bench(`PFFFT float32 (${label}) forwardInto + inverseInto`, { group: label }, () => {
    f32.forwardInto(x, spectrum);
    f32.inverseInto(spectrum, out);
  });
}

const signal10s = noise(10 * SAMPLE_RATE, 99);
const sweep2s = sweep(2);
Deno.bench(
  "fftConvolve 10 s × 48 kHz (480000) with a 2 s sweep (96000)",
  { group: "convolve" },
  () => {
    fftConvolve(signal10s, sweep2s);
  },
);
