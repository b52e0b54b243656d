import { ok } from "node:assert/strict";
import { join } from "node:path";
import { biquadFilter, designBiquad } from "../../dsp/filters.ts";
import { applyCorrection, estimateUnitSet, stationCorrection } from "../../calibrate/line_fit.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { measureStudyUnit } from "../../calibrate/study.ts";
import { measureSimUnit } from "../../calibrate/line_sim.ts";
import { fitBundle, type FitOptions } from "../../calibrate/fit.ts";
import { evaluateBundle } from "../../calibrate/evaluate.ts";
import { delaySpectrum } from "../../dsp/delay.ts";
import { withTempDir } from "../_temp.ts";

const FS = 48000;

function impulse(n: number, at: number): Float64Array {
  const x = new Float64Array(n);
  x[at] = 1;
  return x;
}

function bandpass(x: Float64Array): Float64Array {
  const hp = designBiquad({ type: "highpass", frequencyHz: 150, sampleRate: FS, q: 0.7 });
  const lp = designBiquad({ type: "lowpass", frequencyHz: 12000, sampleRate: FS, q: 0.7 });
  return biquadFilter(lp, biquadFilter(hp, x));
}

function levelDbAt(x: Float64Array, hz: number, size = 16384): number {
  const X = realFftPlan(size).forward(x);
  const k = Math.round((hz * size) / FS);
  return 10 * Math.log10(X.re[k]! ** 2 + X.im[k]! ** 2);
}

Deno.test("stationCorrection() recovers a known deviation (−1 dB, +3 dB Q 10 resonance at 2 kHz, 2.5 samples late) and applyCorrection() carries it to another response", () => {
  const ref = bandpass(impulse(2048, 100));
  const resonance = designBiquad({
    type: "peaking",
    frequencyHz: 2000,
    sampleRate: FS,
    q: 10,
    gainDb: 3,
  });
  const deviate = (x: Float64Array) => {
    const g = biquadFilter(resonance, x).map((v) => v * Math.pow(10, -1 / 20));
    // 2.5 samples late: a linear phase on a grid twice as long (nothing wraps).
    const plan = realFftPlan(2 * x.length);
    return plan.inverse(delaySpectrum(plan.forward(g), 2.5)).slice(0, x.length);
  };
  const unit = deviate(ref);
  const c = stationCorrection("mid", ref, unit);
  ok(Math.abs(c.delaySamples - 2.5) < 0.1, `delay ${c.delaySamples}`);
  const mag = (hz: number) => {
    const k = Math.round((hz * c.fftSize) / FS);
    return 10 * Math.log10(c.spectrum.re[k]! ** 2 + c.spectrum.im[k]! ** 2);
  };
  ok(Math.abs(mag(1000) - -1) < 0.2, `1 kHz ${mag(1000)}`);
  ok(Math.abs(mag(2000) - 2) < 0.5, `2 kHz (−1 + 3 dB, smoothed) ${mag(2000)}`);
  // Another response of the same driver (a "lab" response: another delay and shape) gets the
  // same deviation: compare applyCorrection with the true deviation applied, in band.
  const lab = bandpass(biquadFilter(
    designBiquad({ type: "highshelf", frequencyHz: 3000, sampleRate: FS, q: 0.7, gainDb: -6 }),
    impulse(8192, 600),
  ));
  const estimated = applyCorrection(lab, c);
  const truth = deviate(lab);
  for (const hz of [300, 700, 1500, 1900, 2000, 2100, 4000, 8000]) {
    const e = levelDbAt(estimated, hz), t = levelDbAt(truth, hz);
    ok(Math.abs(e - t) < 0.6, `${hz} Hz: estimated ${e.toFixed(2)} dB, true ${t.toFixed(2)} dB`);
  }
  // Causal and stable: the estimate's energy sits after the lab response's onset.
  let early = 0, total = 0;
  for (let n = 0; n < estimated.length; n++) {
    total += estimated[n]! ** 2;
    if (n < 590) early += estimated[n]! ** 2;
  }
  ok(early / total < 1e-4, `energy before the onset ${early / total}`);
});

Deno.test("three bundles on 3 simulated units (binaural, pure CTC, reference = the idealized model): line-estimated lies between idealized and full-lab per-unit", async () => {
  await withTempDir(async (dir) => {
    const options: FitOptions = { virtualizer: "none", upmix: "none" };
    const lab = (serial: string, defects?: Parameters<typeof measureStudyUnit>[1]["defects"]) =>
      measureStudyUnit(join(dir, serial), {
        serial,
        arcStepDeg: null,
        ...(defects ? { defects } : {}),
      });
    // The reference: the idealized model measured in the lab and on the station. Its idealized
    // bundle is the baseline; the line estimate adds only what the station saw.
    const refLab = await lab("nominal");
    const nominal = await fitBundle(refLab, options);
    const refStation =
      (await measureSimUnit({ model: "studio5", serial: "nominal", seed: 1 })).unit;
    const cases = [
      { serial: "LF-T1", defects: undefined },
      { serial: "LF-T2", defects: { drivers: { "mid-left": { sensitivityOffsetDb: -1 } } } },
      {
        serial: "LF-T3",
        defects: { drivers: { "mid-right": { resonance: { hz: 1200, q: 10, gainDb: 1 } } } },
      },
    ];
    for (const { serial, defects } of cases) {
      const own = await lab(serial, defects);
      const station = (await measureSimUnit({
        model: "studio5",
        serial,
        seed: 7,
        ...(defects ? { defects } : {}),
      })).unit;
      const est = await estimateUnitSet(refLab, refStation, station, join(dir, `est-${serial}`));
      const dev = async (fit: Awaited<ReturnType<typeof fitBundle>>) =>
        (await evaluateBundle(fit.bundle, fit.filters, own, { beam: false })).ears[0]!;
      const ideal = await dev(nominal);
      const line = await dev(await fitBundle(est.set, options));
      const perUnit = await dev(await fitBundle(own, options));
      const show = (e: typeof ideal) =>
        `${e.meanAbsDeviationDb.toFixed(2)} (max ${e.maxAbsDeviationDb.toFixed(2)}) dB`;
      const all = `idealized ${show(ideal)}, line ${show(line)}, per-unit ${show(perUnit)}`;
      // The station sees each driver's response change (level, resonance, Q) but its position
      // change only along the station mic's direction: line-estimated sits between the two.
      ok(line.meanAbsDeviationDb < ideal.meanAbsDeviationDb, `${serial}: ${all}`);
      ok(perUnit.meanAbsDeviationDb < line.meanAbsDeviationDb, `${serial}: ${all}`);
      ok(line.meanAbsDeviationDb < 1.5, `${serial}: ${all}`);
    }
  });
});
