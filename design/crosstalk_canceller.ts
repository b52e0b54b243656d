/**
 * Crosstalk cancellation (two drivers) and null-steering (more drivers) with
 * a target cancellation curve, combined with the stereo virtualizer.
 *
 * Per frequency bin, with P the ear plant (2 ears × N drivers; row 0 =
 * ear-left), the driver weights W (N × 2 inputs: left, right) solve the
 * regularized problem of Kirkeby et al. [1, 2]
 *
 * ```text
 * W = argmin ‖P·W − D‖² + β(f)·‖W‖²  =  Pᴴ(P·Pᴴ + β I)⁻¹ D      (minimum norm; N ≥ 2)
 * D = G · e^{-j2πf·τ_bulk} · T · V
 * T = [[1, g], [g, 1]],  g(f) = 10^(−S(f)/20)                     (target separation S in dB)
 * V = [[V_ipsi, V_contra], [V_contra, V_ipsi]]                     (virtualizer, or I)
 * ```
 *
 * - With N = 2 this is regularized CTC; with N > 2 the minimum-norm solution
 *   is null-steering: of all weight vectors that give the desired pair of ear
 *   responses it takes the one with the least drive effort ‖w‖².
 * - Instead of maximum cancellation (g = 0), the contralateral ear is asked
 *   for g·(ipsilateral): the ipsilateral/contralateral power ratio follows a
 *   target curve S(f), so the fit does not over-fit one exact head position
 *   and the weak difference mode of a compact array is not driven harder
 *   than the target needs. Default S(f): 0 dB at ≤ 200 Hz, rising linearly in
 *   log frequency to 20 dB at 4 kHz, 20 dB above (2.7 dB at 300 Hz, 10.7 dB at
 *   1 kHz, 15.4 dB at 2 kHz).
 * - The virtualizer V (`virtualizer.ts`) then adds back the crosstalk of a
 *   stereo pair at ±θ: the CTC matrix C (P·C ≈ G·T) times V, as in the
 *   article's "CTC filters" figure. With `virtualizer: "none"` the ears get
 *   pure target-curve CTC.
 * - β(f) = β_rel(f) · P_ref with P_ref the in-band mean power of one plant
 *   entry: `inBand` (default 1e-3, −30 dB) inside [lowHz, highHz], `outOfBand`
 *   (default 1, 0 dB) beyond, log-interpolated over `transitionOctaves`. A
 *   constant β in plant units stops the inverse from boosting where the
 *   drivers have little output (below the woofer, above the tweeter) [2].
 * - τ_bulk is the plant's common propagation delay in whole samples; the
 *   per-bin weights are therefore centred on time 0 and the FIR realization
 *   (`fir.ts`) shifts them by the modelling delay (default taps/2) to make
 *   them causal. The total latency at the ears is τ_bulk + modelling delay.
 * - Several head positions: their equations are stacked (2·K rows) and solved
 *   in the least-squares sense, each position with its own bulk delay.
 *
 * References:
 * 1. O. Kirkeby, P. A. Nelson, H. Hamada, F. Orduna-Bustamante, "Fast
 *    deconvolution of multichannel systems using regularization", IEEE Trans.
 *    Speech Audio Process. 6(2), 1998.
 * 2. O. Kirkeby, P. A. Nelson, "Digital filter design for inversion problems
 *    in sound reproduction", J. Audio Eng. Soc. 47(7/8), 1999 (frequency-
 *    dependent regularization, modelling delay).
 * 3. T. Takeuchi, P. A. Nelson, "Optimal source distribution for binaural
 *    synthesis over loudspeakers", J. Acoust. Soc. Am. 112(6), 2002.
 *
 * @module
 */
import {
  type ComplexMatrixStack,
  conditionNumber,
  createComplexMatrixStack,
  minimumNormSolve,
  regularizedLeastSquares,
} from "../dsp/complex_linalg.ts";
import { bandMask } from "./_band.ts";
import { channelSeparationDb, driveEffortDb, maxGainDb } from "./metrics.ts";
import { bulkDelaySamples, type TransferMatrix } from "./transfer_matrix.ts";
import {
  designVirtualizer,
  type VirtualizerOptions,
  type VirtualizerResponses,
} from "./virtualizer.ts";
import { powerRatioDb } from "../dsp/db.ts";

