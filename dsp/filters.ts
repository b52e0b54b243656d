/**
 * IIR filters: second-order sections (biquads) from the Audio EQ Cookbook
 * [1], their frequency response, and a direct-form II transposed filter
 * (`lfilter`, the difference equation of `scipy.signal.lfilter`).
 *
 * Coefficients are normalized so that a0 = 1:
 * `y[n] = b0·x[n] + b1·x[n−1] + b2·x[n−2] − a1·y[n−1] − a2·y[n−2]`,
 * `H(z) = (b0 + b1·z⁻¹ + b2·z⁻²) / (1 + a1·z⁻¹ + a2·z⁻²)`.
 *
 * Every cookbook design is the bilinear transform of an analog prototype
 * with its characteristic frequency pre-warped to `frequencyHz`, so it holds
 * its gain at `frequencyHz` exactly (e.g. −3.01 dB for the Q = 1/√2 low-pass,
 * `gainDb` at the centre of a peaking filter).
 *
 * References:
 * 1. R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter
 *    coefficients" (Audio EQ Cookbook), W3C Audio Working Group note, 2005/2021.
 * 2. A. V. Oppenheim, R. W. Schafer, "Discrete-Time Signal Processing", 3rd ed.,
 *    Pearson, 2010, sec. 6.5 (transposed direct form II).
 *
 * @module
 */
import type { Spectrum } from "./fft.ts";

/** Biquad coefficients with a0 normalized to 1. */
export interface Biquad {
  /** Feed-forward coefficient of x[n]. */
  readonly b0: number;
  /** Feed-forward coefficient of x[n−1]. */
  readonly b1: number;
  /** Feed-forward coefficient of x[n−2]. */
  readonly b2: number;
  /** Feedback coefficient of y[n−1], entering as `− a1·y[n−1]`. */
  readonly a1: number;
  /** Feedback coefficient of y[n−2], entering as `− a2·y[n−2]`. */
  readonly a2: number;
}

/** Filter shapes of the Audio EQ Cookbook implemented here. */
export type BiquadType = "lowpass" | "highpass" | "peaking" | "lowshelf" | "highshelf";

/** Specification of {@linkcode designBiquad}. */
export interface BiquadSpec {
  /** Filter shape. */
  readonly type: BiquadType;
  /** Cut-off (−3.01 dB at Q = 1/√2), centre or shelf mid-point frequency in Hz, in (0, sampleRate/2). */
  readonly frequencyHz: number;
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /**
   * Quality factor Q > 0 (default 1/√2: Butterworth for low/high-pass, the
   * steepest shelf without overshoot, slope S = 1). For peaking filters the
   * bandwidth between the points at half the dB gain is about f0/Q.
   */
  readonly q?: number;
  /** Gain in dB for `peaking`, `lowshelf`, `highshelf` (default 0); ignored otherwise. */
  readonly gainDb?: number;
}

const TYPES: readonly string[] = ["lowpass", "highpass", "peaking", "lowshelf", "highshelf"];

/**
 * Design a biquad from the Audio EQ Cookbook [1]. With `w0 = 2π·f0/fs`,
 * `α = sin(w0)/(2Q)` and `A = 10^(gainDb/40)`:
 * - lowpass: `b = [(1 − cos w0)/2, 1 − cos w0, (1 − cos w0)/2]`, `a = [1 + α, −2cos w0, 1 − α]`;
 * - highpass: `b = [(1 + cos w0)/2, −(1 + cos w0), (1 + cos w0)/2]`, same a;
 * - peaking: `b = [1 + αA, −2cos w0, 1 − αA]`, `a = [1 + α/A, −2cos w0, 1 − α/A]`;
 * - low/high shelf: the cookbook's shelf formulas with `2√A·α`;
 *
 * all divided by a0. Shelves reach `gainDb` at DC (low) or fs/2 (high) and
 * `gainDb/2` at f0.
 *
 * @param spec `type`, `frequencyHz`, `sampleRate`, `q` (default 1/√2), `gainDb` (default 0).
 * @returns The normalized coefficients.
 * @throws {RangeError} for an unknown type, a non-positive sample rate, `frequencyHz` outside
 *   (0, sampleRate/2), a non-positive `q` or a non-finite `gainDb`.
 *
 * @example
 * ```ts
 * import { biquadResponse, designBiquad } from "./filters.ts";
 * const eq = designBiquad({ type: "peaking", frequencyHz: 1000, sampleRate: 48000, q: 2, gainDb: 6 });
 * const H = biquadResponse(eq, [1000], 48000);
 * Math.hypot(H.re[0]!, H.im[0]!); // ≈ 1.995 (+6 dB)
 * ```
 */
