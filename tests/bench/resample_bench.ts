/**
 * Resampler speed: 10 s of stereo at 44.1 kHz to 48 kHz (the render path) and a 8192-tap IR (the
 * import path), default kernel (80 low-rate samples each side) and scipy's (10); the arbitrary
 * ratio form on 1 s, and the open-loop drift correction (resampleAt). Inputs built once with a fixed seed. The scipy side:
 * `/usr/bin/python3 tests/bench/scipy_resample_bench.py`.
 */
import { resample, resampleAt, resampleByRatio } from "../../dsp/resample.ts";
import { seededRandom } from "../_assert.ts";

const rand = seededRandom(2026);
const noise = (n: number) => Float64Array.from({ length: n }, () => rand() * 2 - 1);
const stereo = { sampleRate: 44100, channels: [noise(441000), noise(441000)] };
const ir = { sampleRate: 44100, channels: [noise(8192)] };
const second = noise(48000);

Deno.bench(
  "resample() 10 s stereo 44.1 → 48 kHz, default kernel (H = 80)",
  { group: "10 s" },
  () => {
    resample(stereo, 48000);
  },
);
Deno.bench("resample() 10 s stereo 44.1 → 48 kHz, scipy's kernel (H = 10, β = 5)", {
  group: "10 s",
}, () => {
  resample(stereo, 48000, { cutoff: 1, halfLength: 10, beta: 5 });
});
Deno.bench("resample() one 8192-tap IR 44.1 → 48 kHz, default kernel", () => {
  resample(ir, 48000);
});
Deno.bench("resampleByRatio() 1 s mono, ratio 1 + 20e-6", () => {
  resampleByRatio(second, 1 + 20e-6);
});
Deno.bench("resampleAt() 1 s mono, device clock 50 ppm fast (ρ = 1: table cached)", () => {
  resampleAt(second, { start: 123.25, step: 1 - 50e-6, length: 47000 });
});
Deno.bench(
  "resampleAt() 1 s mono, device clock 50 ppm slow (ρ < 1: table rebuilt per call)",
  () => {
    resampleAt(second, { start: 0.5, step: 1 + 50e-6 + Math.random() * 1e-9, length: 47000 });
  },
);
