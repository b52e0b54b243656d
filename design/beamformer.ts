/**
 * Midrange beamformer for the center channel, and simple matrix mixing to
 * compare it with.
 *
 * Per frequency bin, from an arc transfer matrix A (azimuths × drivers), the
 * weights w (drivers) solve a weighted, diagonally loaded least-squares fit
 * of a desired pattern under a hard on-axis constraint (a linearly
 * constrained design after Van Veen & Buckley 1988 [1]; loading and white
 * noise gain after Cox et al. [2]):
 *
 * ```text
 * minimize  Σ_θ q(θ)·|a(θ)·w − d(θ)|² + λ‖w‖²   subject to  a(0°)·w = d₀
 * d(θ) = d₀(f) for |θ| ≤ mainLobeDeg (q = 1);  0 within ±nullWidthDeg/2 of ±90° (q = q_null);
 *        0 for |θ| ≥ stopbandStartDeg (q = stopbandWeight);  other directions free (q = 0)
 * d₀(f) = Σ_d A(0°, d)·m_d                       (on-axis response of matrix mixing m)
 * λ:      smallest loading with ‖w‖² ≤ E_max = |d₀|²/(P₀·WNG_min),  P₀ = mean_d |A(0°, d)|²
 * q_null: nullWeight·4^k, the smallest k ≤ 8 giving both nulls ≥ nullDepthDb + 3 dB
 * ```
 *
 * The beam keeps exactly the on-axis response matrix mixing gives (relative-
 * transfer-function form: both sound alike on axis, and the cross-fade
 * between them is seamless), so ‖w‖² ≤ E_max is exactly the white-noise-gain
 * floor `minWhiteNoiseGainDb` (0 dB = one driver alone; equal drive of N
 * coherent drivers gives 10·log10 N). The null weight is raised only as far
 * as the nulls need, leaving the main lobe as much freedom as possible.
 *
 * **Which band the array controls, and why.** A bin counts as controlled
 * when the loaded solution meets the spec there: both nulls ≥ `nullDepthDb`
 * below on-axis, and every direction within ±mainLobeDeg within
 * ±`mainLobeToleranceDb` of on-axis. The controlled band is the longest run
 * of such bins. Its low edge is set by aperture D versus wavelength λ: when
 * D ≪ λ all drivers see nearly the same field, nulls at ±90° with unit
 * response in front need differential (superdirective) weights whose effort
 * grows roughly as (λ/D)², and the WNG limit stops them. Its high edge is
 * set by the driver spacing s and the aperture: beyond about c/(2s) the
 * array aliases spatially (grating lobes, the endfire phase step ks exceeds
 * π) and once D is several wavelengths no weighting keeps a ±45° main lobe
 * flat. (Measured: the 5-driver, 20 cm omni line array of the tests
 * controls 1.6–3.1 kHz; the simulated `studio5` about 0.84–2.6 kHz.)
 * Outside the band the weights cross-fade smoothly (raised cosine in log
 * frequency over `transitionOctaves`) to matrix mixing.
 *
 * References:
 * 1. B. D. Van Veen, K. M. Buckley, "Beamforming: a versatile approach to
 *    spatial filtering", IEEE ASSP Magazine 5(2), 1988.
 * 2. H. Cox, R. M. Zeskind, M. M. Owen, "Robust adaptive beamforming", IEEE
 *    Trans. Acoust. Speech Signal Process. 35(10), 1987 (white noise gain,
 *    diagonal loading).
 *
 * @module
 */
import { type ComplexMatrixStack, createComplexMatrixStack } from "../dsp/complex_linalg.ts";
import { beamScratch, solveBeamBin } from "./_beam_kernel.ts";
import { bandMask, nearestAzimuth, wrapDeg } from "./_band.ts";
import { arcRowAt, type BeamMetrics, beamMetrics } from "./metrics.ts";
import type { ArcTransferMatrix } from "./transfer_matrix.ts";

/** Extra null depth the adaptive null weight aims for beyond `nullDepthDb`, dB. */
const NULL_MARGIN_DB = 3;
/** Null-weight steps (×4 each) before giving up on a bin. */
const MAX_NULL_STEPS = 8;

