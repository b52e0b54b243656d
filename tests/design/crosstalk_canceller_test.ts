import assert from "node:assert/strict";
import { createComplexMatrixStack, multiply } from "../../dsp/complex_linalg.ts";
import {
  designCrosstalkCanceller,
  desiredEarResponses,
  regularizationShape,
  targetSeparationCurve,
} from "../../design/crosstalk_canceller.ts";
import { firResponses, realizeFir } from "../../design/fir.ts";
import { channelSeparationDb } from "../../design/metrics.ts";
import { designVirtualizer } from "../../design/virtualizer.ts";
import { createTransferMatrix } from "../../design/transfer_matrix.ts";
import { binsBetween, earPlant, FFT_SIZE, FIVE_DRIVERS_Y, SAMPLE_RATE } from "./_plants.ts";

const TWO_DRIVERS_Y = [-0.1, 0.1];

function worstDeviationDb(
  achieved: Float64Array,
  target: Float64Array,
  bins: readonly number[],
): { worst: number; atHz: number } {
  let worst = 0, atHz = 0;
  for (const k of bins) {
    const d = Math.abs(achieved[k]! - target[k]!);
    if (d > worst) {
      worst = d;
      atHz = (k * SAMPLE_RATE) / FFT_SIZE;
    }
  }
  return { worst, atHz };
}

Deno.test("2-driver CTC separation follows the target curve within ±3 dB over 300 Hz–6 kHz (per bin and as 2048-tap FIRs)", () => {
  const P = earPlant(TWO_DRIVERS_Y);
  const ctc = designCrosstalkCanceller(P, { virtualizer: "none", taps: 2048 });
  assert.deepEqual(ctc.warnings, []);
  assert.equal(ctc.parameters.method, "crosstalk-cancellation");
  const band = binsBetween(P.frequenciesHz, 300, 6000);
  for (const input of [0, 1]) {
    const dev = worstDeviationDb(
      ctc.predicted.separationDb[0]![input]!,
      ctc.targetSeparationDb,
      band,
    );
    // Requirement from the issue: ±3 dB; measured ~0.3 dB (regularization shaves the weak mode at 300 Hz).
    assert.ok(dev.worst <= 3, `input ${input}: ${dev.worst.toFixed(2)} dB at ${dev.atHz} Hz`);
  }
  const fir = realizeFir(ctc.weights, { taps: 2048, shiftSamples: ctc.modellingDelaySamples });
  assert.ok(fir.worstTruncationErrorDb < -40, `truncation ${fir.worstTruncationErrorDb} dB`);
  const realized = channelSeparationDb(P.matrix, firResponses(fir.filters, FFT_SIZE));
  for (const input of [0, 1]) {
    const dev = worstDeviationDb(realized[input]!, ctc.targetSeparationDb, band);
    assert.ok(dev.worst <= 3, `FIR input ${input}: ${dev.worst.toFixed(2)} dB at ${dev.atHz} Hz`);
  }
});

Deno.test("CTC applied to its own plant gives the delayed target in band: ipsilateral ear = G·e^{-jω(bulk+Δ)} within 0.5 dB and 0.1 rad", () => {
  const P = earPlant(TWO_DRIVERS_Y);
  const ctc = designCrosstalkCanceller(P, { virtualizer: "none", taps: 2048 });
  const fir = realizeFir(ctc.weights, { taps: 2048, shiftSamples: ctc.modellingDelaySamples });
  const E = multiply(P.matrix, firResponses(fir.filters, FFT_SIZE));
  const G = ctc.parameters.targetGain as number;
  const delay = ctc.bulkDelaySamples[0]! + ctc.modellingDelaySamples;
  for (const k of binsBetween(P.frequenciesHz, 300, 6000)) {
    const w = (2 * Math.PI * k) / FFT_SIZE;
    const i = k * 4; // row 0 (ear-left), column 0 (left input)
    const re = E.re[i]!, im = E.im[i]!;
    const mag = Math.hypot(re, im) / G;
    // Remove the expected delay; the residual phase is the in-band error of the inverse.
    const pr = re * Math.cos(w * delay) - im * Math.sin(w * delay);
    const pi = re * Math.sin(w * delay) + im * Math.cos(w * delay);
    const phase = Math.atan2(pi, pr);
    // 0.5 dB / 0.1 rad: the target-curve design leaves the ipsilateral ear at G·(1 + small residual).
    assert.ok(Math.abs(20 * Math.log10(mag)) < 0.5, `|E|/G ${mag} at bin ${k}`);
    assert.ok(Math.abs(phase) < 0.1, `phase ${phase} at bin ${k}`);
  }
});

