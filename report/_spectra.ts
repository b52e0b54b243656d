/**
 * Spectra for plots: magnitude (smoothed), phase with the arrival delay
 * removed, group delay, all read off on a log-spaced frequency grid so a plot
 * holds a few hundred points whatever the FFT size.
 *
 * @module
 */
import { nextPowerOfTwo, realFftPlan, type Spectrum } from "../dsp/fft.ts";
import { smoothSpectrum } from "../dsp/smoothing.ts";
import { arrivalSamples } from "../dsp/ir_window.ts";
import { flooredPowerToDb } from "../dsp/db.ts";

/** Log-spaced frequencies from `minHz` to `maxHz`, `perOctave` points per octave. */
export function logGridHz(minHz: number, maxHz: number, perOctave: number): number[] {
  const out: number[] = [];
  const n = Math.floor(Math.log2(maxHz / minHz) * perOctave);
  for (let i = 0; i <= n; i++) out.push(minHz * Math.pow(2, i / perOctave));
  return out;
}

/** Linear interpolation of per-bin values at frequency `hz` (bin spacing `df`). */
export function atHz(values: ArrayLike<number>, df: number, hz: number): number {
  const x = hz / df;
  const i = Math.floor(x);
  if (i < 0 || i + 1 >= values.length) return NaN;
  const t = x - i;
  return (values[i] as number) * (1 - t) + (values[i + 1] as number) * t;
}

/** The spectrum of an IR on a grid of at least `minSize` points (a power of two ≥ its length). */
export function irSpectrum(
  ir: ArrayLike<number>,
  minSize = 8192,
): { spectrum: Spectrum; fftSize: number } {
  const fftSize = Math.max(minSize, nextPowerOfTwo(ir.length));
  return { spectrum: realFftPlan(fftSize).forward(ir), fftSize };
}

/** |X|² per bin. */
export function powerOf(s: Spectrum): Float64Array {
  const out = new Float64Array(s.re.length);
  for (let k = 0; k < out.length; k++) out[k] = (s.re[k] as number) ** 2 + (s.im[k] as number) ** 2;
  return out;
}

/** Magnitude in dB per bin, smoothed over 1/`fraction` octave (0 = unsmoothed). */
export function magnitudeDb(s: Spectrum, fraction: number): Float64Array {
  const p = powerOf(s);
  const sm = fraction > 0 ? smoothSpectrum(p, { fraction }) : p;
  return sm.map(flooredPowerToDb);
}

/**
 * Phase in degrees per bin, wrapped to (−180, 180], after removing a pure
 * delay of `delaySamples` (the arrival), so what is left is the driver's own
 * phase, not the flight time.
 */
export function phaseDeg(s: Spectrum, fftSize: number, delaySamples: number): Float64Array {
  const out = new Float64Array(s.re.length);
  for (let k = 0; k < out.length; k++) {
    const w = (2 * Math.PI * k * delaySamples) / fftSize;
    const c = Math.cos(w), sn = Math.sin(w);
    const re = (s.re[k] as number) * c - (s.im[k] as number) * sn;
    const im = (s.re[k] as number) * sn + (s.im[k] as number) * c;
    out[k] = (Math.atan2(im, re) * 180) / Math.PI;
  }
  return out;
}

/**
 * Group delay in seconds per bin, `τ = Re{FFT(n·h[n]) / FFT(h)} / fs`
 * (the derivative of the phase without unwrapping), with the bins of
 * negligible magnitude (60 dB below the peak) set to NaN.
 */
export function groupDelaySeconds(
  ir: ArrayLike<number>,
  fftSize: number,
  sampleRate: number,
): Float64Array {
  const plan = realFftPlan(fftSize);
  const ramp = new Float64Array(Math.min(ir.length, fftSize));
  for (let n = 0; n < ramp.length; n++) ramp[n] = n * (ir[n] as number);
  const H = plan.forward(ir), R = plan.forward(ramp);
  const p = powerOf(H);
  let peak = 0;
  for (const x of p) peak = Math.max(peak, x);
  const out = new Float64Array(p.length);
  for (let k = 0; k < out.length; k++) {
    const den = p[k] as number;
    out[k] = den < peak * 1e-6
      ? NaN
      : ((R.re[k] as number) * (H.re[k] as number) + (R.im[k] as number) * (H.im[k] as number)) /
        den / sampleRate;
  }
  return out;
}

/** Arrival of an IR in samples (first sample at half its peak); 0 for a silent IR. */
export function onsetSamples(ir: ArrayLike<number>): number {
  const a = arrivalSamples(ir, 0.5);
  return Number.isFinite(a) ? a : 0;
}

/** Power-weighted mean of per-bin `values` over log-spaced cells around each grid frequency. */
export function cellMeans(
  values: ArrayLike<number>,
  weights: ArrayLike<number>,
  df: number,
  gridHz: readonly number[],
  perOctave: number,
): number[] {
  const r = Math.pow(2, 1 / (2 * perOctave));
  return gridHz.map((f) => {
    const lo = Math.max(1, Math.floor(f / r / df)),
      hi = Math.min(values.length - 1, Math.ceil(f * r / df));
    let s = 0, w = 0;
    for (let k = lo; k <= hi; k++) {
      const v = values[k] as number, wk = weights[k] as number;
      if (!Number.isFinite(v)) continue;
      s += v * wk;
      w += wk;
    }
    return w > 0 ? s / w : NaN;
  });
}