/** Options of {@linkcode designBeamformer}. */
export interface BeamformerOptions {
  /** Half-width of the main lobe (listening window) in degrees (default 45). */
  readonly mainLobeDeg?: number;
  /** Tolerance of the main lobe relative to on-axis in dB (default 3). */
  readonly mainLobeToleranceDb?: number;
  /** Null directions in degrees (default [-90, 90]). */
  readonly nullAzimuthsDeg?: readonly number[];
  /** Width of each null sector in degrees (default 10). */
  readonly nullWidthDeg?: number;
  /** Initial least-squares weight of the null sectors relative to the main lobe; raised ×4 per
   * step (up to 8 steps) until the nulls are deep enough (default 1). */
  readonly nullWeight?: number;
  /** Required null depth for a bin to count as controlled, dB (default 20). */
  readonly nullDepthDb?: number;
  /** Directions at or beyond this |azimuth| (outside the null sectors) are asked to be quiet (default 60). */
  readonly stopbandStartDeg?: number;
  /** Least-squares weight of the stopband (default 0.01). */
  readonly stopbandWeight?: number;
  /** White-noise-gain floor in dB that limits the drive effort (default -6). */
  readonly minWhiteNoiseGainDb?: number;
  /** Width of the cross-fade to matrix mixing outside the controlled band, octaves (default 0.5). */
  readonly transitionOctaves?: number;
  /** Drivers used by the matrix-mixing fallback (default all). */
  readonly mixingDrivers?: readonly number[];
  /**
   * Drivers the beam may use (default all); the others get zero weight in band. The arc sees only
   * the horizontal plane, so a driver that radiates mostly up or down (a down-firing woofer) looks
   * cheap to it while feeding the room: leave such drivers out (measured on the simulated studio5:
   * with the woofer the beam lowered the living-room direct-to-reverberant ratio, without it not).
   */
  readonly beamDrivers?: readonly number[];
}

/** Result of {@linkcode designBeamformer}. */
export interface BeamformerDesign {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** FFT size of the design grid. */
  readonly fftSize: number;
  /** Bin frequencies in Hz. */
  readonly frequenciesHz: Float64Array;
  /** Final weights per bin: drivers × 1 (beamformer in band, matrix mixing outside, cross-faded). */
  readonly weights: ComplexMatrixStack;
  /** The matrix-mixing weights it is compared with: drivers × 1. */
  readonly mixing: ComplexMatrixStack;
  /** The band where the beamformer meets its spec, or null when it meets it nowhere. */
  readonly controlledBand: { readonly lowHz: number; readonly highHz: number } | null;
  /** Beamformer share of the final weights per bin (1 in band, 0 far outside). */
  readonly blend: Float64Array;
  /** Diagonal loading λ used per bin (absolute, units of |A|²). */
  readonly loading: Float64Array;
  /** Drive-effort limit E_max per bin (‖w‖² ≤ E_max holds in every bin). */
  readonly effortLimit: Float64Array;
  /** Null-sector weight the adaptive search settled on per bin. */
  readonly nullWeight: Float64Array;
  /** Predicted metrics of the final weights and of matrix mixing, and band summaries. */
  readonly predicted: {
    /** Metrics of the final (cross-faded) weights. */
    readonly beam: BeamMetrics;
    /** Metrics of the loaded least-squares beamformer alone, before the cross-fade (diagnostics). */
    readonly unblended: BeamMetrics;
    /** Metrics of matrix mixing. */
    readonly mixing: BeamMetrics;
    /** Shallowest null in the controlled band, dB (NaN without a band). */
    readonly minNullDepthDb: number;
    /** Largest |deviation| over ±mainLobeDeg from on-axis in the band, dB (NaN without a band). */
    readonly worstMainLobeDeviationDb: number;
    /** Lowest white noise gain in the controlled band, dB (NaN without a band; outside it the
     * weights are matrix mixing, whose WNG is a property of the device). */
    readonly minWhiteNoiseGainDb: number;
    /** Mean directivity index gain over matrix mixing in the band, dB (NaN without a band). */
    readonly directivityGainDb: number;
  };
  /** Every parameter the design used. */
  readonly parameters: Record<string, unknown>;
  /** Conditions that may make the design unreliable. */
  readonly warnings: string[];
}

/**
 * Simple matrix mixing: equal real weights 1/|S| on the drivers S (default all).
 *
 * @param plant Any transfer matrix with the drivers as columns (only its shape is used).
 * @param drivers Driver indices to drive (default all), each within 0..cols-1, no repeats.
 * @returns drivers × 1 weights, the same in every bin.
 * @throws {RangeError} for an empty, repeated or out-of-range driver list.
 */
