import assert from "node:assert/strict";
import { assertAllClose, errorDb, seededRandom } from "../_assert.ts";
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { deconvolve, sweepInverseSpectrum } from "../../measure/deconvolve.ts";
import { detectDropouts } from "../../measure/capture_quality.ts";
import { fftConvolve } from "../../dsp/convolve.ts";
import { nextPowerOfTwo, realFftPlan } from "../../dsp/fft.ts";
import { kaiserHighpass } from "../_reference/kaiser.ts";

const fs = 48000;
const sweep = synchronizedSweep({
  startHz: 20,
  endHz: 20000,
  durationSeconds: 1,
  sampleRate: fs,
  levelDbfs: -6,
});

/**
 * A multi-tap IR whose spectrum is inside the sweep's band: taps convolved with a Kaiser high-pass
 * (50 Hz, 4801 taps, stop band < −120 dB below 10 Hz). The sweep runs 10 Hz – 24 kHz (Nyquist).
 */
function bandLimitedTaps(taps: readonly [number, number][]): Float64Array {
  const sparse = new Float64Array(4000);
  for (const [delay, gain] of taps) sparse[delay] = gain;
  return fftConvolve(sparse, kaiserHighpass(4801, 50, fs));
}

const wideSweep = synchronizedSweep({
  startHz: 10,
  endHz: 24000,
  durationSeconds: 1,
  sampleRate: fs,
  levelDbfs: -6,
});
const knownIr = bandLimitedTaps([[0, 1], [300, -0.5], [1100, 0.25], [3999, 0.1]]);

Deno.test("deconvolve() of a sweep by itself is a delta: flat to 0.01 dB over 200 Hz – 15 kHz, peak at its delay", () => {
  // Delay the sweep by 0.25 s so that the two-sided ringing of the band-limited delta is inside the window.
  const delay = 12000;
  const rec = new Float64Array(sweep.samples.length + 48000);
  rec.set(sweep.samples, delay);
  const { ir } = deconvolve(sweep, { sampleRate: fs, channels: [rec] });
  const h = ir.channels[0]!;
  let peakIndex = 0;
  for (let i = 1; i < h.length; i++) if (Math.abs(h[i]!) > Math.abs(h[peakIndex]!)) peakIndex = i;
  assert.equal(peakIndex, delay);
  const n = nextPowerOfTwo(h.length) * 2;
  const H = realFftPlan(n).forward(h);
  const mags: number[] = [];
  for (let k = 1; k < n / 2; k++) {
    const f = (k * fs) / n;
    if (f > 200 && f < 15000) mags.push(Math.hypot(H.re[k]!, H.im[k]!));
  }
  // In band |X|²/(|X|²+ε) = 1 − O(1e-9); what is left is the truncation (at −0.25 s and +0.75 s) of the
  // ringing that the regularization's band edges (20 Hz, 20 kHz) cause: < 1e-3 (0.01 dB) inside the band.
  assertAllClose(mags, mags.map(() => 1), { atol: 1e-3 });
});

Deno.test("deconvolve() recovers a known multi-tap IR to better than -100 dB without noise", () => {
  const rec = fftConvolve(wideSweep.samples, knownIr);
  const { ir } = deconvolve(wideSweep, { sampleRate: fs, channels: [rec] }, {
    irLengthSamples: knownIr.length,
  });
  const err = errorDb(ir.channels[0]!, knownIr);
  assert.ok(err <= -100, `error ${err.toFixed(1)} dB`);
});

Deno.test("deconvolve() with fftPrecision float32 (PFFFT) still recovers the known IR to better than -100 dB", () => {
  const rec = fftConvolve(wideSweep.samples, knownIr);
  const { ir } = deconvolve(wideSweep, { sampleRate: fs, channels: [rec] }, {
    irLengthSamples: knownIr.length,
    fftPrecision: "float32",
  });
  const err = errorDb(ir.channels[0]!, knownIr);
  // float32 round-off of two 2^17-point transforms sits near −130 dB.
  assert.ok(err <= -100 && err > -160, `error ${err.toFixed(1)} dB`);
});

