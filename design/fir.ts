/**
 * FIR realization of per-bin filter designs.
 *
 * A design gives complex weights on the bins of a real FFT of size N
 * (drivers × inputs, centred on time 0: anti-causal parts wrap to the end of
 * the N-sample period). Realization per filter:
 *
 * ```text
 * h      = irfft(W)                         (N samples, periodic)
 * h_s[n] = h[(n − Δ) mod N]                 (circular shift by the modelling delay Δ)
 * h_fir  = h_s[0..taps) · window            (half-Hann fade-in/out of `fadeSamples` at both ends)
 * error  = 10·log10(Σ (h_s − h_fir)² / Σ h_s²)   (energy removed by truncation and windowing)
 * ```
 *
 * The truncation error tells whether `taps` and Δ hold the filter: a well
 * regularized design loses less than −40 dB; values near 0 dB mean the
 * inverse rings longer than the FIR (raise β or taps).
 *
 * References:
 * 1. O. Kirkeby, P. A. Nelson, "Digital filter design for inversion problems in
 *    sound reproduction", J. Audio Eng. Soc. 47(7/8), 1999 (modelling delay,
 *    circular shift and windowing of frequency-sampled inverses).
 *
 * @module
 */
import { type ComplexMatrixStack, createComplexMatrixStack } from "../dsp/complex_linalg.ts";
import { realFftPlan } from "../dsp/fft.ts";

/** Options of {@linkcode realizeFir}. */
export interface FirOptions {
  /** FIR length in samples, ≥ 2 (default the FFT size N). */
  readonly taps?: number;
  /** Circular shift Δ in samples (the modelling delay), 0 ≤ Δ < taps (default taps/2). */
  readonly shiftSamples?: number;
  /** Length of the half-Hann fades at both ends, 0 ≤ value ≤ taps/2 (default taps/16). */
  readonly fadeSamples?: number;
}

/** FIR filters realized from per-bin weights. */
export interface FirRealization {
  /** `filters[input][driver]`, each `taps` samples. */
  readonly filters: Float64Array[][];
  /** `truncationErrorDb[input][driver]`; -Infinity for an all-zero filter. */
  readonly truncationErrorDb: number[][];
  /** Largest truncation error over all filters in dB. */
  readonly worstTruncationErrorDb: number;
  /** FIR length used. */
  readonly taps: number;
  /** Circular shift (modelling delay) used, samples. */
  readonly shiftSamples: number;
  /** Fade length used, samples. */
  readonly fadeSamples: number;
}

/**
 * Realize per-bin weights (drivers × inputs on the bins of a size-N real FFT)
 * as FIR filters: irfft, circular shift, truncation and half-Hann fades.
 *
 * @param weights drivers × inputs × (N/2 + 1) bins.
 * @param options taps, shift (modelling delay) and fade length.
 * @returns One FIR per input and driver, plus the truncation error of each.
 * @throws {RangeError} for a bin count that is not N/2 + 1 of a power of two, or bad options.
 *
 * @example
 * ```ts
 * import { createComplexMatrixStack } from "../dsp/complex_linalg.ts";
 * import { realizeFir } from "./fir.ts";
 * const W = createComplexMatrixStack(1, 1, 33);
 * W.re.fill(1); // a unit impulse at time 0
 * const fir = realizeFir(W, { taps: 32, shiftSamples: 16 });
 * console.log(fir.filters[0]![0]![16]); // 1
 * ```
 */