export function matrixMixing(
  plant: { readonly matrix: ComplexMatrixStack },
  drivers?: readonly number[],
): ComplexMatrixStack {
  const n = plant.matrix.cols, bins = plant.matrix.bins;
  const mask = driverSet("design matrix mixing", "drivers", n, drivers);
  let count = 0;
  for (const m of mask) count += m;
  const W = createComplexMatrixStack(n, 1, bins);
  for (let b = 0; b < bins; b++) {
    for (let d = 0; d < n; d++) if (mask[d] === 1) W.re[b * n + d] = 1 / count;
  }
  return W;
}

/** 0/1 mask of a driver subset (default all), validated. */
function driverSet(
  action: string,
  name: string,
  n: number,
  drivers: readonly number[] | undefined,
): Uint8Array {
  const set = drivers ?? Array.from({ length: n }, (_, i) => i);
  if (
    set.length === 0 || new Set(set).size !== set.length ||
    set.some((d) => !Number.isInteger(d) || d < 0 || d >= n)
  ) {
    throw new RangeError(
      `Cannot ${action} as ${name} must be distinct indices within 0..${n - 1}: current value is [${
        set.join(", ")
      }]`,
    );
  }
  const mask = new Uint8Array(n);
  for (const d of set) mask[d] = 1;
  return mask;
}

/**
 * Design the center-channel beamformer on an arc (see the module
 * documentation for the equations, the controlled band and the fallback).
 *
 * @param arc Arc transfer matrix (azimuths × drivers) sampling 0° and the null directions within 2.5°.
 * @param options Lobe, null, stopband, WNG and transition parameters.
 * @returns Weights (drivers × 1), matrix mixing, controlled band, predicted metrics and warnings.
 * @throws {RangeError} for an arc without 0° or a null direction, fewer than 2 drivers, a
 *   non-finite arc, or out-of-range options.
 */