/** A target separation curve rising linearly in log frequency. */
export interface TargetSeparationSpec {
  /** Below this the target is 0 dB (Hz, > 0; default 200). */
  readonly startHz: number;
  /** From here up the target is `maxDb` (Hz, > startHz; default 4000). */
  readonly endHz: number;
  /** Plateau separation in dB (≥ 0; default 20). */
  readonly maxDb: number;
}

/**
 * A target separation curve given by breakpoints: linear in dB over log
 * frequency between them, holding the first value below the first
 * breakpoint and the last above the last (add end points for ramps, e.g.
 * `500:0, 1000:25, 6000:25, 8000:0`).
 */
export interface TargetBreakpoints {
  /** Breakpoints in ascending frequency: `hz` > 0, `db` ≥ 0, at least one. */
  readonly breakpoints: readonly { readonly hz: number; readonly db: number }[];
}

/** Frequency-dependent regularization (relative to the plant's in-band entry power). */
export interface RegularizationSpec {
  /** β_rel inside [lowHz, highHz] (> 0; default 1e-3). */
  readonly inBand: number;
  /** β_rel outside the band (> 0; default 1). */
  readonly outOfBand: number;
  /** Lower band edge in Hz (default 100). */
  readonly lowHz: number;
  /** Upper band edge in Hz (default 16000). */
  readonly highHz: number;
  /** Width of the log-frequency transitions in octaves (default 1). */
  readonly transitionOctaves: number;
}

/** Default target separation curve. */
export const DEFAULT_TARGET_SEPARATION: TargetSeparationSpec = {
  startHz: 200,
  endHz: 4000,
  maxDb: 20,
};

/** Default regularization. */
export const DEFAULT_REGULARIZATION: RegularizationSpec = {
  inBand: 1e-3,
  outOfBand: 1,
  lowHz: 100,
  highHz: 16000,
  transitionOctaves: 1,
};

/** Options of {@linkcode designCrosstalkCanceller}. */
export interface CrosstalkCancellerOptions {
  /** Target separation: a curve spec, or one value in dB per bin. */
  readonly targetSeparation?: Partial<TargetSeparationSpec> | TargetBreakpoints | ArrayLike<number>;
  /** Regularization overrides. */
  readonly regularization?: Partial<RegularizationSpec>;
  /** FIR length the weights are meant for (default fftSize/2). */
  readonly taps?: number;
  /** Modelling delay in samples, 0 ≤ value < taps (default taps/2). */
  readonly modellingDelaySamples?: number;
  /** Virtual speaker pair, or "none" for pure CTC (default `{ angleDeg: 30 }`). */
  readonly virtualizer?: VirtualizerOptions | "none";
  /** Linear ear level G of the design (default: the in-band RMS of one plant entry). */
  readonly targetGain?: number;
  /** Condition number above which a warning is raised (default 1e4, 80 dB). */
  readonly conditionWarning?: number;
  /**
   * Weight of each head position's equations (one per plant, each > 0; default all 1): the rows
   * of position k are scaled by √w_k, so the fit minimizes Σ_k w_k·‖A_k·W − D_k‖² + β‖W‖²
   * (β scales with Σw). A position-uncertainty prior, e.g. Gaussian in the sideways offset.
   */
  readonly positionWeights?: readonly number[];
}