Deno.test("5-driver null-steering follows the target within ±3 dB and never needs more drive than the 2 outer drivers alone", () => {
  const P5 = earPlant(FIVE_DRIVERS_Y);
  const P2 = earPlant(TWO_DRIVERS_Y);
  const ns = designCrosstalkCanceller(P5, { virtualizer: "none" });
  const ctc = designCrosstalkCanceller(P2, {
    virtualizer: "none",
    targetGain: ns.parameters.targetGain as number,
  });
  assert.equal(ns.parameters.method, "null-steering");
  assert.equal(ns.weights.rows, 5);
  const band = binsBetween(P5.frequenciesHz, 300, 6000);
  for (const input of [0, 1]) {
    const dev = worstDeviationDb(
      ns.predicted.separationDb[0]![input]!,
      ns.targetSeparationDb,
      band,
    );
    assert.ok(dev.worst <= 3, `input ${input}: ${dev.worst.toFixed(2)} dB at ${dev.atHz} Hz`);
  }
  // The outer pair (middle drivers at 0) is one feasible 5-driver solution, so the minimum-norm
  // effort cannot exceed it; 0.1 dB allows for the slightly different regularization bias.
  for (const k of band) {
    assert.ok(
      ns.predicted.driveEffortDb[0]![k]! <= ctc.predicted.driveEffortDb[0]![k]! + 0.1,
      `bin ${k}: ${ns.predicted.driveEffortDb[0]![k]} > ${ctc.predicted.driveEffortDb[0]![k]}`,
    );
  }
});

Deno.test("CTC with the virtualizer delivers the virtual speaker's binaural responses T·V at the ears (error < -20 dB in 300 Hz–6 kHz)", () => {
  const P = earPlant(FIVE_DRIVERS_Y);
  const d = designCrosstalkCanceller(P, { virtualizer: { angleDeg: 30 } });
  assert.deepEqual(d.warnings, []);
  const E = multiply(P.matrix, d.weights);
  let err = 0, ref = 0;
  for (const k of binsBetween(P.frequenciesHz, 300, 6000)) {
    for (let j = 0; j < 4; j++) {
      const i = k * 4 + j;
      err += (E.re[i]! - d.desired.re[i]!) ** 2 + (E.im[i]! - d.desired.im[i]!) ** 2;
      ref += d.desired.re[i]! ** 2 + d.desired.im[i]! ** 2;
    }
  }
  const errorDb = 10 * Math.log10(err / ref);
  // Regularization β = -30 dB of the plant power bounds the fit error well below -20 dB.
  assert.ok(errorDb < -20, `fit error ${errorDb.toFixed(1)} dB`);
  // The virtual 30° pair has strong crosstalk at low frequency: desired separation < 3 dB at 300 Hz.
  const k300 = Math.round((300 * FFT_SIZE) / SAMPLE_RATE);
  assert.ok(d.predicted.desiredSeparationDb[0]![k300]! < 3);
});

Deno.test("a design over 3 head positions (−5, 0, +5 cm) stacks their equations and keeps separation ≥ 6 dB on average at ±5 cm", () => {
  const plants = [0, -0.05, 0.05].map((o) => earPlant(FIVE_DRIVERS_Y, { offsetYMeters: o }));
  const d = designCrosstalkCanceller(plants, { virtualizer: "none" });
  assert.equal(d.parameters.positions, 3);
  assert.equal(d.predicted.separationDb.length, 3);
  const band = binsBetween(plants[0]!.frequenciesHz, 300, 6000);
  for (let p = 0; p < 3; p++) {
    for (let input = 0; input < 2; input++) {
      const s = d.predicted.separationDb[p]![input]!;
      const mean = band.reduce((a, k) => a + s[k]!, 0) / band.length;
      // Least squares over positions trades exactness at the centre for robustness: measured ≥ 13 dB.
      assert.ok(mean >= 6, `position ${p} input ${input}: mean separation ${mean.toFixed(1)} dB`);
    }
  }
});

