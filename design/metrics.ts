/**
 * Objective metrics of a design applied to a plant, per frequency bin.
 *
 * All levels are in dB. A weight stack is drivers × inputs (one column per
 * input channel); a plant is outputs × drivers; what the outputs receive is
 * the per-bin product plant · weights.
 *
 * - Channel separation (ears): `S_i(f) = 10·log10(|E_ipsi,i|² / |E_contra,i|²)`
 *   for input i (column 0 = left, its ipsilateral ear is row 0 = ear-left).
 * - Beam metrics (arc): on-axis level, null depth at ±90°
 *   (on-axis power over the stronger of the two null directions), the spread of
 *   the response over the ±45° listening window relative to on-axis, the 2D
 *   directivity index `DI = 10·log10(|p(0°)|² / mean_θ |p(θ)|²)` (a uniformly
 *   sampled full arc), the drive effort `‖w‖²` and the white noise gain
 *   `WNG = |a₀ᵀw|² / (‖w‖² · mean_d |a₀,d|²)` (on-axis power per unit drive
 *   power, relative to one typical driver: equal drive of N identical drivers
 *   gives N) after Van Veen & Buckley 1988 [1].
 *
 * References:
 * 1. B. D. Van Veen, K. M. Buckley, "Beamforming: a versatile approach to
 *    spatial filtering", IEEE ASSP Magazine 5(2), 1988.
 * 2. O. Kirkeby, P. A. Nelson, H. Hamada, F. Orduna-Bustamante, "Fast
 *    deconvolution of multichannel systems using regularization", IEEE Trans.
 *    Speech Audio Process. 6(2), 1998.
 *
 * @module
 */
import { type ComplexMatrixStack, multiply } from "../dsp/complex_linalg.ts";
import { nearestAzimuth, wrapDeg } from "./_band.ts";
import type { ArcTransferMatrix } from "./transfer_matrix.ts";
import { flooredPowerToDb, powerRatioDb } from "../dsp/db.ts";

/**
 * Channel separation in dB per bin for each input column of a two-ear design.
 *
 * @param earPlant 2 × drivers (row 0 ear-left, row 1 ear-right).
 * @param weights drivers × inputs (column 0 left, column 1 right).
 * @returns `separationDb[i][bin]`: ipsilateral over contralateral power for input i.
 * @throws {RangeError} when the plant does not have two rows or the shapes do not match.
 */
export function channelSeparationDb(
  earPlant: ComplexMatrixStack,
  weights: ComplexMatrixStack,
): Float64Array[] {
  if (earPlant.rows !== 2) {
    throw new RangeError(
      `Cannot compute channel separation as the ear plant must have 2 rows (ear-left, ear-right): current value is ${earPlant.rows}`,
    );
  }
  const E = multiply(earPlant, weights);
  const out: Float64Array[] = [];
  for (let i = 0; i < Math.min(2, E.cols); i++) {
    const s = new Float64Array(E.bins);
    const other = 1 - i;
    for (let b = 0; b < E.bins; b++) {
      const ii = (b * 2 + i) * E.cols + i, ci = (b * 2 + other) * E.cols + i;
      const pi = (E.re[ii] as number) ** 2 + (E.im[ii] as number) ** 2;
      const pc = (E.re[ci] as number) ** 2 + (E.im[ci] as number) ** 2;
      s[b] = powerRatioDb(pi, pc);
    }
    out.push(s);
  }
  return out;
}

/**
 * Drive effort `10·log10(‖w‖²)` per bin for one input column (dB re unit drive on one driver).
 *
 * @param weights drivers × inputs.
 * @param column Input column (default 0).
 */
export function driveEffortDb(weights: ComplexMatrixStack, column = 0): Float64Array {
  const out = new Float64Array(weights.bins);
  for (let b = 0; b < weights.bins; b++) {
    let e = 0;
    for (let d = 0; d < weights.rows; d++) {
      const i = (b * weights.rows + d) * weights.cols + column;
      e += (weights.re[i] as number) ** 2 + (weights.im[i] as number) ** 2;
    }
    out[b] = flooredPowerToDb(e);
  }
  return out;
}

/** Largest weight magnitude over all bins, drivers and inputs in dB (20·log10 max |w|). */
export function maxGainDb(weights: ComplexMatrixStack): number {
  let m = 0;
  for (let i = 0; i < weights.re.length; i++) {
    m = Math.max(m, (weights.re[i] as number) ** 2 + (weights.im[i] as number) ** 2);
  }
  return flooredPowerToDb(m);
}

/** Per-bin beam metrics of one input column on an arc; see the module doc for definitions. */
export interface BeamMetrics {
  /** On-axis (0°) level in dB re 1. */
  readonly onAxisDb: Float64Array;
  /** Null depth in dB: on-axis power over the stronger of the null directions (larger is deeper). */
  readonly nullDepthDb: Float64Array;
  /** Lowest level over the listening window relative to on-axis, dB (≤ 0 when on-axis is the peak). */
  readonly windowMinDb: Float64Array;
  /** Highest level over the listening window relative to on-axis, dB (≥ 0). */
  readonly windowMaxDb: Float64Array;
  /** 2D directivity index in dB. */
  readonly directivityIndexDb: Float64Array;
  /** Drive effort ‖w‖² in dB. */
  readonly driveEffortDb: Float64Array;
  /** White noise gain in dB (0 dB = one typical driver alone). */
  readonly whiteNoiseGainDb: Float64Array;
}