export function designBiquad(spec: BiquadSpec): Biquad {
  const { type, frequencyHz, sampleRate } = spec;
  const q = spec.q ?? Math.SQRT1_2;
  const gainDb = spec.gainDb ?? 0;
  if (!TYPES.includes(type)) {
    throw new RangeError(
      `Cannot design biquad as type must be one of ${TYPES.join(", ")}: current value is ${type}`,
    );
  }
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) {
    throw new RangeError(
      `Cannot design biquad as sampleRate must be a positive number of Hz: current value is ${sampleRate}`,
    );
  }
  if (!(frequencyHz > 0 && frequencyHz < sampleRate / 2)) {
    throw new RangeError(
      `Cannot design biquad as frequencyHz must be in (0, sampleRate/2 = ${
        sampleRate / 2
      }) Hz: current value is ${frequencyHz}`,
    );
  }
  if (!(q > 0) || !Number.isFinite(q)) {
    throw new RangeError(
      `Cannot design biquad as q must be a positive number: current value is ${q}`,
    );
  }
  if (!Number.isFinite(gainDb)) {
    throw new RangeError(
      `Cannot design biquad as gainDb must be a finite number: current value is ${gainDb}`,
    );
  }
  const w0 = (2 * Math.PI * frequencyHz) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const A = Math.pow(10, gainDb / 40);
  let b0: number, b1: number, b2: number, a0: number, a1: number, a2: number;
  switch (type as BiquadType) {
    case "lowpass":
      b0 = b2 = (1 - cos) / 2;
      b1 = 1 - cos;
      a0 = 1 + alpha;
      a1 = -2 * cos;
      a2 = 1 - alpha;
      break;
    case "highpass":
      b0 = b2 = (1 + cos) / 2;
      b1 = -(1 + cos);
      a0 = 1 + alpha;
      a1 = -2 * cos;
      a2 = 1 - alpha;
      break;
    case "peaking":
      b0 = 1 + alpha * A;
      b1 = -2 * cos;
      b2 = 1 - alpha * A;
      a0 = 1 + alpha / A;
      a1 = -2 * cos;
      a2 = 1 - alpha / A;
      break;
    case "lowshelf": {
      const s = 2 * Math.sqrt(A) * alpha;
      b0 = A * ((A + 1) - (A - 1) * cos + s);
      b1 = 2 * A * ((A - 1) - (A + 1) * cos);
      b2 = A * ((A + 1) - (A - 1) * cos - s);
      a0 = (A + 1) + (A - 1) * cos + s;
      a1 = -2 * ((A - 1) + (A + 1) * cos);
      a2 = (A + 1) + (A - 1) * cos - s;
      break;
    }
    case "highshelf": {
      const s = 2 * Math.sqrt(A) * alpha;
      b0 = A * ((A + 1) + (A - 1) * cos + s);
      b1 = -2 * A * ((A - 1) + (A + 1) * cos);
      b2 = A * ((A + 1) + (A - 1) * cos - s);
      a0 = (A + 1) - (A - 1) * cos + s;
      a1 = 2 * ((A - 1) - (A + 1) * cos);
      a2 = (A + 1) - (A - 1) * cos - s;
      break;
    }
  }
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/**
 * Frequency response `H(e^{jω}) = Σ b_k e^{−jωk} / Σ a_k e^{−jωk}`,
 * `ω = 2π·f/fs`, of a rational transfer function at arbitrary frequencies
 * (as `scipy.signal.freqz(b, a, worN=frequenciesHz, fs=sampleRate)`).
 *
 * @param b Numerator coefficients b0, b1, ... (at least one).
 * @param a Denominator coefficients a0, a1, ... (at least one, a0 ≠ 0).
 * @param frequenciesHz Frequencies in Hz.
 * @param sampleRate Sample rate in Hz.
 * @returns The complex response at each frequency.
 * @throws {RangeError} when b or a is empty, a0 is 0, or the sample rate is not positive.
 *
 * @example
 * ```ts
 * import { frequencyResponse } from "./filters.ts";
 * frequencyResponse([0.5, 0.5], [1], [0, 12000], 48000); // |H| = 1 at DC, 1/√2 at fs/4
 * ```
 */
