/**
 * A deterministic multichannel recording of a synchronized sweep, for the deconvolution
 * regression fixture (`fixtures/deconvolve/`) and the whole-process benchmarks
 * (`tests/bench/compare_deconvolve.sh`): channel 1 is an electrical loopback (the sweep
 * delayed by the interface latency), the others the sweep through a mildly nonlinear driver
 * (x + 0.02x² + 0.01x³), a room-like IR (direct sound at 2–3 m, a few reflections, an
 * exponentially decaying noise tail) and −80 dBFS noise.
 *
 * Uses only `synchronizedSweep`, `fftConvolve`, `seededRandom` and `encodeWav`, so the same
 * recording is made by any version of the project.
 *
 * Run: `deno run -A tests/measure/_sweep_recording.ts OUT_DIR [sweepSeconds recordingSeconds channels]`
 * writes OUT_DIR/sweep.json and OUT_DIR/rec.wav (float32).
 *
 * @module
 */
import { type Sweep, sweepToJson, synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { fftConvolve } from "../../dsp/convolve.ts";
import { encodeWav } from "../../io/wav.ts";
import { seededRandom } from "../_assert.ts";

/** Latency of the simulated interface in samples (the loopback channel's delay). */
export const LATENCY_SAMPLES = 480;

/** The sweep and recording of {@linkcode sweepRecording}. */
export interface SweepRecording {
  readonly sweep: Sweep;
  readonly channels: Float64Array[];
}

/** Make the recording (see the module documentation). */
export function sweepRecording(
  sweepSeconds: number,
  recordingSeconds: number,
  channelCount: number,
  sampleRate = 48000,
): SweepRecording {
  const sweep = synchronizedSweep({
    startHz: 20,
    endHz: 20000,
    durationSeconds: sweepSeconds,
    sampleRate,
    levelDbfs: -6,
  });
  const length = Math.round(recordingSeconds * sampleRate);
  const rand = seededRandom(20261203);
  const channels: Float64Array[] = [];
  for (let c = 0; c < channelCount; c++) {
    const y = new Float64Array(length);
    if (c === 0) {
      y.set(sweep.samples.subarray(0, length - LATENCY_SAMPLES), LATENCY_SAMPLES);
    } else {
      const driven = sweep.samples.map((x) => x + 0.02 * x * x + 0.01 * x * x * x);
      const ir = new Float64Array(Math.round(0.3 * sampleRate));
      const direct = LATENCY_SAMPLES + Math.round(((2 + 0.1 * c) / 343) * sampleRate);
      ir[direct - LATENCY_SAMPLES] = 0.5;
      for (let r = 0; r < 6; r++) {
        ir[direct - LATENCY_SAMPLES + 100 + Math.floor(rand() * 4000)]! += 0.2 * (rand() - 0.5);
      }
      for (let i = 0; i < ir.length; i++) {
        ir[i]! += 0.01 * (rand() - 0.5) * Math.exp(-i / (0.05 * sampleRate));
      }
      const wet = fftConvolve(driven, ir);
      y.set(wet.subarray(0, length - LATENCY_SAMPLES), LATENCY_SAMPLES);
    }
    for (let i = 0; i < length; i++) y[i]! += 2e-4 * (rand() - 0.5);
    channels.push(y);
  }
  return { sweep, channels };
}

if (import.meta.main) {
  const [out, sweepSeconds = "10", recordingSeconds = "11.6", channelCount = "8"] = Deno.args;
  if (out === undefined) {
    throw new Error("usage: _sweep_recording.ts OUT_DIR [sweepS recS channels]");
  }
  const { sweep, channels } = sweepRecording(
    Number(sweepSeconds),
    Number(recordingSeconds),
    Number(channelCount),
  );
  const parameters = { format: "spatialcal.sweep", version: 1, ...sweepToJson(sweep) };
  await Deno.writeTextFile(`${out}/sweep.json`, JSON.stringify(parameters, null, 2) + "\n");
  await Deno.writeFile(`${out}/rec.wav`, encodeWav({ sampleRate: sweep.sampleRate, channels }));
}