/** Result of {@linkcode designCrosstalkCanceller}. */
export interface CrosstalkCancellerDesign {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** FFT size of the design grid. */
  readonly fftSize: number;
  /** Bin frequencies in Hz. */
  readonly frequenciesHz: Float64Array;
  /** Driver weights per bin: drivers × 2 (column 0 = left input, 1 = right input). */
  readonly weights: ComplexMatrixStack;
  /** Desired ear responses at the design position: 2 ears × 2 inputs (including the bulk delay). */
  readonly desired: ComplexMatrixStack;
  /** Bulk delay removed from the design, per position, in samples. */
  readonly bulkDelaySamples: readonly number[];
  /** Modelling delay the FIR realization must apply, in samples. */
  readonly modellingDelaySamples: number;
  /** FIR length the design is meant for. */
  readonly taps: number;
  /** Absolute regularization β per bin. */
  readonly beta: Float64Array;
  /** Target separation S(f) in dB per bin. */
  readonly targetSeparationDb: Float64Array;
  /** Metrics the design predicts on its own plant(s). */
  readonly predicted: {
    /** separationDb[position][input][bin], achieved. */
    readonly separationDb: readonly (readonly Float64Array[])[];
    /** Separation of the desired ear responses per input (= the target curve without virtualizer). */
    readonly desiredSeparationDb: readonly Float64Array[];
    /** ‖w‖² per input in dB. */
    readonly driveEffortDb: readonly Float64Array[];
    /** Largest |w| over bins, drivers and inputs, dB. */
    readonly maxGainDb: number;
    /** Per-bin condition number of the design-position plant. */
    readonly conditionNumber: Float64Array;
  };
  /** Every parameter the design used (for a bundle's `design` field). */
  readonly parameters: Record<string, unknown>;
  /** Conditions that may make the design unreliable. */
  readonly warnings: string[];
}

/**
 * Target separation S(f) in dB per bin: 0 below `startHz`, `maxDb` above
 * `endHz`, linear in log frequency between; or the curve through
 * breakpoints ({@linkcode TargetBreakpoints}).
 *
 * @param frequenciesHz Bin frequencies in Hz.
 * @param spec Curve parameters (defaults {@linkcode DEFAULT_TARGET_SEPARATION}) or breakpoints.
 * @throws {RangeError} for an empty, unsorted or out-of-range breakpoint list.
 */
export function targetSeparationCurve(
  frequenciesHz: ArrayLike<number>,
  spec: Partial<TargetSeparationSpec> | TargetBreakpoints = {},
): Float64Array {
  if ("breakpoints" in spec) return breakpointCurve(frequenciesHz, spec.breakpoints);
  const { startHz, endHz, maxDb } = { ...DEFAULT_TARGET_SEPARATION, ...spec };
  if (!(startHz > 0) || !(endHz > startHz) || !(maxDb >= 0) || !Number.isFinite(maxDb + endHz)) {
    throw new RangeError(
      `Cannot build target separation as it needs 0 < startHz < endHz and maxDb >= 0: current values are ${startHz}, ${endHz}, ${maxDb}`,
    );
  }
  const out = new Float64Array(frequenciesHz.length);
  for (let k = 0; k < out.length; k++) {
    const f = frequenciesHz[k] as number;
    const x = f <= startHz ? 0 : Math.min(1, Math.log(f / startHz) / Math.log(endHz / startHz));
    out[k] = maxDb * x;
  }
  return out;
}

/** The desired ear responses T·V per bin, before the bulk delay and gain (see the module doc). */
export interface DesiredEarResponses {
  /** Diagonal of T·V (each input at its own ear): V_i + g·V_c. */
  readonly ipsilateral: { readonly re: Float64Array; readonly im: Float64Array };
  /** Off-diagonal of T·V (each input at the other ear): g·V_i + V_c. */
  readonly contralateral: { readonly re: Float64Array; readonly im: Float64Array };
}

/**
 * The desired ear responses of the left/right design, T·V with T = [[1, g], [g, 1]],
 * g = 10^(−S/20) for the target separation S, and V the virtualizer's responses (identity
 * without one). The one definition the design (D = G·e^{−j2πfτ}·T·V) and the evaluation's
 * desired separation both use.
 *
 * @param targetSeparationDb Target separation S per bin in dB ({@linkcode targetSeparationCurve}).
 * @param virtualizer The virtualizer's responses on the same grid, or undefined for none.
 * @returns Ipsilateral and contralateral responses per bin.
 *
 * @example
 * ```ts
 * import { desiredEarResponses } from "./crosstalk_canceller.ts";
 * const d = desiredEarResponses(Float64Array.of(0, 20));
 * console.log(d.contralateral.re); // [1, 0.1]
 * ```
 */
