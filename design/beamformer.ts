/**
 * Midrange beamformer for the center channel, and simple matrix mixing to
 * compare it with.
 *
 * Per frequency bin, from an arc transfer matrix A (azimuths × drivers), the
 * weights w (drivers) are the optimum of a constrained minimax design (the
 * spec as constraints, after Lebret & Boyd 1997 [3]; the linearly
 * constrained beam of Van Veen & Buckley 1988 [1]; white noise gain after
 * Cox et al. 1987 [2]):
 *
 * ```text
 * minimize   t
 * subject to a(0°)·w = d₀                               on-axis response kept exactly
 *            |a(θ)·w − |d₀|e^{jφ_θ}| ≤ t·ε·|d₀|         |θ| ≤ mainLobeDeg     (ε = 1 − 10^(−tol/20))
 *            |a(θ)·w| ≤ t·ν·|d₀|                        θ in a null sector    (ν = 10^(−nullDepthDb/20))
 *            ‖w‖² ≤ E_max = |d₀|²/(P₀·WNG_min)          white-noise-gain floor, hard
 * d₀(f) = Σ_d A(0°, d)·m_d   (on-axis response of matrix mixing m),  P₀ = mean_d |A(0°, d)|²
 * ```
 *
 * t is the worst constraint's share of its tolerance, so t ≤ 1 means the
 * spec can be met within the white-noise-gain floor and the optimum is the
 * design with the most margin on its tightest constraint; t > 1 is the
 * least violation any weights within the floor can reach. For given target
 * phases φ_θ the problem is a small second-order cone program, solved per
 * bin to a relative duality gap of 1e-5 (1e-2 in the passes that only steer
 * the phases) by the barrier method in `_beam_kernel.ts`. The lobe's
 * magnitude band is not convex: φ_θ starts from one phase family for the
 * whole band — matrix mixing's pattern or one beam driver's, whichever meets
 * the spec in the most bins — and is re-centred on the optimum's own phase
 * for up to `phasePasses` solves, which can only lower t. One family for all
 * bins keeps the weights smooth in frequency (short FIRs); checked against
 * an independent scipy SLSQP design of the true (non-convex) problem on
 * three geometries (`fixtures/beam/`): the design meets the spec in every
 * bin where the reference does, within 1 dB of its null depth near the spec
 * edge. A second stage then spends a share of the tolerance margin on a
 * quiet stopband (|θ| ≥ stopbandStartDeg) and low effort, all constraints
 * still within t ≤ `stopbandShare` (or 1.02·t*).
 *
 * The beam keeps exactly the on-axis response matrix mixing gives (both sound
 * alike on axis, and the cross-fade between them is seamless), so
 * ‖w‖² ≤ E_max is exactly the white-noise-gain floor `minWhiteNoiseGainDb`
 * (0 dB = one driver alone; equal drive of N coherent drivers gives
 * 10·log10 N).
 *
 * **Which band the array controls, and what is traded outside it.** A bin
 * is controlled when the optimum meets the spec there, checked on the true
 * response (not the discs): both nulls ≥ `nullDepthDb` below on-axis, every
 * direction within ±mainLobeDeg within ±`mainLobeToleranceDb` of on-axis,
 * WNG ≥ the floor. The controlled band is the longest run of such bins.
 * `bands` reports per third-octave band which constraints hold and by how
 * much, and outside the band what was given up: below it the effort limit
 * binds (aperture D ≪ λ: nulls at ±90° with a flat front lobe need
 * superdirective weights whose effort grows roughly as (λ/D)²) and the
 * nulls and lobe are traded for the white-noise-gain floor; above it no
 * weights meet the lobe and nulls together even without the floor (spatial
 * aliasing beyond about c/(2s) for spacing s, and an aperture of several
 * wavelengths cannot keep a ±45° lobe flat). (Measured with the fit's
 * settings, ±2.5 dB and 21 dB nulls: the 5-driver, 20 cm omni line array of
 * the tests controls 1.09–3.6 kHz; the simulated `studio5` with a 5° arc,
 * beam without the woofer, 0.83–4.9 kHz.)
 * The arc must sample the pattern finely enough: above `arcNyquistHz` the
 * spec could hold at every arc direction and fail between them, so bins
 * above it are not solved. Outside the band the weights
 * cross-fade smoothly (raised cosine in log frequency over
 * `transitionOctaves`) to matrix mixing.
 *
 * References:
 * 1. B. D. Van Veen, K. M. Buckley, "Beamforming: a versatile approach to
 *    spatial filtering", IEEE ASSP Magazine 5(2), 1988.
 * 2. H. Cox, R. M. Zeskind, M. M. Owen, "Robust adaptive beamforming", IEEE
 *    Trans. Acoust. Speech Signal Process. 35(10), 1987 (white noise gain).
 * 3. H. Lebret, S. Boyd, "Antenna array pattern synthesis via convex
 *    optimization", IEEE Trans. Signal Process. 45(3), 1997.
 *
 * @module
 */
import { type ComplexMatrixStack, createComplexMatrixStack } from "../dsp/complex_linalg.ts";
import { type BeamBin, solveBeamBin } from "./_beam_kernel.ts";
import { bandMask, nearestAzimuth, wrapDeg } from "./_band.ts";
import { arcRowAt, type BeamMetrics, beamMetrics } from "./metrics.ts";
import type { ArcTransferMatrix } from "./transfer_matrix.ts";