Deno.test("deconvolve() noise floor matches the processing gain predicted from the inverse filter within 1 dB", () => {
  const rand = seededRandom(7);
  const sigma = 1e-3; // -60 dBFS white noise
  const clean = new Float64Array(sweep.samples.length + 24000);
  clean.set(fftConvolve(sweep.samples, knownIr));
  const rec = clean.map((v) => {
    // Box–Muller normal noise
    const u = rand() || 1e-12, w = rand();
    return v + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
  });
  const irLength = rec.length - sweep.samples.length;
  const { ir, quality } = deconvolve(sweep, { sampleRate: fs, channels: [rec] }, {
    irLengthSamples: irLength,
  });
  // Expected IR noise power per sample: σ²·(1/N)·Σ_k |G_k|² over the full spectrum, divided by the sweep amplitude².
  const N = nextPowerOfTwo(
    rec.length + Math.ceil(sweep.rateSeconds * Math.log(5) * fs) + 32 + irLength,
  );
  const G = sweepInverseSpectrum(sweep, N);
  let sum = 0;
  for (let k = 0; k < G.re.length; k++) {
    const p = G.re[k]! ** 2 + G.im[k]! ** 2;
    sum += k === 0 || k === G.re.length - 1 ? p : 2 * p;
  }
  const amp = Math.pow(10, -6 / 20);
  const expected = (sigma * sigma * sum) / N / (amp * amp);
  const h = ir.channels[0]!;
  let measured = 0;
  const from = knownIr.length + 1000; // beyond the known IR's support
  for (let i = from; i < h.length; i++) measured += h[i]! ** 2;
  measured /= h.length - from;
  const diffDb = 10 * Math.log10(measured / expected);
  assert.ok(Math.abs(diffDb) < 1, `measured noise ${diffDb.toFixed(2)} dB from the prediction`);
  // The peak-to-noise ratio reported is the same physics: peak² over that floor (±1 dB).
  let peak = 0;
  for (const v of knownIr) peak = Math.max(peak, Math.abs(v));
  const predictedSnr = 10 * Math.log10((peak * peak) / expected);
  assert.ok(
    // The reported figure estimates the floor from the IR's last quarter only (8000 samples of
    // coloured noise): it scatters by about ±1 dB, hence 2 dB here.
    Math.abs(quality[0]!.snrDb - predictedSnr) < 2,
    `reported SNR ${quality[0]!.snrDb.toFixed(2)} dB vs predicted ${predictedSnr.toFixed(2)} dB`,
  );
});

Deno.test("deconvolve() gives harmonic levels of a memoryless polynomial within 0.1 dB of the analytic values", () => {
  const s = synchronizedSweep({
    startHz: 50,
    endHz: 4000,
    durationSeconds: 2,
    sampleRate: fs,
    levelDbfs: -6,
  });
  const A = Math.pow(10, -6 / 20), a2 = 0.1, a3 = 0.05;
  const rec = new Float64Array(s.samples.length + 9600);
  s.samples.forEach((x, i) => (rec[i] = x + a2 * x * x + a3 * x * x * x));
  const { distortion } = deconvolve(s, { sampleRate: fs, channels: [rec] }, { harmonicCount: 3 });
  const d = distortion[0]!;
  // sin² = (1 − cos 2φ)/2 and sin³ = (3 sin φ − sin 3φ)/4:
  const fundamental = A * (1 + (3 * a3 * A * A) / 4);
  const expected = [(a2 * A * A) / 2 / fundamental, (a3 * A * A * A) / 4 / fundamental];
  for (const [j, ratio] of expected.entries()) {
    const values: number[] = [];
    d.frequenciesHz.forEach((f, i) => {
      if (f > 200 && f < 1000) values.push(20 * Math.log10(d.harmonicRatios[j]![i]!));
    });
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const target = 20 * Math.log10(ratio);
    assert.ok(
      Math.abs(mean - target) < 0.1,
      `H${j + 2}: ${mean.toFixed(3)} dB vs ${target.toFixed(3)} dB`,
    );
  }
  const thd = 100 * Math.hypot(expected[0]!, expected[1]!);
  assert.ok(Math.abs(d.thdPercent / thd - 1) < 0.02, `THD ${d.thdPercent} % vs ${thd} %`);
});

Deno.test("deconvolve() with a loopback channel removes the latency exactly and keeps propagation delay", () => {
  const latency = 123;
  const acoustic = fftConvolve(wideSweep.samples, knownIr);
  const length = acoustic.length + latency;
  const mic = new Float64Array(length), loop = new Float64Array(length);
  mic.set(acoustic, latency);
  loop.set(wideSweep.samples, latency);
  const result = deconvolve(wideSweep, { sampleRate: fs, channels: [mic, loop] }, {
    loopbackChannel: 1,
    irLengthSamples: knownIr.length,
  });
  assert.equal(result.latencySamples, latency);
  assert.ok(errorDb(result.ir.channels[0]!, knownIr) < -100);
  assert.ok(Math.abs(result.ir.channels[1]![0]! - 1) < 0.05); // the loopback becomes a (band-limited) delta at 0
});