export function desiredEarResponses(
  targetSeparationDb: Float64Array,
  virtualizer?: VirtualizerResponses,
): DesiredEarResponses {
  const bins = targetSeparationDb.length, v = virtualizer;
  const ipsilateral = { re: new Float64Array(bins), im: new Float64Array(bins) };
  const contralateral = { re: new Float64Array(bins), im: new Float64Array(bins) };
  for (let b = 0; b < bins; b++) {
    const g = Math.pow(10, -(targetSeparationDb[b] as number) / 20);
    const viR = v ? v.ipsilateral.re[b] as number : 1, viI = v ? v.ipsilateral.im[b] as number : 0;
    const vcR = v ? v.contralateral.re[b] as number : 0;
    const vcI = v ? v.contralateral.im[b] as number : 0;
    ipsilateral.re[b] = viR + g * vcR;
    ipsilateral.im[b] = viI + g * vcI;
    contralateral.re[b] = g * viR + vcR;
    contralateral.im[b] = g * viI + vcI;
  }
  return { ipsilateral, contralateral };
}

/**
 * Relative regularization shape β_rel(f): `inBand` in the band, `outOfBand`
 * outside, interpolated in log β over the transitions.
 */
export function regularizationShape(
  frequenciesHz: ArrayLike<number>,
  spec: Partial<RegularizationSpec> = {},
): Float64Array {
  const r = { ...DEFAULT_REGULARIZATION, ...spec };
  if (
    !(r.inBand > 0) || !(r.outOfBand > 0) || !(r.lowHz >= 0) || !(r.highHz > r.lowHz) ||
    !(r.transitionOctaves >= 0) || !Number.isFinite(r.inBand * r.outOfBand * r.highHz)
  ) {
    throw new RangeError(
      `Cannot build regularization as it needs inBand > 0, outOfBand > 0, 0 <= lowHz < highHz and transitionOctaves >= 0: current values are ${r.inBand}, ${r.outOfBand}, ${r.lowHz}, ${r.highHz}, ${r.transitionOctaves}`,
    );
  }
  const m = bandMask(frequenciesHz, r.lowHz, r.highHz, r.transitionOctaves);
  const out = new Float64Array(m.length);
  const li = Math.log(r.inBand), lo = Math.log(r.outOfBand);
  for (let k = 0; k < out.length; k++) {
    const w = m[k] as number;
    out[k] = Math.exp(lo + (li - lo) * w);
  }
  return out;
}

/**
 * Design CTC / null-steering filters with a target cancellation curve and the
 * stereo virtualizer, per frequency bin (see the module documentation for the
 * equations).
 *
 * @param plants Ear transfer matrix (2 × drivers, row 0 = ear-left), or several head positions on
 *   one grid; the first is the design position.
 * @param options Target curve, regularization, delays, virtualizer, gain.
 * @returns Per-bin weights (drivers × [left, right]), predicted metrics and warnings.
 * @throws {RangeError} for an empty list, a plant without 2 rows or with < 2 drivers, plants on
 *   different grids or driver counts, an all-zero or non-finite plant, or bad options.
 *
 * @example
 * ```ts
 * import { createComplexMatrixStack } from "../dsp/complex_linalg.ts";
 * import { createTransferMatrix } from "./transfer_matrix.ts";
 * import { designCrosstalkCanceller } from "./crosstalk_canceller.ts";
 * const bins = 33;
 * const P = createComplexMatrixStack(2, 2, bins);
 * for (let b = 0; b < bins; b++) {
 *   P.re[b * 4] = 1; P.re[b * 4 + 1] = 0.5; P.re[b * 4 + 2] = 0.5; P.re[b * 4 + 3] = 1;
 * }
 * const ctc = designCrosstalkCanceller(createTransferMatrix(P, { sampleRate: 48000, fftSize: 64 }));
 * console.log(ctc.weights.rows, ctc.weights.cols); // 2 2
 * ```
 */
