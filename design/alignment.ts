/**
 * Delay alignment of the processing paths at the listener.
 *
 * After upmixing, the left/right inputs reach the ears through CTC (and the
 * virtualizer) while the center goes through the beamformer; the paths have
 * different delays (modelling delays, plant delays, filter group delays).
 * The article's signal flow ends with "delay blocks [that] phase-align the
 * faster of the two paths". Here each path's response at the listener is
 * reduced to one group delay over a band, and every path but the slowest is
 * padded by the difference:
 *
 * ```text
 * τ_i   = −(N/2π) · arg Σ_k X_i[k]·X_i*[k−1]     (magnitude-weighted mean phase step, samples)
 * pad_i = round(max_j τ_j − τ_i)                  (≥ 0, whole samples)
 * ```
 *
 * The estimator is exact for a pure (fractional) delay and valid for
 * |τ| < N/2.
 *
 * @module
 */
import type { ComplexMatrixStack } from "../dsp/complex_linalg.ts";
import { createComplexMatrixStack } from "../dsp/complex_linalg.ts";
import type { Spectrum } from "../dsp/fft.ts";
import type { FrequencyGrid } from "./transfer_matrix.ts";

/** A frequency band in Hz. */
export interface Band {
  /** Lower edge in Hz. */
  readonly lowHz: number;
  /** Upper edge in Hz. */
  readonly highHz: number;
}

/** Result of {@linkcode alignPaths}. */
export interface PathAlignment {
  /** Estimated group delay of each path in samples. */
  readonly groupDelaySamples: readonly number[];
  /** Whole-sample delay to add to each path (0 for the slowest). */
  readonly padSamples: readonly number[];
  /** Index of the slowest path (the reference). */
  readonly reference: number;
}

function binRange(action: string, grid: FrequencyGrid, bins: number, band: Band): [number, number] {
  const lo = Math.max(1, Math.ceil((band.lowHz * grid.fftSize) / grid.sampleRate));
  const hi = Math.min(bins - 1, Math.floor((band.highHz * grid.fftSize) / grid.sampleRate));
  if (!(hi > lo)) {
    throw new RangeError(
      `Cannot ${action} as the band must hold at least two bins: ${band.lowHz}..${band.highHz} Hz holds ${
        Math.max(0, hi - lo + 1)
      }`,
    );
  }
  return [lo, hi];
}

/**
 * Magnitude-weighted mean group delay of a response over a band, in samples.
 *
 * @param response Spectrum on the bins of a size-N real FFT.
 * @param grid Its frequency grid.
 * @param band Band in Hz (default 200–4000 Hz, where the paths overlap).
 * @throws {RangeError} when the spectrum does not have N/2 + 1 bins or the band holds < 2 bins.
 */
export function estimateGroupDelaySamples(
  response: Spectrum,
  grid: FrequencyGrid,
  band: Band = { lowHz: 200, highHz: 4000 },
): number {
  const action = "estimate group delay";
  const bins = grid.fftSize / 2 + 1;
  if (response.re.length !== bins || response.im.length !== bins) {
    throw new RangeError(
      `Cannot ${action} as the response must have fftSize/2 + 1 = ${bins} bins: current value is ${response.re.length}`,
    );
  }
  const [lo, hi] = binRange(action, grid, bins, band);
  let sr = 0, si = 0;
  for (let k = lo; k <= hi; k++) {
    const ar = response.re[k] as number, ai = response.im[k] as number;
    const br = response.re[k - 1] as number, bi = response.im[k - 1] as number;
    sr += ar * br + ai * bi; // X[k]·conj(X[k−1])
    si += ai * br - ar * bi;
  }
  if (sr === 0 && si === 0) return 0;
  return (-Math.atan2(si, sr) * grid.fftSize) / (2 * Math.PI);
}

