import { equal as assertEquals, ok as assert, throws } from "node:assert/strict";

/** Assert that `fn` throws an instance of `cls` whose message contains `text`. */
function assertThrows(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  text: string,
): void {
  throws(fn, (e: unknown) => e instanceof cls && e.message.includes(text));
}
import { fftConvolve } from "../../dsp/convolve.ts";
import {
  multiSweepPlan,
  multiSweepStimulus,
  separateMultiSweep,
} from "../../measure/multi_sweep.ts";
import { errorDb, seededRandom } from "../_assert.ts";

const fs = 48000;

/** A decaying random IR with a delay, band-limited by a short moving average. */
function knownIr(seed: number, delay: number, length: number): Float64Array {
  const rand = seededRandom(seed);
  const h = new Float64Array(length);
  for (let i = delay; i < length; i++) {
    h[i] = (rand() - 0.5) * Math.exp(-(i - delay) / 60);
  }
  // A first difference removes DC (-51 dB at 20 Hz, where the sweep starts)
  // and a 4-tap average the top band (zero at fs/2).
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < 4; j++) out[i]! += ((h[i - j] ?? 0) - (h[i - j - 1] ?? 0)) / 4;
  }
  return out;
}

/** Recording = Σ_m h_m * nl(x_m), delayed by `latency`. */
function record(
  stimulus: Float64Array[],
  irs: Float64Array[],
  latency: number,
  tail: number,
  nonlinear: (x: number, m: number) => number = (x) => x,
): Float64Array {
  const n = stimulus[0]!.length + tail;
  const y = new Float64Array(n);
  stimulus.forEach((x, m) => {
    const driven = x.map((v) => nonlinear(v, m));
    const c = fftConvolve(driven, irs[m]!);
    for (let i = 0; i + latency < n && i < c.length; i++) y[i + latency]! += c[i]!;
  });
  return y;
}

function energy(x: Float64Array): number {
  return x.reduce((s, v) => s + v * v, 0);
}

Deno.test("multiSweepPlan() is shorter than sequential sweeps (time saved printed)", () => {
  const plan = multiSweepPlan({
    startHz: 20,
    endHz: 20000,
    durationSeconds: 1,
    sampleRate: fs,
    driverCount: 5,
  });
  assert(plan.totalSeconds < plan.sequentialSeconds);
  console.log(
    `5 drivers, 1 s sweep 20 Hz–20 kHz, K = 20, IR 4096: one pass ${
      plan.totalSeconds.toFixed(2)
    } s vs sequential ${plan.sequentialSeconds.toFixed(2)} s (saved ${
      (plan.sequentialSeconds - plan.totalSeconds).toFixed(2)
    } s, ${(100 * (1 - plan.totalSeconds / plan.sequentialSeconds)).toFixed(0)} %)`,
  );
});

Deno.test("separateMultiSweep() recovers known per-driver IRs to below -70 dB", () => {
  const plan = multiSweepPlan({
    startHz: 20,
    endHz: 24000,
    durationSeconds: 0.5,
    sampleRate: fs,
    driverCount: 4,
    irLengthSamples: 1024,
    harmonicCount: 8,
    maxLatencySamples: 512,
  });
  const irs = [0, 1, 2, 3].map((m) => knownIr(10 + m, 20 + 15 * m, 1024));
  const latency = 137;
  const y = record(multiSweepStimulus(plan), irs, latency, plan.tailSamples);
  const result = separateMultiSweep(plan, y, { latencySamples: latency });
  assertEquals(result.drivers.length, 4);
  result.drivers.forEach((d, m) => {
    // The sweep covers 20 Hz–23 kHz and the IRs have little energy outside it;
    // what is left is the band edge, well under -60 dB.
    const e = errorDb(d.ir, irs[m]!);
    assert(e < -70, `driver ${m}: error ${e.toFixed(1)} dB`);
    // Linear system: no harmonic energy; what is left (about -75 dB) is the
    // deconvolution's band-edge ringing from the neighbouring drivers.
    const h = d.harmonics.reduce((s, x) => s + energy(x), 0);
    assert(10 * Math.log10(h / energy(d.ir)) < -70, `driver ${m} harmonic leak`);
  });
});

Deno.test("separateMultiSweep() finds the latency on a loopback channel", () => {
  const plan = multiSweepPlan({
    startHz: 20,
    endHz: 24000,
    durationSeconds: 0.4,
    sampleRate: fs,
    driverCount: 3,
    irLengthSamples: 512,
    harmonicCount: 5,
    maxLatencySamples: 2048,
  });
  const stim = multiSweepStimulus(plan);
  const irs = [0, 1, 2].map((m) => knownIr(30 + m, 10, 512));
  const y = record(stim, irs, 777, plan.tailSamples);
  // Loopback = sum of all outputs, delayed by the same latency.
  const delta = new Float64Array([1]);
  const loop = record(stim, [delta, delta, delta], 777, plan.tailSamples);
  const result = separateMultiSweep(plan, y, { loopback: loop });
  assertEquals(result.latencySamples, 777);
  result.drivers.forEach((d, m) => assert(errorDb(d.ir, irs[m]!) < -50));
});