export function realizeFir(weights: ComplexMatrixStack, options: FirOptions = {}): FirRealization {
  const action = "realize FIR filters";
  const fftSize = 2 * (weights.bins - 1);
  if (fftSize < 4 || (fftSize & (fftSize - 1)) !== 0) {
    throw new RangeError(
      `Cannot ${action} as weights must have N/2 + 1 bins for a power-of-two N >= 4: current bin count is ${weights.bins}`,
    );
  }
  const taps = options.taps ?? fftSize;
  if (!Number.isInteger(taps) || taps < 2) {
    throw new RangeError(
      `Cannot ${action} as taps must be an integer >= 2: current value is ${taps}`,
    );
  }
  const shift = options.shiftSamples ?? Math.floor(taps / 2);
  if (!Number.isInteger(shift) || shift < 0 || shift >= taps) {
    throw new RangeError(
      `Cannot ${action} as shiftSamples must be an integer within 0..taps-1 (${
        taps - 1
      }): current value is ${shift}`,
    );
  }
  const fade = options.fadeSamples ?? Math.floor(taps / 16);
  if (!Number.isInteger(fade) || fade < 0 || fade > taps / 2) {
    throw new RangeError(
      `Cannot ${action} as fadeSamples must be an integer within 0..taps/2 (${
        Math.floor(taps / 2)
      }): current value is ${fade}`,
    );
  }
  const plan = realFftPlan(fftSize);
  const window = new Float64Array(taps).fill(1);
  for (let i = 0; i < fade; i++) {
    const w = 0.5 * (1 - Math.cos((Math.PI * (i + 0.5)) / fade));
    window[i] = w;
    window[taps - 1 - i] = w;
  }
  const { rows: drivers, cols: inputs, bins } = weights;
  const re = new Float64Array(bins), im = new Float64Array(bins);
  const filters: Float64Array[][] = [];
  const errors: number[][] = [];
  let worst = -Infinity;
  for (let i = 0; i < inputs; i++) {
    const row: Float64Array[] = [];
    const err: number[] = [];
    for (let d = 0; d < drivers; d++) {
      for (let k = 0; k < bins; k++) {
        re[k] = weights.re[(k * drivers + d) * inputs + i] as number;
        im[k] = weights.im[(k * drivers + d) * inputs + i] as number;
      }
      const h = plan.inverse({ re, im });
      const fir = new Float64Array(taps);
      // removed = Σ_all h² − Σ_kept v² + Σ_kept (v − w)² (outside energy plus what the fades took).
      let total = 0, keptChange = 0;
      for (let n = 0; n < fftSize; n++) total += (h[n] as number) ** 2;
      // Shifted sample n (0 ≤ n < taps) comes from h[(n − Δ) mod N]; beyond N it repeats (period N).
      for (let n = 0; n < Math.min(taps, fftSize); n++) {
        const v = h[(((n - shift) % fftSize) + fftSize) % fftSize] as number;
        const w = (window[n] as number) * v;
        fir[n] = w;
        keptChange += (v - w) * (v - w) - v * v;
      }
      const removed = total + keptChange;
      const e = total > 0 ? 10 * Math.log10(Math.max(removed, 0) / total) : -Infinity;
      worst = Math.max(worst, e);
      row.push(fir);
      err.push(e);
    }
    filters.push(row);
    errors.push(err);
  }
  return {
    filters,
    truncationErrorDb: errors,
    worstTruncationErrorDb: worst,
    taps,
    shiftSamples: shift,
    fadeSamples: fade,
  };
}

/**
 * Per-bin responses of FIR filters on the grid of a size-N real FFT, as a
 * drivers × inputs weight stack (for predicting metrics after realization).
 *
 * @param filters `filters[input][driver]`, each at most N samples.
 * @param fftSize N, a power of two ≥ 4.
 * @returns drivers × inputs × (N/2 + 1).
 * @throws {RangeError} for an empty filter set, uneven driver counts or filters longer than N.
 */
export function firResponses(
  filters: readonly (readonly ArrayLike<number>[])[],
  fftSize: number,
): ComplexMatrixStack {
  const action = "compute FIR responses";
  const inputs = filters.length, drivers = filters[0]?.length ?? 0;
  if (inputs === 0 || drivers === 0) {
    throw new RangeError(
      `Cannot ${action} as filters must hold at least one input and one driver: current shape is ${inputs}×${drivers}`,
    );
  }
  const plan = realFftPlan(fftSize);
  const W = createComplexMatrixStack(drivers, inputs, plan.binCount);
  filters.forEach((row, i) => {
    if (row.length !== drivers) {
      throw new RangeError(
        `Cannot ${action} as every input must have one filter per driver: input 0 has ${drivers}, input ${i} has ${row.length}`,
      );
    }
    row.forEach((h, d) => {
      if (h.length > fftSize) {
        throw new RangeError(
          `Cannot ${action} as filters must be at most fftSize (${fftSize}) samples: input ${i} driver ${d} has ${h.length}`,
        );
      }
      const X = plan.forward(h);
      for (let k = 0; k < plan.binCount; k++) {
        W.re[(k * drivers + d) * inputs + i] = X.re[k] as number;
        W.im[(k * drivers + d) * inputs + i] = X.im[k] as number;
      }
    });
  });
  return W;
}