/** Options of {@linkcode designBeamformer}. */
export interface BeamformerOptions {
  /** Half-width of the main lobe (listening window) in degrees (default 45). */
  readonly mainLobeDeg?: number;
  /** Tolerance of the main lobe relative to on-axis in dB (default 3). */
  readonly mainLobeToleranceDb?: number;
  /** Null directions in degrees (default [-90, 90]). */
  readonly nullAzimuthsDeg?: readonly number[];
  /** Width of each null sector in degrees; every arc direction within it is a null constraint
   * (default 0: the arc direction nearest each null only). */
  readonly nullWidthDeg?: number;
  /** Required null depth below on-axis, dB (default 20). */
  readonly nullDepthDb?: number;
  /** White-noise-gain floor in dB that limits the drive effort (default -6). */
  readonly minWhiteNoiseGainDb?: number;
  /** Directions at or beyond this |azimuth| (outside the null sectors) form the stopband whose
   * mean power the second stage minimizes (default 60). */
  readonly stopbandStartDeg?: number;
  /**
   * Share of every tolerance the second stage may use to quiet the stopband, in [0, 1]
   * (default 0.7: nulls stay ≥ nullDepthDb + 3.1 dB and the lobe discs at 0.7·ε; 0 turns the
   * second stage off). Applied only where the minimax optimum t* has 2 % of margin
   * (1.02·t* ≤ 1); the constraints then hold with t ≤ max(stopbandShare, 1.02·t*). Measured on
   * the simulated living room: it keeps the center's direct-to-reverberant ratio above matrix
   * mixing's (the ±90° nulls alone lowered it by 1 dB).
   */
  readonly stopbandShare?: number;
  /**
   * Weight κ of the drive effort beside the stopband in the second stage, as κ/WNG (default
   * 0.1): effort also radiates where a horizontal arc cannot see (up, down). Measured on the
   * simulated living room: κ from 0.1 to 10 moved the center's DRR by 0.02 dB.
   */
  readonly stopbandEffortWeight?: number;
  /**
   * Solves per bin, each re-centring the main-lobe targets on the previous optimum's own phase
   * (default 8; 1 = the family's pattern only). Measured against the scipy reference: with 1 the
   * line array met the spec only over 1.6–3.3 kHz where the reference met it over 1.16–3.5 kHz;
   * with 8 over the same bins, and within 1 dB of its null depth.
   */
  readonly phasePasses?: number;
  /** Width of the cross-fade to matrix mixing outside the controlled band, octaves (default 0.5). */
  readonly transitionOctaves?: number;
  /** Bins solved; outside this range the weights are matrix mixing (default 100–8000 Hz, capped
   * at 0.45·sampleRate). */
  readonly solveBandHz?: { readonly lowHz: number; readonly highHz: number };
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

/** Whether one constraint holds in a band and by how much (positive margin = inside the spec). */
export interface ConstraintCheck {
  /** True when the constraint holds in every bin of the band. */
  readonly holds: boolean;
  /** Worst value over the band's bins, dB (deviation, null depth or WNG). */
  readonly worstDb: number;
  /** Margin to the spec at the worst bin, dB (negative: violated by that much). */
  readonly marginDb: number;
}

/** The spec check of one third-octave band. */
export interface BeamBandReport {
  /** Nominal band centre in Hz (1000·2^(k/3)). */
  readonly centerHz: number;
  /** Largest |deviation| over ±mainLobeDeg from on-axis, against ±mainLobeToleranceDb. */
  readonly mainLobe: ConstraintCheck;
  /** Shallowest null, against nullDepthDb. */
  readonly nulls: ConstraintCheck;
  /** Lowest white noise gain, against minWhiteNoiseGainDb. */
  readonly whiteNoiseGain: ConstraintCheck;
  /** Every bin of the band meets every constraint. */
  readonly controlled: boolean;
  /** Outside control: what the optimum gave up and why; null when controlled. */
  readonly traded: string | null;
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
  /** The optimal beam per bin before the cross-fade: drivers × 1 (matrix mixing where unsolved). */
  readonly beam: ComplexMatrixStack;
  /** The matrix-mixing weights it is compared with: drivers × 1. */
  readonly mixing: ComplexMatrixStack;
  /** The band where the beamformer meets its spec, or null when it meets it nowhere. */
  readonly controlledBand: { readonly lowHz: number; readonly highHz: number } | null;
  /** Beamformer share of the final weights per bin (1 in band, 0 far outside). */
  readonly blend: Float64Array;
  /** Optimal worst share of the tolerances per bin (≤ 1: the discs hold; NaN where unsolved). */
  readonly minimaxRatio: Float64Array;
  /** Drive-effort limit E_max per bin (‖w‖² ≤ E_max holds in every bin). */
  readonly effortLimit: Float64Array;
  /** 1 where the optimum is within 0.2 dB of the effort limit (the WNG floor binds), else 0. */
  readonly effortBound: Uint8Array;
  /** Spec check per third-octave band over the solved range. */
  readonly bands: BeamBandReport[];
  /** Predicted metrics of the final weights and of matrix mixing, and band summaries. */
  readonly predicted: {
    /** Metrics of the final (cross-faded) weights. */
    readonly beam: BeamMetrics;
    /** Metrics of the optimal beam alone, before the cross-fade. */
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
  readonly parameters: BeamformerParameters;
  /** Conditions that may make the design unreliable. */
  readonly warnings: string[];
}

/** The parameters a design used (the options with their defaults filled in). */
export interface BeamformerParameters {
  /** The method's name. */
  readonly method: "minimax-socp-beamformer";
  /** As in {@linkcode BeamformerOptions}, with its default filled in. */
  readonly mainLobeDeg: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly mainLobeToleranceDb: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly nullAzimuthsDeg: readonly number[];
  /** As in {@linkcode BeamformerOptions}. */
  readonly nullWidthDeg: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly nullDepthDb: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly minWhiteNoiseGainDb: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly stopbandStartDeg: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly stopbandShare: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly stopbandEffortWeight: number;
  /** As in {@linkcode BeamformerOptions}. */
  readonly phasePasses: number;
  /** The phase pattern the main lobe followed: matrix mixing's or one beam driver's (index). */
  readonly lobePhase: string;
  /** As in {@linkcode BeamformerOptions}. */
  readonly transitionOctaves: number;
  /** The bins solved, capped at the arc's angular Nyquist frequency. */
  readonly solveBandHz: { readonly lowHz: number; readonly highHz: number };
  /** Highest frequency the arc's angular sampling resolves the pattern at (see `arcNyquistHz`). */
  readonly arcNyquistHz: number | null;
  /** As in {@linkcode BeamformerOptions}, or "all". */
  readonly mixingDrivers: readonly number[] | "all";
  /** As in {@linkcode BeamformerOptions}, or "all". */
  readonly beamDrivers: readonly number[] | "all";
  /** The band where the beam meets its spec, or null. */
  readonly controlledBand: { readonly lowHz: number; readonly highHz: number } | null;
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
 * documentation for the problem, the controlled band and the fallback):
 * a pipeline of named stages.
 *
 * @param arc Arc transfer matrix (azimuths × drivers) sampling 0° and the null directions within 2.5°.
 * @param options Lobe, null, WNG and transition parameters.
 * @returns Weights (drivers × 1), matrix mixing, controlled band, per-band spec report, predicted
 *   metrics and warnings.
 * @throws {RangeError} for an arc without 0° or a null direction, fewer than 2 drivers, a
 *   non-finite arc, or out-of-range options.
 *
 * @example
 * ```ts ignore
 * const design = designBeamformer(arc, { mainLobeToleranceDb: 2.5 });
 * console.log(design.controlledBand, design.bands.filter((b) => !b.controlled).map((b) => b.traded));
 * ```
 */
export function designBeamformer(
  arc: ArcTransferMatrix,
  options: BeamformerOptions = {},
): BeamformerDesign {
  const spec = withArcLimit(beamSpec(arc, options), arcNyquistHz(arc));
  const mixing = matrixMixing(arc, options.mixingDrivers);
  const rows = constraintRows(arc, spec);
  const metricOptions = { windowDeg: spec.mainLobeDeg, nullAzimuthsDeg: spec.nullAzimuthsDeg };
  const { solved, unblended, band, family } = widestFamily(arc, mixing, rows, spec, metricOptions);
  const { weights, blend } = crossFadeToMixing(
    arc.frequenciesHz,
    solved.beam,
    mixing,
    band,
    spec,
    solved.effortLimit,
  );
  const beam = beamMetrics(arc, weights, metricOptions);
  const mix = beamMetrics(arc, mixing, metricOptions);
  const warnings: string[] = [];
  if (!band) {
    warnings.push(
      `beamformer meets its spec (nulls >= ${spec.nullDepthDb} dB, ±${spec.mainLobeToleranceDb} dB over ±${spec.mainLobeDeg}°) in no band within the white-noise-gain limit of ${spec.minWhiteNoiseGainDb} dB; the center falls back to matrix mixing`,
    );
  }
  return {
    sampleRate: arc.sampleRate,
    fftSize: arc.fftSize,
    frequenciesHz: arc.frequenciesHz,
    weights,
    beam: solved.beam,
    mixing,
    controlledBand: band,
    blend,
    minimaxRatio: solved.t,
    effortLimit: solved.effortLimit,
    effortBound: solved.effortBound,
    bands: bandReports(arc.frequenciesHz, unblended, solved, spec),
    predicted: {
      beam,
      unblended,
      mixing: mix,
      ...bandSummary(arc.frequenciesHz, band, beam, mix),
    },
    parameters: {
      method: "minimax-socp-beamformer",
      mainLobeDeg: spec.mainLobeDeg,
      mainLobeToleranceDb: spec.mainLobeToleranceDb,
      nullAzimuthsDeg: spec.nullAzimuthsDeg,
      nullWidthDeg: spec.nullWidthDeg,
      nullDepthDb: spec.nullDepthDb,
      minWhiteNoiseGainDb: spec.minWhiteNoiseGainDb,
      stopbandStartDeg: spec.stopbandStartDeg,
      stopbandShare: spec.stopbandShare,
      stopbandEffortWeight: spec.stopbandEffortWeight,
      phasePasses: spec.phasePasses,
      lobePhase: family === "mixing" ? "matrix-mixing" : `driver ${family}`,
      transitionOctaves: spec.transitionOctaves,
      solveBandHz: spec.solveBandHz,
      arcNyquistHz: spec.arcNyquistHz ?? null,
      mixingDrivers: options.mixingDrivers ?? "all",
      beamDrivers: options.beamDrivers ?? "all",
      controlledBand: band,
    },
    warnings,
  };
}

/** Validated parameters with defaults, and the beam's driver mask. */
interface BeamSpec {
  readonly mainLobeDeg: number;
  readonly mainLobeToleranceDb: number;
  readonly nullAzimuthsDeg: readonly number[];
  readonly nullWidthDeg: number;
  readonly nullDepthDb: number;
  readonly minWhiteNoiseGainDb: number;
  readonly stopbandStartDeg: number;
  readonly stopbandShare: number;
  readonly stopbandEffortWeight: number;
  readonly phasePasses: number;
  readonly transitionOctaves: number;
  readonly solveBandHz: { readonly lowHz: number; readonly highHz: number };
  readonly beamDrivers: Uint8Array;
  readonly arcNyquistHz?: number;
}

const ACTION = "design beamformer";
/**
 * The phase pattern the main lobe is asked to follow (the magnitude tolerance is not convex; a
 * fixed phase pattern makes each bin a convex problem with one optimum): matrix mixing's own
 * pattern, or driver d's (each driver alone is a physical source whose phase across the arc
 * follows its path length). One family for the whole band keeps the weights smooth in
 * frequency, which short FIRs need: picking the best start per bin made the realized beam
 * jump by 10 dB from bin to bin on the line array.
 */
type PhaseFamily = "mixing" | number;
/** The families are ranked on every this-many-th solvable bin (a quarter of the work each). */
const RANKING_STRIDE = 4;

/** Stage 1: options with defaults, checked against each other and the arc. */
function beamSpec(arc: ArcTransferMatrix, options: BeamformerOptions): BeamSpec {
  const p = {
    mainLobeDeg: options.mainLobeDeg ?? 45,
    mainLobeToleranceDb: options.mainLobeToleranceDb ?? 3,
    nullAzimuthsDeg: options.nullAzimuthsDeg ?? [-90, 90],
    nullWidthDeg: options.nullWidthDeg ?? 0,
    nullDepthDb: options.nullDepthDb ?? 20,
    minWhiteNoiseGainDb: options.minWhiteNoiseGainDb ?? -6,
    stopbandStartDeg: options.stopbandStartDeg ?? 60,
    stopbandShare: options.stopbandShare ?? 0.7,
    stopbandEffortWeight: options.stopbandEffortWeight ?? 0.1,
    phasePasses: options.phasePasses ?? 8,
    transitionOctaves: options.transitionOctaves ?? 0.5,
    solveBandHz: options.solveBandHz ??
      { lowHz: 100, highHz: Math.min(8000, 0.45 * arc.sampleRate) },
  };
  const checks: [string, number, boolean][] = [
    ["mainLobeDeg", p.mainLobeDeg, p.mainLobeDeg > 0 && p.mainLobeDeg < 90],
    ["mainLobeToleranceDb", p.mainLobeToleranceDb, p.mainLobeToleranceDb > 0],
    ["nullWidthDeg", p.nullWidthDeg, p.nullWidthDeg >= 0 && p.nullWidthDeg < 90],
    ["nullDepthDb", p.nullDepthDb, p.nullDepthDb >= 0],
    ["minWhiteNoiseGainDb", p.minWhiteNoiseGainDb, Number.isFinite(p.minWhiteNoiseGainDb)],
    ["stopbandStartDeg", p.stopbandStartDeg, p.stopbandStartDeg > p.mainLobeDeg],
    ["stopbandShare", p.stopbandShare, p.stopbandShare >= 0 && p.stopbandShare <= 1],
    ["stopbandEffortWeight", p.stopbandEffortWeight, p.stopbandEffortWeight >= 0],
    ["phasePasses", p.phasePasses, Number.isInteger(p.phasePasses) && p.phasePasses >= 1],
    ["transitionOctaves", p.transitionOctaves, p.transitionOctaves >= 0],
    ["solveBandHz.lowHz", p.solveBandHz.lowHz, p.solveBandHz.lowHz > 0],
    ["solveBandHz.highHz", p.solveBandHz.highHz, p.solveBandHz.highHz > p.solveBandHz.lowHz],
  ];
  for (const [name, value, ok] of checks) {
    if (!ok || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot ${ACTION} as ${name} is out of range (see BeamformerOptions): current value is ${value}`,
      );
    }
  }
  const A = arc.matrix;
  if (A.cols < 2) {
    throw new RangeError(
      `Cannot ${ACTION} as the arc needs at least 2 drivers: current value is ${A.cols}`,
    );
  }
  for (let i = 0; i < A.re.length; i++) {
    if (!Number.isFinite(A.re[i] as number) || !Number.isFinite(A.im[i] as number)) {
      throw new RangeError(
        `Cannot ${ACTION} as the arc must be finite: bin ${Math.floor(i / (A.rows * A.cols))} has ${
          A.re[i]
        } + ${A.im[i]}j`,
      );
    }
  }
  arcRowAt(arc, 0, ACTION);
  for (const a of p.nullAzimuthsDeg) arcRowAt(arc, a, ACTION);
  return { ...p, beamDrivers: driverSet(ACTION, "beamDrivers", A.cols, options.beamDrivers) };
}

/**
 * Stage 1b: the highest frequency the arc samples the pattern finely enough to check it. Between
 * adjacent arc directions r, r+1 each driver's arrival time changes by Δτ_d(r) (the group delay
 * of A(r+1, d)·conj(A(r, d)), averaged over 300–3000 Hz); when two drivers' changes differ by
 * `spread`, their relative phase turns by 2πf·spread between the samples, and above
 * f = 1/(2·spread) (half a turn) the pattern between arc directions is aliased in angle: the
 * spec could hold at every sampled direction and fail between them.
 */
export function arcNyquistHz(arc: ArcTransferMatrix): number {
  const A = arc.matrix, n = A.cols, rows = A.rows, f = arc.frequenciesHz;
  const order = Array.from({ length: rows }, (_, r) => r).sort(
    (a, b) => wrapDeg(arc.azimuthsDeg[a] as number) - wrapDeg(arc.azimuthsDeg[b] as number),
  );
  const dw = 2 * Math.PI * (f[1]! - f[0]!);
  let spread = 0;
  for (let i = 0; i < rows; i++) {
    const r0 = order[i]!, r1 = order[(i + 1) % rows]!;
    let lo = Infinity, hi = -Infinity;
    for (let d = 0; d < n; d++) {
      let sr = 0, si = 0;
      let pr = 0, pi = 0, first = true;
      for (let b = 1; b < A.bins; b++) {
        if (f[b]! < 300 || f[b]! > 3000) continue;
        const i0 = (b * rows + r0) * n + d, i1 = (b * rows + r1) * n + d;
        // x_b = A(r1)·conj(A(r0))
        const xr = A.re[i1]! * A.re[i0]! + A.im[i1]! * A.im[i0]!;
        const xi = A.im[i1]! * A.re[i0]! - A.re[i1]! * A.im[i0]!;
        if (!first) {
          // x_b·conj(x_{b−1}): its phase is −ω-step·Δτ
          sr += xr * pr + xi * pi;
          si += xi * pr - xr * pi;
        }
        pr = xr;
        pi = xi;
        first = false;
      }
      const tau = -Math.atan2(si, sr) / dw;
      lo = Math.min(lo, tau);
      hi = Math.max(hi, tau);
    }
    spread = Math.max(spread, hi - lo);
  }
  return spread > 0 ? 1 / (2 * spread) : Infinity;
}

/** The solve band capped at the arc's angular Nyquist frequency. */
function withArcLimit(spec: BeamSpec, nyquistHz: number): BeamSpec {
  return {
    ...spec,
    arcNyquistHz: Math.round(nyquistHz),
    solveBandHz: {
      lowHz: spec.solveBandHz.lowHz,
      highHz: Math.min(spec.solveBandHz.highHz, nyquistHz),
    },
  };
}

/** The arc rows the design constrains: on-axis, main lobe (not 0°) and null rows. */
interface ConstraintRows {
  readonly on: number;
  readonly lobe: readonly number[];
  readonly nulls: readonly number[];
  readonly stopband: readonly number[];
}

/** Stage 2: which arc directions are main lobe and which are nulls. */
function constraintRows(arc: ArcTransferMatrix, spec: BeamSpec): ConstraintRows {
  const on = arcRowAt(arc, 0, ACTION);
  const lobe: number[] = [], stopband: number[] = [], nulls = new Set<number>();
  for (const t of spec.nullAzimuthsDeg) nulls.add(nearestAzimuth(arc.azimuthsDeg, t).index);
  arc.azimuthsDeg.forEach((a, r) => {
    const az = wrapDeg(a);
    if (spec.nullAzimuthsDeg.some((t) => Math.abs(wrapDeg(az - t)) <= spec.nullWidthDeg / 2)) {
      nulls.add(r);
    } else if (Math.abs(az) <= spec.mainLobeDeg + 1e-9 && r !== on) lobe.push(r);
    else if (Math.abs(az) >= spec.stopbandStartDeg - 1e-9) stopband.push(r);
  });
  const nullRows = [...nulls].sort((a, b) => a - b);
  return { on, lobe, nulls: nullRows, stopband: stopband.filter((r) => !nulls.has(r)) };
}

/** The optimal beam per bin and what bounded it. */
interface SolvedBins {
  readonly beam: ComplexMatrixStack;
  readonly t: Float64Array;
  readonly effortLimit: Float64Array;
  readonly effortBound: Uint8Array;
  readonly solvedBins: Uint8Array;
}

/** Stage 3: the minimax problem of every bin in the solve band (`_beam_kernel.ts`). */
function solveBins(
  arc: ArcTransferMatrix,
  mixing: ComplexMatrixStack,
  rows: ConstraintRows,
  spec: BeamSpec,
  family: PhaseFamily,
  every = 1,
  done?: SolvedBins,
): SolvedBins {
  const A = arc.matrix, n = A.cols, bins = A.bins;
  const ctx = binContext(rows, spec);
  const beam = createComplexMatrixStack(n, 1, bins);
  beam.re.set(mixing.re);
  beam.im.set(mixing.im);
  const t = new Float64Array(bins).fill(NaN);
  const effortLimit = new Float64Array(bins), effortBound = new Uint8Array(bins);
  const solvedBins = new Uint8Array(bins);
  const wRe = new Float64Array(ctx.use.length), wIm = new Float64Array(ctx.use.length);
  let solvable = 0;
  for (let b = 0; b < bins; b++) {
    const { d0Re, d0Im, limit } = onAxisTarget(A, mixing, rows.on, b, ctx.wngMin);
    effortLimit[b] = limit;
    const f = arc.frequenciesHz[b] as number;
    if (f < spec.solveBandHz.lowHz || f > spec.solveBandHz.highHz || !(limit > 0)) continue;
    if (solvable++ % every !== 0) continue;
    solvedBins[b] = 1;
    if (done?.solvedBins[b] === 1) {
      // Solved already with this family (the ranking's every RANKING_STRIDE-th bin): the same
      // problem, the same answer.
      t[b] = done.t[b]!;
      effortBound[b] = done.effortBound[b]!;
      for (let d = 0; d < n; d++) {
        beam.re[b * n + d] = done.beam.re[b * n + d]!;
        beam.im[b * n + d] = done.beam.im[b * n + d]!;
      }
      continue;
    }
    const problem = binProblem(ctx, A, mixing, rows.on, family, b, { d0Re, d0Im, limit });
    const solution = solveBeamBin(problem, wRe, wIm, { passes: spec.phasePasses });
    t[b] = solution.t;
    effortBound[b] = solution.effort >= limit * 0.95 ? 1 : 0; // within 0.2 dB of the WNG floor
    for (let d = 0; d < n; d++) {
      beam.re[b * n + d] = 0;
      beam.im[b * n + d] = 0;
    }
    ctx.use.forEach((d, j) => {
      beam.re[b * n + d] = wRe[j] as number;
      beam.im[b * n + d] = wIm[j] as number;
    });
  }
  return { beam, t, effortLimit, effortBound, solvedBins };
}

/** What every bin's problem shares: the beam's drivers, the constrained rows and tolerances. */
interface BinContext {
  readonly use: readonly number[];
  readonly constrained: readonly number[];
  readonly stopband: readonly number[];
  /** The white-noise-gain floor as a power ratio. */
  readonly wngMin: number;
  /** The problem record, refilled for every bin (see {@linkcode binProblem}). */
  readonly bin: BeamBin & { a0Re: Float64Array; a0Im: Float64Array };
}

/** The beam drivers, the constrained rows with their tolerances, and the reused problem record. */
function binContext(rows: ConstraintRows, spec: BeamSpec): BinContext {
  const use = [...spec.beamDrivers.keys()].filter((d) => spec.beamDrivers[d] === 1);
  const u = use.length;
  const constrained = [...rows.lobe, ...rows.nulls];
  const k = constrained.length;
  const eps = 1 - Math.pow(10, -spec.mainLobeToleranceDb / 20);
  const nu = Math.pow(10, -spec.nullDepthDb / 20);
  return {
    wngMin: Math.pow(10, spec.minWhiteNoiseGainDb / 10),
    use,
    constrained,
    stopband: rows.stopband,
    bin: {
      n: u,
      a0Re: new Float64Array(u),
      a0Im: new Float64Array(u),
      d0Re: 0,
      d0Im: 0,
      rows: k,
      aRe: new Float64Array(k * u),
      aIm: new Float64Array(k * u),
      isLobe: Uint8Array.from(constrained, (_, i) => (i < rows.lobe.length ? 1 : 0)),
      tolerance: Float64Array.from(constrained, (_, i) => (i < rows.lobe.length ? eps : nu)),
      effortLimit: 0,
      phase: new Float64Array(k),
      stopRows: rows.stopband.length,
      sRe: new Float64Array(rows.stopband.length * u),
      sIm: new Float64Array(rows.stopband.length * u),
      stopbandShare: spec.stopbandShare,
      effortWeight: spec.stopbandEffortWeight,
    },
  };
}

/**
 * Bin b's on-axis target d₀ (matrix mixing's on-axis response) and effort limit
 * E_max = |d₀|²/(P₀·WNG_min), P₀ the mean single-driver on-axis power over all drivers.
 */
function onAxisTarget(
  A: ComplexMatrixStack,
  mixing: ComplexMatrixStack,
  on: number,
  b: number,
  wngMin: number,
): { d0Re: number; d0Im: number; limit: number } {
  const n = A.cols, base = b * A.rows * n;
  let d0Re = 0, d0Im = 0, p0 = 0;
  for (let d = 0; d < n; d++) {
    const ar = A.re[base + on * n + d] as number, ai = A.im[base + on * n + d] as number;
    const mr = mixing.re[b * n + d] as number, mi = mixing.im[b * n + d] as number;
    d0Re += ar * mr - ai * mi;
    d0Im += ar * mi + ai * mr;
    p0 += ar * ar + ai * ai;
  }
  p0 /= n;
  const limit = p0 > 0 ? (d0Re * d0Re + d0Im * d0Im) / (p0 * wngMin) : 0;
  return { d0Re, d0Im, limit };
}

/**
 * Bin b's problem for the kernel: the beam drivers' rows of the arc (on-axis, constrained,
 * stopband) and the main lobe's starting phases from the phase family. The main-lobe magnitude
 * band is not convex: the target phases follow matrix mixing's pattern or one driver's.
 */
function binProblem(
  ctx: BinContext,
  A: ComplexMatrixStack,
  mixing: ComplexMatrixStack,
  on: number,
  family: PhaseFamily,
  b: number,
  target: { d0Re: number; d0Im: number; limit: number },
): BeamBin {
  const { use, constrained, stopband, bin } = ctx;
  const n = A.cols, u = use.length, base = b * A.rows * n;
  const { d0Re, d0Im, limit } = target;
  use.forEach((d, j) => {
    bin.a0Re[j] = A.re[base + on * n + d] as number;
    bin.a0Im[j] = A.im[base + on * n + d] as number;
  });
  constrained.forEach((r, i) => {
    use.forEach((d, j) => {
      bin.aRe[i * u + j] = A.re[base + r * n + d] as number;
      bin.aIm[i * u + j] = A.im[base + r * n + d] as number;
    });
  });
  stopband.forEach((r, i) => {
    use.forEach((d, j) => {
      bin.sRe[i * u + j] = A.re[base + r * n + d] as number;
      bin.sIm[i * u + j] = A.im[base + r * n + d] as number;
    });
  });
  const mixPhase = (r: number) => {
    let sr = 0, si = 0;
    for (let d = 0; d < n; d++) {
      const ar = A.re[base + r * n + d] as number, ai = A.im[base + r * n + d] as number;
      const mr = mixing.re[b * n + d] as number, mi = mixing.im[b * n + d] as number;
      sr += ar * mr - ai * mi;
      si += ar * mi + ai * mr;
    }
    return Math.atan2(si, sr);
  };
  const driverStart = (d: number) =>
    Float64Array.from(
      constrained,
      (r) =>
        Math.atan2(A.im[base + r * n + d] as number, A.re[base + r * n + d] as number) -
        Math.atan2(A.im[base + on * n + d] as number, A.re[base + on * n + d] as number) +
        Math.atan2(d0Im, d0Re),
    );
  const phase = family === "mixing"
    ? Float64Array.from(constrained, (r) => mixPhase(r))
    : driverStart(family);
  return { ...bin, phase, d0Re, d0Im, effortLimit: limit };
}

/**
 * Stage 3b: rank every phase family (matrix mixing's, each beam driver's) by the bins it brings
 * within the spec (ties: the lower mean t over them) on every `RANKING_STRIDE`-th bin, then solve
 * every bin with the best one.
 */
function widestFamily(
  arc: ArcTransferMatrix,
  mixing: ComplexMatrixStack,
  rows: ConstraintRows,
  spec: BeamSpec,
  metricOptions: { windowDeg: number; nullAzimuthsDeg: readonly number[] },
): {
  solved: SolvedBins;
  unblended: BeamMetrics;
  band: { lowHz: number; highHz: number } | null;
  family: PhaseFamily;
} {
  const families: PhaseFamily[] = ["mixing"];
  spec.beamDrivers.forEach((on, d) => {
    if (on === 1) families.push(d);
  });
  // Rank the families on every RANKING_STRIDE-th solvable bin, then solve every bin with the best.
  let best: ReturnType<typeof widestFamily> | undefined, bestScore = -Infinity;
  for (const family of families) {
    const solved = solveBins(
      arc,
      mixing,
      rows,
      spec,
      family,
      families.length > 1 ? RANKING_STRIDE : 1,
    );
    const unblended = beamMetrics(arc, solved.beam, metricOptions);
    const pass = binsMeetingSpec(unblended, solved.solvedBins, spec);
    const band = longestRun(arc.frequenciesHz, pass);
    // Most bins within the spec first (the band follows), then the lower mean t over them.
    let count = 0, sum = 0;
    pass.forEach((ok, b) => {
      if (ok === 1) {
        count++;
        sum += solved.t[b] as number;
      }
    });
    const score = count - (count > 0 ? 1e-3 * (sum / count) : 0);
    if (!best || score > bestScore) {
      best = { solved, unblended, band, family };
      bestScore = score;
    }
  }
  if (families.length === 1) return best!;
  const solved = solveBins(arc, mixing, rows, spec, best!.family, 1, best!.solved);
  const unblended = beamMetrics(arc, solved.beam, metricOptions);
  const band = longestRun(arc.frequenciesHz, binsMeetingSpec(unblended, solved.solvedBins, spec));
  return { solved, unblended, band, family: best!.family };
}

/** Stage 4: the bins where the optimum meets the spec on its true response. */
function binsMeetingSpec(m: BeamMetrics, solved: Uint8Array, spec: BeamSpec): Uint8Array {
  const pass = new Uint8Array(solved.length);
  for (let b = 0; b < solved.length; b++) {
    pass[b] = solved[b] === 1 &&
        (m.nullDepthDb[b] as number) >= spec.nullDepthDb &&
        (m.windowMinDb[b] as number) >= -spec.mainLobeToleranceDb &&
        (m.windowMaxDb[b] as number) <= spec.mainLobeToleranceDb &&
        (m.whiteNoiseGainDb[b] as number) >= spec.minWhiteNoiseGainDb - 1e-6
      ? 1
      : 0;
  }
  return pass;
}

/** Stage 5: the controlled band, the longest run (≥ 2 bins) of passing bins. */
function longestRun(
  f: Float64Array,
  pass: Uint8Array,
): { lowHz: number; highHz: number } | null {
  let bestStart = -1, bestLen = 0, runStart = -1;
  for (let b = 0; b <= pass.length; b++) {
    const ok = b < pass.length && pass[b] === 1;
    if (ok && runStart < 0) runStart = b;
    if (!ok && runStart >= 0) {
      if (b - runStart > bestLen) {
        bestLen = b - runStart;
        bestStart = runStart;
      }
      runStart = -1;
    }
  }
  return bestLen >= 2
    ? { lowHz: f[bestStart] as number, highHz: f[bestStart + bestLen - 1] as number }
    : null;
}

/** Stage 6: beam in band, matrix mixing outside, raised-cosine cross-fade; effort limit held. */
function crossFadeToMixing(
  f: Float64Array,
  beam: ComplexMatrixStack,
  mixing: ComplexMatrixStack,
  band: { lowHz: number; highHz: number } | null,
  spec: BeamSpec,
  effortLimit: Float64Array,
): { weights: ComplexMatrixStack; blend: Float64Array } {
  const n = beam.rows, bins = beam.bins;
  const blend = band
    ? bandMask(f, band.lowHz, band.highHz, spec.transitionOctaves)
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
  return { weights, blend };
}

/** Stage 7: the spec check per third-octave band, and what was traded where it fails. */
function bandReports(
  f: Float64Array,
  m: BeamMetrics,
  solved: SolvedBins,
  spec: BeamSpec,
): BeamBandReport[] {
  const out: BeamBandReport[] = [];
  for (let x = -30; x <= 30; x++) {
    const centerHz = 1000 * Math.pow(2, x / 3);
    const lo = centerHz * Math.pow(2, -1 / 6), hi = centerHz * Math.pow(2, 1 / 6);
    if (lo < spec.solveBandHz.lowHz || hi > spec.solveBandHz.highHz) continue;
    let dev = 0, depth = Infinity, wng = Infinity, bound = 0, count = 0;
    for (let b = 0; b < f.length; b++) {
      const hz = f[b] as number;
      if (hz < lo || hz >= hi || solved.solvedBins[b] !== 1) continue;
      dev = Math.max(dev, -(m.windowMinDb[b] as number), m.windowMaxDb[b] as number);
      depth = Math.min(depth, m.nullDepthDb[b] as number);
      wng = Math.min(wng, m.whiteNoiseGainDb[b] as number);
      bound += solved.effortBound[b] as number;
      count++;
    }
    if (count === 0) continue;
    const check = (worstDb: number, marginDb: number): ConstraintCheck => ({
      holds: marginDb >= -1e-6,
      worstDb: round2(worstDb),
      marginDb: round2(marginDb),
    });
    const mainLobe = check(dev, spec.mainLobeToleranceDb - dev);
    const nulls = check(depth, depth - spec.nullDepthDb);
    const whiteNoiseGain = check(wng, wng - spec.minWhiteNoiseGainDb);
    const controlled = mainLobe.holds && nulls.holds && whiteNoiseGain.holds;
    let traded: string | null = null;
    if (!controlled) {
      const missed = [
        nulls.holds ? "" : `nulls reach ${nulls.worstDb} dB (${-nulls.marginDb} dB short)`,
        mainLobe.holds
          ? ""
          : `main lobe spreads ±${mainLobe.worstDb} dB (${-mainLobe.marginDb} dB over)`,
      ].filter((s) => s !== "").join(", ");
      traded = 2 * bound >= count
        ? `${missed}: traded for the white-noise-gain floor of ${spec.minWhiteNoiseGainDb} dB (the effort limit binds)`
        : `${missed}: no weights meet the lobe and the nulls together here, even below the effort limit (aliasing or aperture)`;
    }
    out.push({ centerHz: round2(centerHz), mainLobe, nulls, whiteNoiseGain, controlled, traded });
  }
  return out;
}

/** Stage 8: worst null, lobe and WNG over the controlled band, DI gain over matrix mixing. */
function bandSummary(
  f: Float64Array,
  band: { lowHz: number; highHz: number } | null,
  beam: BeamMetrics,
  mix: BeamMetrics,
): {
  minNullDepthDb: number;
  worstMainLobeDeviationDb: number;
  minWhiteNoiseGainDb: number;
  directivityGainDb: number;
} {
  if (!band) {
    return {
      minNullDepthDb: NaN,
      worstMainLobeDeviationDb: NaN,
      minWhiteNoiseGainDb: NaN,
      directivityGainDb: NaN,
    };
  }
  let minNull = Infinity, worstLobe = 0, minWng = Infinity, diGain = 0, count = 0;
  for (let b = 0; b < f.length; b++) {
    const hz = f[b] as number;
    if (hz < band.lowHz || hz > band.highHz) continue;
    minNull = Math.min(minNull, beam.nullDepthDb[b] as number);
    worstLobe = Math.max(
      worstLobe,
      -(beam.windowMinDb[b] as number),
      beam.windowMaxDb[b] as number,
    );
    minWng = Math.min(minWng, beam.whiteNoiseGainDb[b] as number);
    diGain += (beam.directivityIndexDb[b] as number) - (mix.directivityIndexDb[b] as number);
    count++;
  }
  return {
    minNullDepthDb: minNull,
    worstMainLobeDeviationDb: worstLobe,
    minWhiteNoiseGainDb: minWng,
    directivityGainDb: diGain / count,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