export function frequencyResponse(
  b: ArrayLike<number>,
  a: ArrayLike<number>,
  frequenciesHz: ArrayLike<number>,
  sampleRate: number,
): Spectrum {
  checkPolynomials("compute frequency response", b, a);
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) {
    throw new RangeError(
      `Cannot compute frequency response as sampleRate must be a positive number of Hz: current value is ${sampleRate}`,
    );
  }
  const count = frequenciesHz.length;
  const re = new Float64Array(count);
  const im = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const w = (2 * Math.PI * (frequenciesHz[i] as number)) / sampleRate;
    const [nr, ni] = polynomialAt(b, w);
    const [dr, di] = polynomialAt(a, w);
    const d = dr * dr + di * di;
    re[i] = (nr * dr + ni * di) / d;
    im[i] = (ni * dr - nr * di) / d;
  }
  return { re, im };
}

/** Σ c_k·u^k with u = e^{−jω}, by Horner's rule. */
function polynomialAt(c: ArrayLike<number>, w: number): [number, number] {
  const ur = Math.cos(w), ui = -Math.sin(w);
  let sr = c[c.length - 1] as number, si = 0;
  for (let k = c.length - 2; k >= 0; k--) {
    const tr = sr * ur - si * ui + (c[k] as number);
    si = sr * ui + si * ur;
    sr = tr;
  }
  return [sr, si];
}

/**
 * Frequency response of a biquad (or of a cascade of biquads: the product of
 * their responses) at the given frequencies.
 *
 * @param biquads One biquad or a cascade.
 * @param frequenciesHz Frequencies in Hz.
 * @param sampleRate Sample rate in Hz.
 * @returns The complex response.
 * @throws {RangeError} when the sample rate is not positive.
 *
 * @example
 * ```ts
 * import { biquadResponse, designBiquad } from "./filters.ts";
 * const lp = designBiquad({ type: "lowpass", frequencyHz: 1000, sampleRate: 48000 });
 * const H = biquadResponse(lp, [1000], 48000);
 * Math.hypot(H.re[0]!, H.im[0]!); // ≈ 0.7071 (−3.01 dB)
 * ```
 */
export function biquadResponse(
  biquads: Biquad | readonly Biquad[],
  frequenciesHz: ArrayLike<number>,
  sampleRate: number,
): Spectrum {
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) {
    throw new RangeError(
      `Cannot compute biquad response as sampleRate must be a positive number of Hz: current value is ${sampleRate}`,
    );
  }
  const sections = Array.isArray(biquads) ? biquads as readonly Biquad[] : [biquads as Biquad];
  const count = frequenciesHz.length;
  const re = new Float64Array(count).fill(1);
  const im = new Float64Array(count);
  for (const s of sections) {
    const H = frequencyResponse([s.b0, s.b1, s.b2], [1, s.a1, s.a2], frequenciesHz, sampleRate);
    for (let i = 0; i < count; i++) {
      const r = re[i]!, j = im[i]!;
      re[i] = r * H.re[i]! - j * H.im[i]!;
      im[i] = r * H.im[i]! + j * H.re[i]!;
    }
  }
  return { re, im };
}