export function designCrosstalkCanceller(
  plants: TransferMatrix | readonly TransferMatrix[],
  options: CrosstalkCancellerOptions = {},
): CrosstalkCancellerDesign {
  const list: readonly TransferMatrix[] = Array.isArray(plants)
    ? plants as readonly TransferMatrix[]
    : [plants as TransferMatrix];
  const first = checkPlants(list);
  const { fftSize, sampleRate, frequenciesHz } = first;
  const drivers = first.matrix.cols;
  const { taps, modellingDelaySamples } = filterLength(options, fftSize);
  const reg = { ...DEFAULT_REGULARIZATION, ...options.regularization };
  const target = targetCurve(CTC_ACTION, frequenciesHz, options.targetSeparation);
  const pRef = referencePower(list, reg);
  const { gain, weightsK, beta } = problemScale(list, options, reg, pRef);
  const v = options.virtualizer === "none"
    ? undefined
    : designVirtualizer({ fftSize, sampleRate }, options.virtualizer ?? {});
  const { A, D, desired, bulk } = stackedProblem(
    list,
    weightsK,
    desiredEarResponses(target, v),
    gain,
  );
  // [1, eq. 9]: minimum-norm form when the stacked plant is wide, normal equations when tall.
  const weights = A.rows <= drivers
    ? minimumNormSolve(A, D, beta)
    : regularizedLeastSquares(A, D, beta);
  const positions = list.length;
  const separation = list.map((p) => channelSeparationDb(p.matrix, weights));
  const desiredSeparation = desiredSeparationDb(desired);
  const cond = conditionNumber(first.matrix);
  const warnings: string[] = [];
  const conditionWarning = options.conditionWarning ?? 1e4;
  warnIllConditioned(warnings, cond, frequenciesHz, reg.lowHz, reg.highHz, conditionWarning);
  warnTargetMissed(warnings, separation[0]!, desiredSeparation, frequenciesHz);

  return {
    sampleRate,
    fftSize,
    frequenciesHz,
    weights,
    desired,
    bulkDelaySamples: bulk,
    modellingDelaySamples,
    taps,
    beta,
    targetSeparationDb: target,
    predicted: {
      separationDb: separation,
      desiredSeparationDb: desiredSeparation,
      driveEffortDb: [driveEffortDb(weights, 0), driveEffortDb(weights, 1)],
      maxGainDb: maxGainDb(weights),
      conditionNumber: cond,
    },
    parameters: {
      method: drivers === 2 ? "crosstalk-cancellation" : "null-steering",
      drivers,
      positions,
      ...(options.positionWeights ? { positionWeights: [...options.positionWeights] } : {}),
      taps,
      modellingDelaySamples,
      bulkDelaySamples: bulk,
      targetGain: gain,
      referencePower: pRef,
      targetSeparation: isArrayLike(options.targetSeparation)
        ? "per-bin"
        : options.targetSeparation && "breakpoints" in options.targetSeparation
        ? { breakpoints: options.targetSeparation.breakpoints.map((p) => ({ ...p })) }
        : { ...DEFAULT_TARGET_SEPARATION, ...options.targetSeparation },
      regularization: reg,
      virtualizer: v ? v.parameters : "none",
    },
    warnings,
  };
}

const CTC_ACTION = "design crosstalk canceller";

/** Stage 1: every position a finite 2 × drivers plant on one grid, at least 2 drivers. */
function checkPlants(list: readonly TransferMatrix[]): TransferMatrix {
  const action = CTC_ACTION;
  const first = list[0];
  if (first === undefined) {
    throw new RangeError(`Cannot ${action} as plants must hold at least one position: got 0`);
  }
  const { fftSize, sampleRate } = first;
  const drivers = first.matrix.cols, bins = first.matrix.bins;
  list.forEach((p, i) => {
    if (p.matrix.rows !== 2) {
      throw new RangeError(
        `Cannot ${action} as each plant must have 2 rows (ear-left, ear-right): position ${i} has ${p.matrix.rows}`,
      );
    }
    if (p.fftSize !== fftSize || p.sampleRate !== sampleRate || p.matrix.bins !== bins) {
      throw new RangeError(
        `Cannot ${action} as all positions must share one frequency grid: position 0 has fftSize ${fftSize} at ${sampleRate} Hz, position ${i} has fftSize ${p.fftSize} at ${p.sampleRate} Hz`,
      );
    }
    if (p.matrix.cols !== drivers) {
      throw new RangeError(
        `Cannot ${action} as all positions must have the same drivers: position 0 has ${drivers}, position ${i} has ${p.matrix.cols}`,
      );
    }
    for (let j = 0; j < p.matrix.re.length; j++) {
      if (
        !Number.isFinite(p.matrix.re[j] as number) || !Number.isFinite(p.matrix.im[j] as number)
      ) {
        throw new RangeError(
          `Cannot ${action} as the plant must be finite: position ${i} bin ${
            Math.floor(j / (2 * drivers))
          } has ${p.matrix.re[j]} + ${p.matrix.im[j]}j`,
        );
      }
    }
  });
  if (drivers < 2) {
    throw new RangeError(
      `Cannot ${action} as the plant needs at least 2 drivers: current value is ${drivers}`,
    );
  }
  if (drivers < 2) {
    throw new RangeError(
      `Cannot ${action} as the plant needs at least 2 drivers: current value is ${drivers}`,
    );
  }
  return first;
}

