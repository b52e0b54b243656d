import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { deconvolve } from "../../measure/deconvolve.ts";
import { readWav } from "../../io/wav.ts";

const dir = new URL("../../fixtures/scipy/", import.meta.url).pathname;

Deno.test("synchronizedSweep() without fades equals scipy.signal.chirp(method='logarithmic') to 1e-9", async () => {
  const f = JSON.parse(await Deno.readTextFile(`${dir}sweep_chirp.json`));
  const s = synchronizedSweep({
    startHz: f.startHz,
    endHz: f.endHz,
    durationSeconds: f.requestedDurationSeconds,
    sampleRate: f.sampleRate,
    levelDbfs: 0,
    fadeInSeconds: 0,
    fadeOutSeconds: 0,
  });
  assertAllClose([s.rateSeconds], [f.rateSeconds], { rtol: 1e-15 });
  const ours = (f.indices as number[]).map((i) => s.samples[i]!);
  // Two evaluations of sin(2π·f1·L·(e^{t/L} − 1)) with phases up to 2π·f1·L·1000 ≈ 1.5e5 rad:
  // round-off of the phase (≈ 1e-11 rad) bounds the difference.
  assertAllClose(ours, f.values, { atol: 1e-9 });
});

Deno.test("deconvolve() of a scipy lfilter recording gives scipy's freqz response within 0.02 dB and 0.1°", async () => {
  const f = JSON.parse(await Deno.readTextFile(`${dir}sweep_butter.json`));
  const sweep = synchronizedSweep(f.sweep);
  const rec = await readWav(`${dir}sweep_butter.wav`);
  assert.equal(rec.sampleRate, 48000);
  const { ir } = deconvolve(sweep, rec, { irLengthSamples: 16384 });
  const h = ir.channels[0]!;
  let worst = 0;
  (f.frequenciesHz as number[]).forEach((hz, i) => {
    // Evaluate our spectrum at the exact frequency by a direct DTFT sum (the FFT grid is only for speed elsewhere).
    let re = 0, im = 0;
    for (let t = 0; t < h.length; t++) {
      const phi = (-2 * Math.PI * hz * t) / 48000;
      re += h[t]! * Math.cos(phi);
      im += h[t]! * Math.sin(phi);
    }
    const ref = Math.hypot(f.re[i], f.im[i]);
    const levelDiff = 20 * Math.log10(Math.hypot(re, im) / ref);
    const phaseDiff = Math.atan2(im * f.re[i] - re * f.im[i], re * f.re[i] + im * f.im[i]) * 180 /
      Math.PI;
    // Float32 storage of the recording (−150 dB) and the 0.34 s IR window limit the agreement.
    worst = Math.max(worst, Math.abs(levelDiff));
    assert.ok(Math.abs(levelDiff) < 0.02, `${hz.toFixed(1)} Hz: ${levelDiff.toFixed(4)} dB`);
    assert.ok(Math.abs(phaseDiff) < 0.1, `${hz.toFixed(1)} Hz: ${phaseDiff.toFixed(4)}°`);
  });
  console.log(`worst level difference ${worst.toFixed(4)} dB`);
});