/**
 * Estimate every path's group delay at the listener and the padding that
 * aligns the faster paths to the slowest.
 *
 * @param responses One spectrum per path (e.g. CTC left path at ear-left, center beam at ear-left).
 * @param grid Their frequency grid.
 * @param band Band for the estimate in Hz (default 200–4000 Hz).
 * @returns Group delays, whole-sample pads and the reference path.
 * @throws {RangeError} for no paths or the errors of {@linkcode estimateGroupDelaySamples}.
 *
 * @example
 * ```ts
 * import { alignPaths } from "./alignment.ts";
 * const N = 64, bins = 33;
 * const delay = (d: number) => ({
 *   re: Float64Array.from({ length: bins }, (_, k) => Math.cos(2 * Math.PI * k * d / N)),
 *   im: Float64Array.from({ length: bins }, (_, k) => -Math.sin(2 * Math.PI * k * d / N)),
 * });
 * const a = alignPaths([delay(3), delay(8)], { sampleRate: 48000, fftSize: N });
 * console.log(a.padSamples); // [5, 0]
 * ```
 */
export function alignPaths(
  responses: readonly Spectrum[],
  grid: FrequencyGrid,
  band?: Band,
): PathAlignment {
  if (responses.length === 0) {
    throw new RangeError("Cannot align paths as responses must hold at least one path: got 0");
  }
  const tau = responses.map((r) => estimateGroupDelaySamples(r, grid, band));
  let reference = 0;
  tau.forEach((t, i) => {
    if (t > tau[reference]!) reference = i;
  });
  const padSamples = tau.map((t) => Math.max(0, Math.round(tau[reference]! - t)));
  return { groupDelaySamples: tau, padSamples, reference };
}

/**
 * Response of one weight column at one plant output: `Σ_d P[row][d]·W[d][column]` per bin.
 *
 * @param plant outputs × drivers.
 * @param weights drivers × inputs, same bins.
 * @param row Output row (e.g. 0 = ear-left).
 * @param column Input column.
 * @throws {RangeError} for mismatched shapes or out-of-range indices.
 */
export function pathResponse(
  plant: ComplexMatrixStack,
  weights: ComplexMatrixStack,
  row: number,
  column: number,
): Spectrum {
  if (plant.cols !== weights.rows || plant.bins !== weights.bins) {
    throw new RangeError(
      `Cannot compute path response as weights must be drivers × inputs on the plant's bins: plant is ${plant.rows}×${plant.cols}×${plant.bins}, weights are ${weights.rows}×${weights.cols}×${weights.bins}`,
    );
  }
  if (!(row >= 0 && row < plant.rows && column >= 0 && column < weights.cols)) {
    throw new RangeError(
      `Cannot compute path response as row must be within 0..${
        plant.rows - 1
      } and column within 0..${weights.cols - 1}: current values are ${row} and ${column}`,
    );
  }
  const n = plant.cols, bins = plant.bins;
  const re = new Float64Array(bins), im = new Float64Array(bins);
  for (let b = 0; b < bins; b++) {
    let sr = 0, si = 0;
    for (let d = 0; d < n; d++) {
      const pi = (b * plant.rows + row) * n + d, wi = (b * n + d) * weights.cols + column;
      const pr = plant.re[pi] as number, pim = plant.im[pi] as number;
      const wr = weights.re[wi] as number, wim = weights.im[wi] as number;
      sr += pr * wr - pim * wim;
      si += pr * wim + pim * wr;
    }
    re[b] = sr;
    im[b] = si;
  }
  return { re, im };
}

/**
 * Delay per-bin weights by `delaySamples` (multiply by e^{-j2πk·d/N}); exact
 * for whole samples once realized as FIRs.
 *
 * @param weights drivers × inputs on the bins of a size-N real FFT.
 * @param delaySamples Delay in samples (finite).
 * @returns A new stack.
 * @throws {RangeError} for a non-finite delay.
 */
export function delayWeights(
  weights: ComplexMatrixStack,
  delaySamples: number,
): ComplexMatrixStack {
  if (!Number.isFinite(delaySamples)) {
    throw new RangeError(
      `Cannot delay weights as delaySamples must be finite: current value is ${delaySamples}`,
    );
  }
  const fftSize = 2 * (weights.bins - 1);
  const out = createComplexMatrixStack(weights.rows, weights.cols, weights.bins);
  const per = weights.rows * weights.cols;
  for (let b = 0; b < weights.bins; b++) {
    const w = (2 * Math.PI * b * delaySamples) / fftSize;
    const c = Math.cos(w), s = -Math.sin(w);
    for (let j = b * per; j < (b + 1) * per; j++) {
      const r = weights.re[j] as number, i = weights.im[j] as number;
      out.re[j] = r * c - i * s;
      out.im[j] = r * s + i * c;
    }
  }
  return out;
}
