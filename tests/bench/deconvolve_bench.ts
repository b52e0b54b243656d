/**
 * Deconvolution of a 10 s, 48 kHz, 8-channel recording of a 5 s sweep (the
 * issue's benchmark). Compare with `/usr/bin/python3 tests/bench/scipy_deconvolve_bench.py`,
 * which runs the same regularized spectral division with numpy/scipy; or run both in one go
 * with `bash tests/bench/compare_deconvolve.sh`.
 */
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { deconvolve } from "../../measure/deconvolve.ts";
import { fftConvolve } from "../../dsp/convolve.ts";
import { seededRandom } from "../_assert.ts";

const fs = 48000;
const sweep = synchronizedSweep({
  startHz: 20,
  endHz: 20000,
  durationSeconds: 5,
  sampleRate: fs,
  levelDbfs: -12,
});
const rand = seededRandom(42);
const length = 10 * fs;
const channels = Array.from({ length: 8 }, (_, c) => {
  const h = new Float64Array(2048);
  h[100 + 10 * c] = 0.5;
  h[400 + 7 * c] = -0.2;
  const y = new Float64Array(length);
  y.set(fftConvolve(sweep.samples, h).subarray(0, length));
  for (let i = 0; i < length; i++) y[i]! += 1e-4 * (rand() - 0.5);
  return y;
});
const recording = { sampleRate: fs, channels };

Deno.bench("deconvolve() 10 s × 48 kHz × 8 channels, 5 s sweep, harmonics 2..5, IR 1 s", () => {
  deconvolve(sweep, recording, { irLengthSamples: fs });
});

Deno.bench("deconvolve() 10 s × 48 kHz × 1 channel, 5 s sweep", () => {
  deconvolve(sweep, { sampleRate: fs, channels: [channels[0]!] }, { irLengthSamples: fs });
});

Deno.bench("deconvolve() 10 s × 48 kHz × 8 channels, fftPrecision float32 (PFFFT SIMD)", () => {
  deconvolve(sweep, recording, { irLengthSamples: fs, fftPrecision: "float32" });
});