/**
 * Filter `x` with the rational transfer function b/a in transposed direct
 * form II [2], from zero initial state; the output has the input's length.
 * Same difference equation as `scipy.signal.lfilter(b, a, x)`:
 * `a0·y[n] = Σ_k b_k·x[n−k] − Σ_{k>=1} a_k·y[n−k]`.
 *
 * @param b Numerator coefficients (at least one).
 * @param a Denominator coefficients (at least one, a0 ≠ 0; all are divided by a0).
 * @param x Input samples (not modified).
 * @returns The filtered signal.
 * @throws {RangeError} when b or a is empty or a0 is 0.
 *
 * @example
 * ```ts
 * import { lfilter } from "./filters.ts";
 * lfilter([1], [1, -0.5], [1, 0, 0]); // [1, 0.5, 0.25]
 * ```
 */
export function lfilter(
  b: ArrayLike<number>,
  a: ArrayLike<number>,
  x: ArrayLike<number>,
): Float64Array {
  checkPolynomials("run lfilter", b, a);
  const order = Math.max(b.length, a.length);
  const a0 = a[0] as number;
  const bn = new Float64Array(order);
  const an = new Float64Array(order);
  for (let k = 0; k < b.length; k++) bn[k] = (b[k] as number) / a0;
  for (let k = 0; k < a.length; k++) an[k] = (a[k] as number) / a0;
  const state = new Float64Array(order); // state[order - 1] stays 0
  const y = new Float64Array(x.length);
  const last = order - 1;
  for (let n = 0; n < x.length; n++) {
    const xn = x[n] as number;
    const yn = bn[0]! * xn + state[0]!;
    for (let k = 1; k < last; k++) state[k - 1] = bn[k]! * xn - an[k]! * yn + state[k]!;
    if (last >= 1) state[last - 1] = bn[last]! * xn - an[last]! * yn;
    y[n] = yn;
  }
  return y;
}

/**
 * Filter `x` through a cascade of biquads (each in transposed direct form II),
 * from zero initial state.
 *
 * @param biquads One biquad or a cascade, applied in order.
 * @param x Input samples (not modified).
 * @returns The filtered signal.
 *
 * @example
 * ```ts
 * import { biquadFilter, designBiquad } from "./filters.ts";
 * const hp = designBiquad({ type: "highpass", frequencyHz: 80, sampleRate: 48000 });
 * const y = biquadFilter([hp, hp], new Float64Array(480).fill(1)); // DC decays towards 0
 * ```
 */
export function biquadFilter(
  biquads: Biquad | readonly Biquad[],
  x: ArrayLike<number>,
): Float64Array {
  const sections = Array.isArray(biquads) ? biquads as readonly Biquad[] : [biquads as Biquad];
  let y = Float64Array.from(x);
  for (const s of sections) {
    const { b0, b1, b2, a1, a2 } = s;
    let z1 = 0, z2 = 0;
    const out = new Float64Array(y.length);
    for (let n = 0; n < y.length; n++) {
      const xn = y[n]!;
      const yn = b0 * xn + z1;
      z1 = b1 * xn - a1 * yn + z2;
      z2 = b2 * xn - a2 * yn;
      out[n] = yn;
    }
    y = out;
  }
  return y;
}

function checkPolynomials(action: string, b: ArrayLike<number>, a: ArrayLike<number>): void {
  if (b.length === 0 || a.length === 0) {
    throw new RangeError(
      `Cannot ${action} as b and a must each have at least one coefficient: b has ${b.length}, a has ${a.length}`,
    );
  }
  if ((a[0] as number) === 0 || !Number.isFinite(a[0] as number)) {
    throw new RangeError(
      `Cannot ${action} as a[0] must be a finite non-zero number: current value is ${a[0]}`,
    );
  }
}