/** Stage 2: the FIR length and modelling delay (defaults fftSize/2 and taps/2). */
function filterLength(
  options: CrosstalkCancellerOptions,
  fftSize: number,
): { taps: number; modellingDelaySamples: number } {
  const action = CTC_ACTION;
  const taps = options.taps ?? fftSize / 2;
  if (!Number.isInteger(taps) || taps < 2 || taps > fftSize) {
    throw new RangeError(
      `Cannot ${action} as taps must be an integer within 2..fftSize (${fftSize}): current value is ${taps}`,
    );
  }
  const modellingDelaySamples = options.modellingDelaySamples ?? Math.floor(taps / 2);
  if (
    !Number.isInteger(modellingDelaySamples) || modellingDelaySamples < 0 ||
    modellingDelaySamples >= taps
  ) {
    throw new RangeError(
      `Cannot ${action} as modellingDelaySamples must be an integer within 0..taps-1 (${
        taps - 1
      }): current value is ${modellingDelaySamples}`,
    );
  }
  return { taps, modellingDelaySamples };
}

/** Stage 3: the reference power, mean |P_ij|² over the in-band bins of every position. */
function referencePower(
  list: readonly TransferMatrix[],
  reg: RegularizationSpec,
): number {
  const action = CTC_ACTION;
  const first = list[0]!;
  const { frequenciesHz } = first;
  const drivers = first.matrix.cols, bins = first.matrix.bins;
  let pRef = 0, count = 0;
  for (const p of list) {
    for (let b = 0; b < bins; b++) {
      const f = frequenciesHz[b] as number;
      if (f < reg.lowHz || f > reg.highHz) continue;
      for (let j = 0; j < 2 * drivers; j++) {
        const i = b * 2 * drivers + j;
        pRef += (p.matrix.re[i] as number) ** 2 + (p.matrix.im[i] as number) ** 2;
        count++;
      }
    }
  }
  pRef = count > 0 ? pRef / count : 0;
  if (!(pRef > 0)) {
    throw new RangeError(
      `Cannot ${action} as the plant must not be all zero between ${reg.lowHz} and ${reg.highHz} Hz: its mean entry power there is ${pRef}`,
    );
  }
  return pRef;
}

/** Stage 4: the target gain G, the position weights and β(f) = β_rel(f)·P_ref·Σ weights. */
function problemScale(
  list: readonly TransferMatrix[],
  options: CrosstalkCancellerOptions,
  reg: RegularizationSpec,
  pRef: number,
): { gain: number; weightsK: readonly number[]; beta: Float64Array } {
  const action = CTC_ACTION;
  const bins = list[0]!.matrix.bins;
  const betaRel = regularizationShape(list[0]!.frequenciesHz, reg);
  const gain = options.targetGain ?? Math.sqrt(pRef);
  if (!(gain > 0) || !Number.isFinite(gain)) {
    throw new RangeError(`Cannot ${action} as targetGain must be > 0: current value is ${gain}`);
  }
  const positions = list.length;
  const weightsK = options.positionWeights ?? list.map(() => 1);
  if (
    weightsK.length !== positions || weightsK.some((w) => !(w > 0) || !Number.isFinite(w))
  ) {
    throw new RangeError(
      `Cannot ${action} as positionWeights must hold one number > 0 per position (${positions}): current value is [${
        weightsK.join(", ")
      }]`,
    );
  }
  const weightSum = weightsK.reduce((a, w) => a + w, 0);
  const beta = new Float64Array(bins);
  for (let b = 0; b < bins; b++) beta[b] = (betaRel[b] as number) * pRef * weightSum;

  return { gain, weightsK, beta };
}