Deno.test("a singular plant (two drivers at one place) gives finite filters and a near-singular warning", () => {
  const P = earPlant([0.05, 0.05]);
  const d = designCrosstalkCanceller(P, { virtualizer: "none" });
  for (let i = 0; i < d.weights.re.length; i++) {
    assert.ok(Number.isFinite(d.weights.re[i]!) && Number.isFinite(d.weights.im[i]!));
  }
  assert.ok(d.warnings.some((w) => w.startsWith("ear plant is near-singular")), d.warnings.join());
  assert.ok(d.warnings.some((w) => w.startsWith("predicted separation misses")), d.warnings.join());
  // Tikhonov bound: |w|² ≤ |D|²/(4β) keeps the gain bounded (here below +20 dB).
  assert.ok(d.predicted.maxGainDb < 20, `max gain ${d.predicted.maxGainDb}`);
});

Deno.test("a near-singular plant (drivers 0.1 mm apart) gives finite filters, bounded gain and a warning", () => {
  const P = earPlant([0.05, 0.0501]);
  const d = designCrosstalkCanceller(P, { virtualizer: "none" });
  assert.ok(d.warnings.length > 0);
  assert.ok(Number.isFinite(d.predicted.maxGainDb) && d.predicted.maxGainDb < 20);
});

Deno.test("targetSeparationCurve() is 0 dB below startHz, maxDb above endHz and log-linear between", () => {
  const t = targetSeparationCurve([100, 200, 894.4271909999159, 4000, 8000]);
  // 894 Hz is the geometric mean of 200 Hz and 4 kHz: half way, 10 dB.
  const expected = [0, 0, 10, 20, 20];
  t.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-9, `${i}: ${v}`));
  const r = regularizationShape([0, 70, 100, 1000, 16000, 32000], { inBand: 1e-3, outOfBand: 1 });
  assert.equal(r[0], 1);
  assert.ok(Math.abs(r[2]! - 1e-3) < 1e-15 && Math.abs(r[3]! - 1e-3) < 1e-15);
  assert.ok(r[1]! > 1e-3 && r[1]! < 1);
  assert.ok(Math.abs(r[5]! - 1) < 1e-12);
});

