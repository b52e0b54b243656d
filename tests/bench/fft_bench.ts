/**
 * FFT and FFT-convolution timings; `tests/bench/scipy_fft_bench.py` times the
 * same operations in Debian's scipy for comparison.
 *
 * Run: `deno bench -A tests/bench/fft_bench.ts`
 */
import { realFftPlan } from "../../dsp/fft.ts";
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

for (const exponent of [16, 18, 20]) {
  const size = 2 ** exponent;
  const x = noise(size, exponent);
  const plan = realFftPlan(size); // plan (twiddles) built outside the timed region
  plan.inverse(plan.forward(x)); // warm-up
  Deno.bench(`realFftPlan(2^${exponent}) forward + inverse`, { group: "fft" }, () => {
    plan.inverse(plan.forward(x));
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