/**
 * Stage 5: the stacked plant A (rows 2k, 2k+1 = position k, weighted by √w_k) and desired
 * responses D = G·e^{−j2πfτ_k}·T·V, and the desired pair at the first position.
 */
function stackedProblem(
  list: readonly TransferMatrix[],
  weightsK: readonly number[],
  tv: DesiredEarResponses,
  gain: number,
): {
  A: ComplexMatrixStack;
  D: ComplexMatrixStack;
  desired: ComplexMatrixStack;
  bulk: number[];
} {
  const first = list[0]!;
  const { fftSize } = first;
  const drivers = first.matrix.cols, bins = first.matrix.bins, positions = list.length;
  const rows = 2 * positions;
  const A = createComplexMatrixStack(rows, drivers, bins);
  const D = createComplexMatrixStack(rows, 2, bins);
  const bulk = list.map((p) => bulkDelaySamples(p));
  const desired = createComplexMatrixStack(2, 2, bins);
  for (let b = 0; b < bins; b++) {
    // T·V: diagonal (ipsilateral) = Vi + g·Vc, off-diagonal (contralateral) = g·Vi + Vc.
    const ipR = tv.ipsilateral.re[b]!, ipI = tv.ipsilateral.im[b]!;
    const coR = tv.contralateral.re[b]!, coI = tv.contralateral.im[b]!;
    const w = (2 * Math.PI * b) / fftSize;
    for (let k = 0; k < positions; k++) {
      const p = list[k]!.matrix, sw = Math.sqrt(weightsK[k]!);
      const at = (b * rows + 2 * k) * drivers;
      for (let j = 0; j < 2 * drivers; j++) {
        A.re[at + j] = sw * (p.re[b * 2 * drivers + j] as number);
        A.im[at + j] = sw * (p.im[b * 2 * drivers + j] as number);
      }
      const dr = sw * gain * Math.cos(w * bulk[k]!), di = -sw * gain * Math.sin(w * bulk[k]!);
      const ipsR = dr * ipR - di * ipI, ipsI = dr * ipI + di * ipR;
      const conR = dr * coR - di * coI, conI = dr * coI + di * coR;
      const base = b * rows * 2 + 2 * k * 2; // rows (2k, 2k+1) × cols (0, 1)
      D.re[base] = ipsR;
      D.im[base] = ipsI;
      D.re[base + 1] = conR;
      D.im[base + 1] = conI;
      D.re[base + 2] = conR;
      D.im[base + 2] = conI;
      D.re[base + 3] = ipsR;
      D.im[base + 3] = ipsI;
      if (k === 0) {
        for (let j = 0; j < 4; j++) {
          desired.re[b * 4 + j] = (D.re[base + j] as number) / sw;
          desired.im[b * 4 + j] = (D.im[base + j] as number) / sw;
        }
      }
    }
  }
  return { A, D, desired, bulk };
}

function breakpointCurve(
  frequenciesHz: ArrayLike<number>,
  points: TargetBreakpoints["breakpoints"],
): Float64Array {
  const bad = points.findIndex((p, i) =>
    !(p.hz > 0) || !Number.isFinite(p.hz) || !(p.db >= 0) || !Number.isFinite(p.db) ||
    (i > 0 && !(p.hz > points[i - 1]!.hz))
  );
  if (points.length === 0 || bad >= 0) {
    throw new RangeError(
      `Cannot build target separation as breakpoints must be ascending Hz > 0 with dB >= 0: current value is ${
        points.map((p) => `${p.hz}:${p.db}`).join(",") || "(none)"
      }`,
    );
  }
  const out = new Float64Array(frequenciesHz.length);
  for (let k = 0; k < out.length; k++) {
    const f = frequenciesHz[k] as number;
    let i = 0;
    while (i < points.length && points[i]!.hz < f) i++;
    if (i === 0) out[k] = points[0]!.db;
    else if (i === points.length) out[k] = points[points.length - 1]!.db;
    else {
      const a = points[i - 1]!, b = points[i]!;
      out[k] = a.db + ((b.db - a.db) * Math.log(f / a.hz)) / Math.log(b.hz / a.hz);
    }
  }
  return out;
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return typeof x === "object" && x !== null && "length" in x;
}

