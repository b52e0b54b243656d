/** deconvolve() refuses recordings that start after the sweep: on the loopback, or with requireCausal. */
import assert from "node:assert/strict";
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { deconvolve } from "../../measure/deconvolve.ts";
import { seededRandom } from "../_assert.ts";

const fs = 48000;
const sweep = synchronizedSweep({
  startHz: 20,
  endHz: 20000,
  durationSeconds: 0.5,
  sampleRate: fs,
});

function recording(startSamples: number, delay: number): Float64Array {
  // A delta path at `delay` samples, the recorder started `startSamples` after the sweep's start.
  const y = new Float64Array(sweep.samples.length + 24000);
  sweep.samples.forEach((v, i) => {
    const at = i + delay - startSamples;
    if (at >= 0 && at < y.length) y[at] = v;
  });
  return y;
}

Deno.test("deconvolve() names how late a recording started: on the loopback always, on a mic with requireCausal", () => {
  const mic = recording(300, 100);
  const loop = recording(300, 0);
  assert.throws(
    () => deconvolve(sweep, { sampleRate: fs, channels: [mic, loop] }, { loopbackChannel: 1 }),
    {
      name: "RangeError",
      message: /recording starts 300 samples after the sweep's first sample \(loopback channel 2/,
    },
  );
  assert.throws(
    () => deconvolve(sweep, { sampleRate: fs, channels: [mic] }, { requireCausal: true }),
    {
      name: "RangeError",
      message: /channel 1 responds 200 samples before the recording's first sample/,
    },
  );
  // Default: the arrival check still refuses it (its beginning is missing; THD would be garbage).
  assert.throws(() => deconvolve(sweep, { sampleRate: fs, channels: [mic] }), {
    name: "RangeError",
    message: /channel 1 as its response peaks 200 samples \(4 ms\) before the sweep's start/,
  });
  // In time: accepted, the direct sound 100 samples in.
  const ok = deconvolve(sweep, { sampleRate: fs, channels: [recording(0, 100)] }, {
    requireCausal: true,
  });
  assert.equal(ok.quality[0]!.onsetSamples <= 100, true);
});

Deno.test("requireCausal does not refuse a channel of noise only (a dead mic stays a low-SNR warning)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const random = seededRandom(seed);
    const noise = Float64Array.from(
      { length: sweep.samples.length + 24000 },
      () => 1e-3 * (random() - 0.5),
    );
    const r = deconvolve(sweep, { sampleRate: fs, channels: [noise, recording(0, 50)] }, {
      requireCausal: true,
    });
    assert.match(r.warnings.join(), /channel 1: low SNR/);
  }
});