Deno.test("designCrosstalkCanceller() rejects bad plants and options with RangeError", () => {
  const P = earPlant(TWO_DRIVERS_Y);
  const one = createTransferMatrix(createComplexMatrixStack(2, 1, FFT_SIZE / 2 + 1), {
    sampleRate: SAMPLE_RATE,
    fftSize: FFT_SIZE,
  });
  const three = createTransferMatrix(createComplexMatrixStack(3, 2, 33), {
    sampleRate: SAMPLE_RATE,
    fftSize: 64,
  });
  const other = createTransferMatrix(createComplexMatrixStack(2, 2, 33), {
    sampleRate: SAMPLE_RATE,
    fftSize: 64,
  });
  const zero = createTransferMatrix(createComplexMatrixStack(2, 2, 33), {
    sampleRate: SAMPLE_RATE,
    fftSize: 64,
  });
  const cases: [() => unknown, string][] = [
    [
      () => designCrosstalkCanceller([]),
      "Cannot design crosstalk canceller as plants must hold at least one position: got 0",
    ],
    [
      () => designCrosstalkCanceller(three),
      "Cannot design crosstalk canceller as each plant must have 2 rows (ear-left, ear-right): position 0 has 3",
    ],
    [
      () => designCrosstalkCanceller(one),
      "Cannot design crosstalk canceller as the plant needs at least 2 drivers: current value is 1",
    ],
    [
      () => designCrosstalkCanceller([P, other]),
      "Cannot design crosstalk canceller as all positions must share one frequency grid: position 0 has fftSize 4096 at 48000 Hz, position 1 has fftSize 64 at 48000 Hz",
    ],
    [
      () => designCrosstalkCanceller([P, earPlant(FIVE_DRIVERS_Y)]),
      "Cannot design crosstalk canceller as all positions must have the same drivers: position 0 has 2, position 1 has 5",
    ],
    [
      () => designCrosstalkCanceller(zero),
      "Cannot design crosstalk canceller as the plant must not be all zero between 100 and 16000 Hz: its mean entry power there is 0",
    ],
    [
      () => designCrosstalkCanceller(P, { taps: 8192 }),
      "Cannot design crosstalk canceller as taps must be an integer within 2..fftSize (4096): current value is 8192",
    ],
    [
      () => designCrosstalkCanceller(P, { modellingDelaySamples: 2048 }),
      "Cannot design crosstalk canceller as modellingDelaySamples must be an integer within 0..taps-1 (2047): current value is 2048",
    ],
    [
      () => designCrosstalkCanceller(P, { targetSeparation: [1, 2] }),
      "Cannot design crosstalk canceller as targetSeparation must have one value per bin (2049): current length is 2",
    ],
    [
      () => designCrosstalkCanceller(P, { targetGain: 0 }),
      "Cannot design crosstalk canceller as targetGain must be > 0: current value is 0",
    ],
    [
      () => designCrosstalkCanceller(P, { targetSeparation: { startHz: 500, endHz: 400 } }),
      "Cannot build target separation as it needs 0 < startHz < endHz and maxDb >= 0: current values are 500, 400, 20",
    ],
    [
      () => designCrosstalkCanceller(P, { regularization: { inBand: 0 } }),
      "Cannot build regularization as it needs inBand > 0, outOfBand > 0, 0 <= lowHz < highHz and transitionOctaves >= 0: current values are 0, 1, 100, 16000, 1",
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { name: "RangeError", message });
  const bad = earPlant(TWO_DRIVERS_Y);
  bad.matrix.re[5] = NaN;
  assert.throws(() => designCrosstalkCanceller(bad), {
    name: "RangeError",
    message:
      "Cannot design crosstalk canceller as the plant must be finite: position 0 bin 1 has NaN + " +
      `${bad.matrix.im[5]}j`,
  });
});

Deno.test("desiredEarResponses() is T·V: without a virtualizer 1 and 10^(−S/20); with one Vi + g·Vc and g·Vi + Vc, the separation the design predicts", () => {
  const plain = desiredEarResponses(Float64Array.of(0, 20, 40));
  assert.deepEqual([...plain.ipsilateral.re], [1, 1, 1]);
  assert.deepEqual([...plain.ipsilateral.im], [0, 0, 0]);
  [1, 0.1, 0.01].forEach((g, k) => assert.ok(Math.abs(plain.contralateral.re[k]! - g) < 1e-15));
  assert.deepEqual([...plain.contralateral.im], [0, 0, 0]);

  const v = designVirtualizer({ fftSize: FFT_SIZE, sampleRate: SAMPLE_RATE }, {});
  const target = targetSeparationCurve(v.frequenciesHz);
  const tv = desiredEarResponses(target, v);
  for (const k of [10, 100, 400]) {
    // (a + jb)·g added by hand, complex arithmetic written out.
    const g = Math.pow(10, -target[k]! / 20);
    const [ir, ii] = [v.ipsilateral.re[k]!, v.ipsilateral.im[k]!];
    const [cr, ci] = [v.contralateral.re[k]!, v.contralateral.im[k]!];
    assert.ok(Math.abs(tv.ipsilateral.re[k]! - (ir + g * cr)) < 1e-15);
    assert.ok(Math.abs(tv.ipsilateral.im[k]! - (ii + g * ci)) < 1e-15);
    assert.ok(Math.abs(tv.contralateral.re[k]! - (g * ir + cr)) < 1e-15);
    assert.ok(Math.abs(tv.contralateral.im[k]! - (g * ii + ci)) < 1e-15);
  }
  // The design's desired separation is this pair's power ratio (the bulk delay and gain cancel).
  const design = designCrosstalkCanceller(earPlant(TWO_DRIVERS_Y), { virtualizer: {} });
  for (const k of [10, 100, 400]) {
    const ratio = (tv.ipsilateral.re[k]! ** 2 + tv.ipsilateral.im[k]! ** 2) /
      (tv.contralateral.re[k]! ** 2 + tv.contralateral.im[k]! ** 2);
    const predicted = design.predicted.desiredSeparationDb[0]![k]!;
    assert.ok(Math.abs(predicted - 10 * Math.log10(ratio)) < 1e-9, `bin ${k}: ${predicted} dB`);
  }
});