function targetCurve(
  action: string,
  frequenciesHz: Float64Array,
  spec: Partial<TargetSeparationSpec> | TargetBreakpoints | ArrayLike<number> | undefined,
): Float64Array {
  if (!isArrayLike(spec)) return targetSeparationCurve(frequenciesHz, spec ?? {});
  if (spec.length !== frequenciesHz.length) {
    throw new RangeError(
      `Cannot ${action} as targetSeparation must have one value per bin (${frequenciesHz.length}): current length is ${spec.length}`,
    );
  }
  const out = Float64Array.from(spec);
  const bad = out.findIndex((x) => !Number.isFinite(x) || x < 0);
  if (bad >= 0) {
    throw new RangeError(
      `Cannot ${action} as targetSeparation must be finite and >= 0 dB: bin ${bad} is ${out[bad]}`,
    );
  }
  return out;
}

function desiredSeparationDb(desired: ComplexMatrixStack): Float64Array[] {
  const out = [new Float64Array(desired.bins), new Float64Array(desired.bins)];
  for (let b = 0; b < desired.bins; b++) {
    for (let i = 0; i < 2; i++) {
      const ii = b * 4 + i * 2 + i, ci = b * 4 + (1 - i) * 2 + i;
      const pi = (desired.re[ii] as number) ** 2 + (desired.im[ii] as number) ** 2;
      const pc = (desired.re[ci] as number) ** 2 + (desired.im[ci] as number) ** 2;
      out[i]![b] = powerRatioDb(pi, pc);
    }
  }
  return out;
}

function warnIllConditioned(
  warnings: string[],
  cond: Float64Array,
  frequenciesHz: Float64Array,
  lowHz: number,
  highHz: number,
  limit: number,
): void {
  let worst = 0, worstHz = 0, n = 0, total = 0;
  for (let b = 0; b < cond.length; b++) {
    const f = frequenciesHz[b] as number;
    if (f < lowHz || f > highHz) continue;
    total++;
    const c = cond[b] as number;
    if (c > limit) {
      n++;
      if (c > worst) {
        worst = c;
        worstHz = f;
      }
    }
  }
  if (n > 0) {
    warnings.push(
      `ear plant is near-singular: condition number above ${limit} in ${n} of ${total} bins between ${lowHz} and ${highHz} Hz (worst ${
        worst.toExponential(2)
      } at ${
        worstHz.toFixed(0)
      } Hz); regularization keeps the filters finite but limits separation there`,
    );
  }
}

function warnTargetMissed(
  warnings: string[],
  separation: readonly Float64Array[],
  desired: readonly Float64Array[],
  frequenciesHz: Float64Array,
): void {
  let n = 0, total = 0, worst = 0, worstHz = 0;
  for (let b = 0; b < frequenciesHz.length; b++) {
    const f = frequenciesHz[b] as number;
    if (f < 300 || f > 6000) continue;
    total++;
    let miss = 0;
    for (let i = 0; i < 2; i++) {
      miss = Math.max(miss, Math.abs((separation[i]![b] as number) - (desired[i]![b] as number)));
    }
    if (miss > 3) {
      n++;
      if (miss > worst) {
        worst = miss;
        worstHz = f;
      }
    }
  }
  if (n > 0) {
    warnings.push(
      `predicted separation misses the desired curve by more than 3 dB in ${n} of ${total} bins between 300 and 6000 Hz (worst ${
        worst.toFixed(1)
      } dB at ${worstHz.toFixed(0)} Hz)`,
    );
  }
}