/** Options of {@linkcode beamMetrics}. */
export interface BeamMetricsOptions {
  /** Input column of the weights (default 0). */
  readonly column?: number;
  /** Half-width of the listening window in degrees (default 45). */
  readonly windowDeg?: number;
  /** Null directions in degrees (default [-90, 90]). */
  readonly nullAzimuthsDeg?: readonly number[];
}

/**
 * Beam metrics per bin of a weight column applied to an arc plant.
 *
 * @param arc Arc transfer matrix (azimuths × drivers); must sample 0° and the null directions
 *   within 2.5°.
 * @param weights drivers × inputs.
 * @param options Column, window and null directions.
 * @throws {RangeError} when the arc misses 0° or a null direction, or shapes mismatch.
 */
export function beamMetrics(
  arc: ArcTransferMatrix,
  weights: ComplexMatrixStack,
  options: BeamMetricsOptions = {},
): BeamMetrics {
  const column = options.column ?? 0;
  const windowDeg = options.windowDeg ?? 45;
  const nullAz = options.nullAzimuthsDeg ?? [-90, 90];
  const action = "compute beam metrics";
  const on = requireAzimuth(action, arc.azimuthsDeg, 0);
  const nulls = nullAz.map((a) => requireAzimuth(action, arc.azimuthsDeg, a));
  const A = arc.matrix;
  if (weights.rows !== A.cols || weights.bins !== A.bins) {
    throw new RangeError(
      `Cannot ${action} as weights must be drivers × inputs on the arc's grid: arc is ${A.rows}×${A.cols}×${A.bins}, weights are ${weights.rows}×${weights.cols}×${weights.bins}`,
    );
  }
  const bins = A.bins, rows = A.rows, n = A.cols;
  const inWindow = Array.from(arc.azimuthsDeg, (a) => Math.abs(wrapDeg(a)) <= windowDeg + 1e-9);
  const result = {
    onAxisDb: new Float64Array(bins),
    nullDepthDb: new Float64Array(bins),
    windowMinDb: new Float64Array(bins),
    windowMaxDb: new Float64Array(bins),
    directivityIndexDb: new Float64Array(bins),
    driveEffortDb: new Float64Array(bins),
    whiteNoiseGainDb: new Float64Array(bins),
  };
  const p = new Float64Array(rows);
  for (let b = 0; b < bins; b++) {
    let effort = 0;
    for (let d = 0; d < n; d++) {
      const wi = (b * n + d) * weights.cols + column;
      effort += (weights.re[wi] as number) ** 2 + (weights.im[wi] as number) ** 2;
    }
    let mean = 0;
    for (let r = 0; r < rows; r++) {
      let sr = 0, si = 0;
      for (let d = 0; d < n; d++) {
        const ai = (b * rows + r) * n + d, wi = (b * n + d) * weights.cols + column;
        const ar = A.re[ai] as number, aim = A.im[ai] as number;
        const wr = weights.re[wi] as number, wim = weights.im[wi] as number;
        sr += ar * wr - aim * wim;
        si += ar * wim + aim * wr;
      }
      p[r] = sr * sr + si * si;
      mean += p[r] as number;
    }
    mean /= rows;
    const p0 = p[on] as number;
    let worstNull = 0;
    for (const i of nulls) worstNull = Math.max(worstNull, p[i] as number);
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < rows; r++) {
      if (!inWindow[r]) continue;
      lo = Math.min(lo, p[r] as number);
      hi = Math.max(hi, p[r] as number);
    }
    let single = 0;
    for (let d = 0; d < n; d++) {
      const ai = (b * rows + on) * n + d;
      single += (A.re[ai] as number) ** 2 + (A.im[ai] as number) ** 2;
    }
    single /= n;
    result.onAxisDb[b] = powerRatioDb(p0, 1);
    result.nullDepthDb[b] = powerRatioDb(p0, worstNull);
    result.windowMinDb[b] = powerRatioDb(lo, p0);
    result.windowMaxDb[b] = powerRatioDb(hi, p0);
    result.directivityIndexDb[b] = powerRatioDb(p0, mean);
    result.driveEffortDb[b] = powerRatioDb(effort, 1);
    result.whiteNoiseGainDb[b] = powerRatioDb(p0, effort * single);
  }
  return result;
}

function requireAzimuth(action: string, azimuthsDeg: ArrayLike<number>, target: number): number {
  const { index, distanceDeg } = nearestAzimuth(azimuthsDeg, target);
  if (index < 0 || distanceDeg > 2.5) {
    throw new RangeError(
      `Cannot ${action} as the arc must sample azimuth ${target}° within 2.5°: nearest is ${distanceDeg}° away`,
    );
  }
  return index;
}

/** Index of the arc row nearest `targetDeg`; throws RangeError when none is within 2.5°. */
export function arcRowAt(arc: ArcTransferMatrix, targetDeg: number, action: string): number {
  return requireAzimuth(action, arc.azimuthsDeg, targetDeg);
}