Deno.test("deconvolve() warns about clipping, dropouts and low SNR", () => {
  const rec = new Float64Array(sweep.samples.length + 4800);
  sweep.samples.forEach((v, i) => (rec[i] = Math.max(-0.3, Math.min(0.3, v))));
  const clipped = deconvolve(sweep, { sampleRate: fs, channels: [rec.map((v) => v / 0.3)] });
  assert.match(
    clipped.warnings.join("\n"),
    /^channel 1: clipping: \d+ samples at or above -0.01 dBFS/,
  );
  const dropped = Float64Array.from(sweep.samples);
  dropped.fill(0, 20000, 20256);
  const withDrop = new Float64Array(dropped.length + 4800);
  withDrop.set(dropped);
  const d = deconvolve(sweep, { sampleRate: fs, channels: [withDrop] });
  assert.match(
    d.warnings.join("\n"),
    /dropout: 1 run\(s\) of digital silence during the sweep \(longest 256 samples at sample 20000\)/,
  );
  const rand = seededRandom(3);
  const noisy = withDrop.map(() => rand() - 0.5);
  noisy.forEach((v, i) => (noisy[i] = v + 0.001 * (sweep.samples[i] ?? 0)));
  const n = deconvolve(sweep, { sampleRate: fs, channels: [noisy] });
  assert.match(n.warnings.join("\n"), /low SNR: peak-to-noise ratio/);
});

/** A sweep as a 16-bit file or a digital loopback holds it: rounded to the 2^-15 grid, no dither. */
function quantize16(x: Float64Array): Float64Array {
  return x.map((v) => Math.round(v * 32768) / 32768);
}

// A quiet sweep: once quantized, its fade-in starts with 60 exact zeros (more than a 32-sample dropout).
const quietSweep = synchronizedSweep({
  startHz: 20,
  endHz: 20000,
  durationSeconds: 1,
  sampleRate: fs,
  levelDbfs: -30,
});
const preRoll = 600;
/** The 16-bit sweep after `preRoll` samples of digital silence, with a 0.1 s tail. */
const preRolled = new Float64Array(preRoll + quietSweep.samples.length + 4800);
preRolled.set(quantize16(quietSweep.samples), preRoll);

Deno.test("deconvolve() reports no dropout for a 16-bit sweep after a pre-roll, whose fade-in rounds to exact zeros, with and without loopback", () => {
  // The false positive this guards against: the fade-in right after the pre-roll is a run of zeros
  // at least as long as a dropout, which the check must not count.
  const fadeZeros = detectDropouts(preRolled, preRoll, quietSweep.samples.length);
  assert.equal(fadeZeros.firstIndex, preRoll);
  assert.ok(fadeZeros.longestSamples >= 32, `${fadeZeros.longestSamples} zeros`);
  for (const options of [{}, { loopbackChannel: 1 }]) {
    const r = deconvolve(quietSweep, { sampleRate: fs, channels: [preRolled, preRolled] }, options);
    assert.deepEqual(r.warnings, [], JSON.stringify(options));
    assert.equal(r.latencySamples, "loopbackChannel" in options ? preRoll : null);
  }
});

Deno.test("deconvolve() finds a 32-sample dropout in the middle of a 16-bit sweep after a pre-roll, with and without loopback", () => {
  const at = preRoll + 20000;
  const dropped = Float64Array.from(preRolled);
  dropped.fill(0, at, at + 32); // the shortest run that counts
  const expected = new RegExp(
    `^channel 1: dropout: 1 run\\(s\\) of digital silence during the sweep \\(longest 32 samples at sample ${at}\\)$`,
  );
  for (const options of [{}, { loopbackChannel: 1 }]) {
    const r = deconvolve(quietSweep, { sampleRate: fs, channels: [dropped, preRolled] }, options);
    assert.equal(r.warnings.length, 1, r.warnings.join("\n"));
    assert.match(r.warnings[0]!, expected);
    assert.equal(r.quality[1]!.warnings.length, 0);
  }
  // Warnings number channels from 1, as the CLI does: a dropout on the second channel is channel 2's.
  const second = deconvolve(quietSweep, { sampleRate: fs, channels: [preRolled, dropped] });
  assert.deepEqual(second.warnings, [
    `channel 2: dropout: 1 run(s) of digital silence during the sweep (longest 32 samples at sample ${at})`,
  ]);
  assert.equal(second.quality[1]!.warnings.length, 1);
  // Without loopback the sweep is found at the IR's onset, so the pre-roll itself is no dropout;
  // a silent channel is still one run, from where the loud part of the sweep would begin.
  const silent = new Float64Array(preRolled.length);
  const s = deconvolve(quietSweep, { sampleRate: fs, channels: [silent] });
  assert.match(s.warnings.join("\n"), /dropout: 1 run\(s\) of digital silence during the sweep/);
});