Deno.test("separateMultiSweep() keeps one driver's harmonics apart from the others'", () => {
  // Driver 1 runs through y = x + a2·x² + a3·x³ (a Hammerstein model). For a
  // sine of amplitude A the 2nd harmonic has amplitude a2·A²/2 and the 3rd
  // a3·A³/4, so their energies relative to the fundamental are
  // (a2·A/2)² and (a3·A²/4)² when the linear part is flat.
  const levelDbfs = -6;
  const A = Math.pow(10, levelDbfs / 20);
  const a2 = 0.3, a3 = 0.4;
  const plan = multiSweepPlan({
    startHz: 40,
    endHz: 7000, // the 3rd harmonic stays below fs/2
    durationSeconds: 1,
    sampleRate: fs,
    levelDbfs,
    driverCount: 3,
    irLengthSamples: 512,
    harmonicCount: 6,
    maxLatencySamples: 256,
  });
  const irs = [0, 1, 2].map(() => {
    const h = new Float64Array(512);
    h[5] = 1;
    return h;
  });
  const y = record(
    multiSweepStimulus(plan),
    irs,
    0,
    plan.tailSamples,
    (x, m) => m === 1 ? x + a2 * x * x + a3 * x * x * x : x,
  );
  const result = separateMultiSweep(plan, y, { latencySamples: 0 });
  const [d0, d1, d2] = result.drivers;
  const rel = (d: typeof d1, k: number) =>
    10 * Math.log10(energy(d!.harmonics[k - 2]!) / energy(d!.ir));
  const expected2 = 20 * Math.log10(a2 * A / 2);
  const expected3 = 20 * Math.log10(a3 * A * A / 4);
  console.log(
    `harmonic 2: ${rel(d1, 2).toFixed(2)} dB (expected ${expected2.toFixed(2)}), harmonic 3: ${
      rel(d1, 3).toFixed(2)
    } dB (expected ${expected3.toFixed(2)})`,
  );
  // 1 dB: the sweep's fades and band edges change the energy ratio slightly;
  // the x³ term also adds 3·a3·A²/4 to the fundamental, which we include.
  const fundamentalGain = 1 + (3 * a3 * A * A) / 4;
  assert(Math.abs(rel(d1, 2) + 20 * Math.log10(fundamentalGain) - expected2) < 1);
  assert(Math.abs(rel(d1, 3) + 20 * Math.log10(fundamentalGain) - expected3) < 1);
  console.log(
    `harmonic 4: ${rel(d1, 4).toFixed(2)} dB; linear drivers' harmonic 2: ${
      rel(d0, 2).toFixed(1)
    }, ${rel(d2, 2).toFixed(1)} dB`,
  );
  // A cubic makes no 4th harmonic; the floor there (about -50 dB) is the DC
  // offset of the x² term spread by the 40 Hz band edge.
  assert(rel(d1, 4) < expected3 - 15, "no 4th harmonic from a cubic");
  for (const d of [d0, d2]) {
    // The linear drivers' windows hold only band-edge ringing.
    assert(rel(d, 2) < -50 && rel(d, 3) < -50, "linear drivers show no harmonics");
  }
  // Harmonic 2 alone is 7.5 %; the linear drivers sit at the ringing floor.
  assert(d1!.thdPercent > 5 && d0!.thdPercent < 1 && d2!.thdPercent < 1);
});

Deno.test("multiSweepPlan() rejects bad parameters with RangeError", () => {
  const base = { startHz: 20, endHz: 20000, durationSeconds: 1, sampleRate: fs };
  assertThrows(
    () => multiSweepPlan({ ...base, driverCount: 0 }),
    RangeError,
    "Cannot plan multiple sweeps as driverCount must be an integer between 1 and 64: current value is 0",
  );
  assertThrows(
    () => multiSweepPlan({ ...base, driverCount: 2, harmonicCount: 1 }),
    RangeError,
    "harmonicCount must be an integer between 2 and 64: current value is 1",
  );
  assertThrows(
    () => multiSweepPlan({ ...base, driverCount: 2, irLengthSamples: 10 }),
    RangeError,
    "irLengthSamples must be an integer between 64 and 65536: current value is 10",
  );
  assertThrows(
    () =>
      multiSweepPlan({
        ...base,
        durationSeconds: 0.1,
        startHz: 20,
        driverCount: 2,
        preSamples: 4096,
      }),
    RangeError,
    "lengthen durationSeconds",
  );
});

Deno.test("separateMultiSweep() rejects a short recording and a bad latency", () => {
  const plan = multiSweepPlan({
    startHz: 50,
    endHz: 20000,
    durationSeconds: 0.3,
    sampleRate: fs,
    driverCount: 2,
    irLengthSamples: 256,
    harmonicCount: 4,
    maxLatencySamples: 100,
  });
  assertThrows(
    () => separateMultiSweep(plan, new Float64Array(10)),
    RangeError,
    `Cannot separate multiple sweeps as the recording must be at least the stimulus length (${plan.lengthSamples} samples): current value is 10`,
  );
  assertThrows(
    () => separateMultiSweep(plan, new Float64Array(plan.lengthSamples), { latencySamples: 101 }),
    RangeError,
    "latencySamples must be an integer between 0 and maxLatencySamples (100): current value is 101",
  );
  assertThrows(
    () =>
      separateMultiSweep(plan, new Float64Array(plan.lengthSamples), {
        loopback: new Float64Array(plan.lengthSamples),
      }),
    RangeError,
    "Cannot find latency as the loopback channel is silent",
  );
});