export function designBeamformer(
  arc: ArcTransferMatrix,
  options: BeamformerOptions = {},
): BeamformerDesign {
  const action = "design beamformer";
  const p = {
    mainLobeDeg: options.mainLobeDeg ?? 45,
    mainLobeToleranceDb: options.mainLobeToleranceDb ?? 3,
    nullAzimuthsDeg: options.nullAzimuthsDeg ?? [-90, 90],
    nullWidthDeg: options.nullWidthDeg ?? 10,
    nullWeight: options.nullWeight ?? 1,
    nullDepthDb: options.nullDepthDb ?? 20,
    stopbandStartDeg: options.stopbandStartDeg ?? 60,
    stopbandWeight: options.stopbandWeight ?? 0.01,
    minWhiteNoiseGainDb: options.minWhiteNoiseGainDb ?? -6,
    transitionOctaves: options.transitionOctaves ?? 0.5,
  };
  const checks: [string, number, boolean][] = [
    ["mainLobeDeg", p.mainLobeDeg, p.mainLobeDeg > 0 && p.mainLobeDeg < 90],
    ["mainLobeToleranceDb", p.mainLobeToleranceDb, p.mainLobeToleranceDb > 0],
    ["nullWidthDeg", p.nullWidthDeg, p.nullWidthDeg >= 0 && p.nullWidthDeg < 90],
    ["nullWeight", p.nullWeight, p.nullWeight > 0],
    ["nullDepthDb", p.nullDepthDb, p.nullDepthDb >= 0],
    ["stopbandStartDeg", p.stopbandStartDeg, p.stopbandStartDeg > p.mainLobeDeg],
    ["stopbandWeight", p.stopbandWeight, p.stopbandWeight >= 0],
    ["minWhiteNoiseGainDb", p.minWhiteNoiseGainDb, Number.isFinite(p.minWhiteNoiseGainDb)],
    ["transitionOctaves", p.transitionOctaves, p.transitionOctaves >= 0],
  ];
  for (const [name, value, ok] of checks) {
    if (!ok || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot ${action} as ${name} is out of range (see BeamformerOptions): current value is ${value}`,
      );
    }
  }
  const A = arc.matrix;
  const rows = A.rows, n = A.cols, bins = A.bins;
  if (n < 2) {
    throw new RangeError(
      `Cannot ${action} as the arc needs at least 2 drivers: current value is ${n}`,
    );
  }
  for (let i = 0; i < A.re.length; i++) {
    if (!Number.isFinite(A.re[i] as number) || !Number.isFinite(A.im[i] as number)) {
      throw new RangeError(
        `Cannot ${action} as the arc must be finite: bin ${Math.floor(i / (rows * n))} has ${
          A.re[i]
        } + ${A.im[i]}j`,
      );
    }
  }
  const on = arcRowAt(arc, 0, action);
  for (const a of p.nullAzimuthsDeg) arcRowAt(arc, a, action);
  const mixing = matrixMixing(arc, options.mixingDrivers);
  const allowed = driverSet(action, "beamDrivers", n, options.beamDrivers);

  // Row weights and desired shape (1 = main lobe, 0 = quiet); null rows get the adaptive weight.
  const q = new Float64Array(rows), shape = new Float64Array(rows);
  const isNull = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const az = wrapDeg(arc.azimuthsDeg[r] as number);
    const inNull = p.nullAzimuthsDeg.some((t) => Math.abs(wrapDeg(az - t)) <= p.nullWidthDeg / 2);
    if (Math.abs(az) <= p.mainLobeDeg) {
      q[r] = 1;
      shape[r] = 1;
    } else if (inNull) isNull[r] = 1;
    else if (Math.abs(az) >= p.stopbandStartDeg) q[r] = p.stopbandWeight;
  }
  const nullRows = p.nullAzimuthsDeg.map((t) => nearestAzimuth(arc.azimuthsDeg, t).index);
  for (const index of nullRows) {
    isNull[index] = 1; // the exact null rows, even when nullWidthDeg is 0
    shape[index] = 0;
  }

  const wngMin = Math.pow(10, p.minWhiteNoiseGainDb / 10);
  const beam = createComplexMatrixStack(n, 1, bins);
  const loading = new Float64Array(bins);
  const effortLimit = new Float64Array(bins);
  const nullWeightUsed = new Float64Array(bins);
  const scratch = beamScratch(n);
  const wRe = new Float64Array(n), wIm = new Float64Array(n);
  const binRe = new Float64Array(rows * n), binIm = new Float64Array(rows * n);
  const targetPower = Math.pow(10, -(p.nullDepthDb + NULL_MARGIN_DB) / 10);
  for (let b = 0; b < bins; b++) {
    const base = b * rows * n;
    // d₀ = mixing on-axis response, P₀ = mean single-driver on-axis power.
    let d0Re = 0, d0Im = 0, p0 = 0;
    for (let d = 0; d < n; d++) {
      const ar = A.re[base + on * n + d] as number, ai = A.im[base + on * n + d] as number;
      const m = mixing.re[b * n + d] as number;
      d0Re += ar * m;
      d0Im += ai * m;
      p0 += ar * ar + ai * ai;
    }
    p0 /= n;
    const d0Power = d0Re * d0Re + d0Im * d0Im;
    const limit = p0 > 0 ? d0Power / (p0 * wngMin) : 0;
    effortLimit[b] = limit;
    if (!(limit > 0)) continue; // silent on axis: weights stay 0
    // This bin's plant with the columns of drivers the beam may not use set to zero (their
    // weights then come out 0: the loading is their only term).
    for (let j = 0; j < rows * n; j++) {
      const keep = allowed[j % n] === 1;
      binRe[j] = keep ? A.re[base + j] as number : 0;
      binIm[j] = keep ? A.im[base + j] as number : 0;
    }
    const problem = {
      n,
      rows,
      aRe: binRe,
      aIm: binIm,
      on,
      d0Re,
      d0Im,
      q,
      shape,
      isNull,
      effortLimit: limit,
    };
    // Raise the null weight (×4 per step) until both nulls reach the required depth plus a margin,
    // so the main lobe keeps as much freedom as the nulls allow.
    let nullWeight = p.nullWeight, lambda = 0;
    for (let step = 0;; step++) {
      lambda = solveBeamBin(problem, nullWeight, scratch, wRe, wIm);
      let worst = 0;
      for (const r of nullRows) {
        let sr = 0, si = 0;
        for (let i = 0; i < n; i++) {
          const ar = problem.aRe[r * n + i] as number, ai = problem.aIm[r * n + i] as number;
          sr += ar * (wRe[i] as number) - ai * (wIm[i] as number);
          si += ar * (wIm[i] as number) + ai * (wRe[i] as number);
        }
        worst = Math.max(worst, sr * sr + si * si);
      }
      if (worst <= targetPower * d0Power || step >= MAX_NULL_STEPS) break;
      nullWeight *= 4;
    }
    loading[b] = lambda;
    nullWeightUsed[b] = nullWeight;
    beam.re.set(wRe, b * n);
    beam.im.set(wIm, b * n);
  }

  // Controlled band: longest run of bins meeting the null and main-lobe spec.
  const beamOnly = beamMetrics(arc, beam, {
    windowDeg: p.mainLobeDeg,
    nullAzimuthsDeg: p.nullAzimuthsDeg,
  });
  const f = arc.frequenciesHz;
  let bestStart = -1, bestLen = 0, runStart = -1;
  for (let b = 0; b <= bins; b++) {
    const pass = b < bins && (f[b] as number) > 0 &&
      (beamOnly.nullDepthDb[b] as number) >= p.nullDepthDb &&
      (beamOnly.windowMinDb[b] as number) >= -p.mainLobeToleranceDb &&
      (beamOnly.windowMaxDb[b] as number) <= p.mainLobeToleranceDb;
    if (pass && runStart < 0) runStart = b;
    if (!pass && runStart >= 0) {
      if (b - runStart > bestLen) {
        bestLen = b - runStart;
        bestStart = runStart;
      }
      runStart = -1;
    }
  }
  const warnings: string[] = [];
  let band: { lowHz: number; highHz: number } | null = null;
  if (bestLen >= 2) {
    band = { lowHz: f[bestStart] as number, highHz: f[bestStart + bestLen - 1] as number };
  } else {
    warnings.push(
      `beamformer meets its spec (nulls >= ${p.nullDepthDb} dB, ±${p.mainLobeToleranceDb} dB over ±${p.mainLobeDeg}°) in no band within the white-noise-gain limit of ${p.minWhiteNoiseGainDb} dB; the center falls back to matrix mixing`,
    );
  }
  const blend = band
    ? bandMask(f, band.lowHz, band.highHz, p.transitionOctaves)
    : new Float64Array(bins);
  const weights = createComplexMatrixStack(n, 1, bins);
  for (let b = 0; b < bins; b++) {
    const a = blend[b] as number;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const j = b * n + i;
      const wr = a * (beam.re[j] as number) + (1 - a) * (mixing.re[j] as number);
      const wi = a * (beam.im[j] as number) + (1 - a) * (mixing.im[j] as number);
      weights.re[j] = wr;
      weights.im[j] = wi;
      e += wr * wr + wi * wi;
    }
    const limit = effortLimit[b] as number;
    if (e > limit) {
      // Only possible where matrix mixing itself exceeds the limit: scale down to hold it.
      const s = limit > 0 ? Math.sqrt(limit / e) : 0;
      for (let i = 0; i < n; i++) {
        weights.re[b * n + i]! *= s;
        weights.im[b * n + i]! *= s;
      }
    }
  }
  const metricOptions = { windowDeg: p.mainLobeDeg, nullAzimuthsDeg: p.nullAzimuthsDeg };
  const beamFinal = beamMetrics(arc, weights, metricOptions);
  const mixMetrics = beamMetrics(arc, mixing, metricOptions);
  let minNull = NaN, worstLobe = NaN, diGain = NaN;
  if (band) {
    minNull = Infinity;
    worstLobe = 0;
    diGain = 0;
    let count = 0;
    for (let b = bestStart; b < bestStart + bestLen; b++) {
      minNull = Math.min(minNull, beamFinal.nullDepthDb[b] as number);
      worstLobe = Math.max(
        worstLobe,
        -(beamFinal.windowMinDb[b] as number),
        beamFinal.windowMaxDb[b] as number,
      );
      diGain += (beamFinal.directivityIndexDb[b] as number) -
        (mixMetrics.directivityIndexDb[b] as number);
      count++;
    }
    diGain /= count;
  }
  let minWng = NaN;
  if (band) {
    minWng = Infinity;
    for (let b = bestStart; b < bestStart + bestLen; b++) {
      minWng = Math.min(minWng, beamFinal.whiteNoiseGainDb[b] as number);
    }
  }
  return {
    sampleRate: arc.sampleRate,
    fftSize: arc.fftSize,
    frequenciesHz: f,
    weights,
    mixing,
    controlledBand: band,
    blend,
    loading,
    effortLimit,
    nullWeight: nullWeightUsed,
    predicted: {
      beam: beamFinal,
      unblended: beamOnly,
      mixing: mixMetrics,
      minNullDepthDb: minNull,
      worstMainLobeDeviationDb: worstLobe,
      minWhiteNoiseGainDb: minWng,
      directivityGainDb: diGain,
    },
    parameters: {
      method: "loaded-least-squares-beamformer",
      ...p,
      mixingDrivers: options.mixingDrivers ?? "all",
      beamDrivers: options.beamDrivers ?? "all",
      controlledBand: band,
    },
    warnings,
  };
}