Deno.test("deconvolve() rejects bad recordings with clear messages", () => {
  const ok = new Float64Array(sweep.samples.length + 100);
  assert.throws(() => deconvolve(sweep, { sampleRate: 44100, channels: [ok] }), {
    name: "RangeError",
    message:
      "Cannot deconvolve as the recording's sampleRate (44100 Hz) differs from the sweep's (48000 Hz)",
  });
  assert.throws(() => deconvolve(sweep, { sampleRate: fs, channels: [new Float64Array(100)] }), {
    name: "RangeError",
    message:
      `Cannot deconvolve as the recording must be at least as long as the sweep (${sweep.samples.length} samples): current value is 100`,
  });
  const nan = Float64Array.from(ok);
  nan[77] = Number.NaN;
  assert.throws(() => deconvolve(sweep, { sampleRate: fs, channels: [ok, nan] }), {
    name: "RangeError",
    message: "Cannot deconvolve as recording samples must be finite: channel 1 sample 77 is NaN",
  });
  assert.throws(
    () => deconvolve(sweep, { sampleRate: fs, channels: [ok] }, { loopbackChannel: 2 }),
    {
      name: "RangeError",
      message:
        "Cannot deconvolve as loopbackChannel must be a channel index 0..0: current value is 2",
    },
  );
  assert.throws(
    () => deconvolve(sweep, { sampleRate: fs, channels: [ok, ok] }, { loopbackChannel: 1 }),
    /Cannot remove latency as loopback channel 2 \(loopbackChannel 1\) carries no clear copy of the sweep/,
  );
  assert.throws(
    () => deconvolve(sweep, { sampleRate: fs, channels: [ok] }, { harmonicCount: 40 }),
    /harmonicCount/,
  );
});

Deno.test("deconvolve() on its circular grid agrees with the linear (zero-padded) division while the room tail has decayed by the recording's end", () => {
  // The recording is 1000 samples short of 2^17, so the grid is 2^17 and the recording's last
  // ~6900 samples fold onto the harmonic windows (which start L·ln 5 + 4 ms before the grid's
  // end); what folds is those samples' content at the sweep's lowest frequencies (f1 … 5·f1).
  // Padding the recording with zeros to 2^18 gives the linear division, with nothing folded.
  // An exponential tail with T60 = 0.3 s (white plus a 25 Hz room mode) runs to the recording's
  // end (−500 dB there). (Measured: with T60 = 5 s, −31 dB at the end, they still agree to
  // −120 dB, as the folded samples only meet the sweep's first 0.14 s, 10–42 Hz.)
  const length = 2 ** 17 - 1000;
  const tail = new Float64Array(length - wideSweep.samples.length);
  const rand = seededRandom(7);
  for (let i = 0; i < tail.length; i++) {
    const decay = Math.pow(10, (-60 * i) / (0.3 * fs) / 20);
    tail[i] = ((rand() - 0.5) + 0.2 * Math.sin((2 * Math.PI * 25 * i) / fs)) * decay;
  }
  const rec = fftConvolve(wideSweep.samples, tail).slice(0, length);
  const padded = new Float64Array(2 ** 17 + 1000);
  padded.set(rec);
  const options = { irLengthSamples: 0.5 * fs };
  const circular = deconvolve(wideSweep, { sampleRate: fs, channels: [rec] }, options);
  const linear = deconvolve(wideSweep, { sampleRate: fs, channels: [padded] }, options);
  const peak = Math.max(...linear.ir.channels[0]!.map(Math.abs));
  const errIr = errorDb(circular.ir.channels[0]!, linear.ir.channels[0]!);
  assert.ok(errIr < -100, `IR: circular vs linear ${errIr.toFixed(1)} dB`);
  for (const [n, order] of circular.harmonics[0]!.channels.entries()) {
    const reference = linear.harmonics[0]!.channels[n]!;
    const diff = Math.max(...order.map((v, i) => Math.abs(v - reference[i]!)));
    const level = 20 * Math.log10(diff / peak);
    assert.ok(
      level < -100,
      `harmonic ${n + 2} window: circular − linear at ${level.toFixed(1)} dB re the IR peak`,
    );
  }
});
