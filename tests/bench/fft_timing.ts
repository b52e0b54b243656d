/**
 * Median time of the float64 real FFT (forwardInto + inverseInto) at issue 14's sizes, as JSON
 * `{label: ms}` on stdout, for tests/bench/fft_ratios.py (which interleaves it with scipy).
 * Run: `deno run -A tests/bench/fft_timing.ts [float32]`.
 */
import { realFftPlan } from "../../dsp/fft.ts";
import { realFftPlanFloat32 } from "../../dsp/fft_float32.ts";
import { seededRandom } from "../_assert.ts";

export const FFT_SIZES: [string, number][] = [
  ["2^16", 2 ** 16],
  ["2^17", 2 ** 17],
  ["2^18", 2 ** 18],
  ["2^19", 2 ** 19],
  ["2^20", 2 ** 20],
  ["2^21", 2 ** 21],
  ["480000", 480000],
  ["559872", 559872],
];

if (import.meta.main) {
  const float32 = Deno.args[0] === "float32";
  const rand = seededRandom(5);
  const result: Record<string, number> = {};
  for (const [label, size] of FFT_SIZES) {
    const x = Float64Array.from({ length: size }, () => rand() - 0.5);
    const plan = float32 ? realFftPlanFloat32(size) : realFftPlan(size);
    const spectrum = { re: new Float64Array(plan.binCount), im: new Float64Array(plan.binCount) };
    const out = new Float64Array(size);
    const reps = Math.max(9, Math.round(2 ** 23 / size));
    const times: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      const t0 = performance.now();
      plan.forwardInto(x, spectrum);
      plan.inverseInto(spectrum, out);
      if (r >= 2) times.push(performance.now() - t0); // the first two warm up
    }
    times.sort((a, b) => a - b);
    result[label] = times[times.length >> 1]!;
  }
  console.log(JSON.stringify(result));
}
