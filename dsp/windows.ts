/**
 * Window functions and raised-cosine fades.
 *
 * Windows come in two flavours, as in `scipy.signal.windows`:
 * - symmetric (`symmetric: true`, the default here): `w[n] = w[L-1-n]`, for
 *   FIR design and for tapering a finished response;
 * - periodic (`symmetric: false`): the first `L` samples of the symmetric
 *   window of length `L + 1`, for spectral analysis (`scipy.signal.get_window`
 *   returns this flavour by default).
 *
 * All functions return new `Float64Array`s and never write into arguments.
 *
 * References:
 * 1. F. J. Harris, "On the use of windows for harmonic analysis with the
 *    discrete Fourier transform", Proc. IEEE 66(1), 51–83, 1978.
 * 2. J. F. Kaiser, R. W. Schafer, "On the use of the I0-sinh window for
 *    spectrum analysis", IEEE Trans. ASSP 28(1), 105–107, 1980.
 *
 * @module
 */

/** Options of the window generators. */
export interface WindowOptions {
  /**
   * `true` (default) for a symmetric window (`w[n] = w[L-1-n]`), `false` for a
   * periodic one (DFT-even: the symmetric window of length `L + 1` without its
   * last sample).
   */
  readonly symmetric?: boolean;
}

function checkLength(action: string, length: number): void {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(
      `Cannot create ${action} as length must be a non-negative integer: current value is ${length}`,
    );
  }
}

/**
 * Build a window from its value on the normalized position `t = n/(M-1)` in
 * [0, 1] of a symmetric window of length M, honouring `symmetric`.
 */
function buildWindow(
  length: number,
  symmetric: boolean,
  shape: (t: number) => number,
): Float64Array {
  const w = new Float64Array(length);
  if (length === 0) return w;
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  const span = symmetric ? length - 1 : length; // M - 1 of the underlying symmetric window
  for (let n = 0; n < length; n++) w[n] = shape(n / span);
  return w;
}

/**
 * Hann window `w[n] = 0.5·(1 − cos(2πn/(M−1)))`, n = 0..M−1 [1].
 *
 * @param length Number of samples L >= 0 (M = L for symmetric, L + 1 for periodic).
 * @param options `symmetric` (default `true`).
 * @returns The window; `[1]` for length 1, empty for length 0.
 * @throws {RangeError} when `length` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { hannWindow } from "./windows.ts";
 * hannWindow(5); // [0, 0.5, 1, 0.5, 0]
 * hannWindow(4, { symmetric: false }); // [0, 0.5, 1, 0.5]
 * ```
 */
export function hannWindow(length: number, options: WindowOptions = {}): Float64Array {
  checkLength("Hann window", length);
  return buildWindow(
    length,
    options.symmetric ?? true,
    (t) => 0.5 - 0.5 * Math.cos(2 * Math.PI * t),
  );
}

/**
 * Blackman window `w[n] = 0.42 − 0.5·cos(2πn/(M−1)) + 0.08·cos(4πn/(M−1))`
 * (the "exact" three-term coefficients of [1] rounded as is customary, as
 * scipy's `blackman`). Its end samples are 0 up to round-off (≈1e-17).
 *
 * @param length Number of samples L >= 0.
 * @param options `symmetric` (default `true`).
 * @returns The window.
 * @throws {RangeError} when `length` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { blackmanWindow } from "./windows.ts";
 * blackmanWindow(3); // ≈ [0, 1, 0]
 * ```
 */
export function blackmanWindow(length: number, options: WindowOptions = {}): Float64Array {
  checkLength("Blackman window", length);
  return buildWindow(
    length,
    options.symmetric ?? true,
    (t) => 0.42 - 0.5 * Math.cos(2 * Math.PI * t) + 0.08 * Math.cos(4 * Math.PI * t),
  );
}

/**
 * Tukey (tapered cosine) window [1]: flat at 1 in the middle, with raised-
 * cosine tapers that together take the fraction `alpha` of the window.
 * With `t = n/(M−1)`:
 * `w = 0.5·(1 − cos(2πt/α))` for `t < α/2`, `w = 1` for `α/2 <= t <= 1 − α/2`,
 * and the mirror image for `t > 1 − α/2`. `alpha = 0` is rectangular,
 * `alpha = 1` is the Hann window.
 *
 * @param length Number of samples L >= 0.
 * @param alpha Taper fraction in [0, 1].
 * @param options `symmetric` (default `true`).
 * @returns The window.
 * @throws {RangeError} when `length` is not a non-negative integer or `alpha` is outside [0, 1].
 *
 * @example
 * ```ts
 * import { tukeyWindow } from "./windows.ts";
 * tukeyWindow(5, 0.5); // [0, 1, 1, 1, 0]
 * ```
 */
export function tukeyWindow(
  length: number,
  alpha: number,
  options: WindowOptions = {},
): Float64Array {
  checkLength("Tukey window", length);
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new RangeError(
      `Cannot create Tukey window as alpha must be in [0, 1]: current value is ${alpha}`,
    );
  }
  if (alpha === 0) {
    const w = new Float64Array(length);
    w.fill(1);
    return w;
  }
  return buildWindow(length, options.symmetric ?? true, (t) => {
    const edge = Math.min(t, 1 - t); // distance to the nearer end, in [0, 0.5]
    if (edge >= alpha / 2) return 1;
    return 0.5 - 0.5 * Math.cos((2 * Math.PI * edge) / alpha);
  });
}

/**
 * Modified Bessel function of the first kind, order 0, by its power series
 * `I0(x) = Σ_k ((x/2)^k / k!)²`, summed until a term falls below 1e-17 of the
 * sum (relative accuracy ≈ 1e-16 for |x| <= 50).
 *
 * @param x Argument (finite).
 * @returns I0(x) >= 1.
 *
 * @example
 * ```ts
 * import { besselI0 } from "./windows.ts";
 * besselI0(0); // 1
 * ```
 */
export function besselI0(x: number): number {
  const q = (x / 2) ** 2;
  let sum = 1, term = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

/**
 * Kaiser window [2] `w[n] = I0(β·√(1 − (2n/(M−1) − 1)²)) / I0(β)`, n = 0..M−1
 * (`scipy.signal.windows.kaiser`). β trades main-lobe width for side-lobe
 * level: about 0.1102·(A − 8.7) for a filter stop band of A dB (A > 50).
 *
 * @param length Number of samples L >= 0.
 * @param beta Shape β >= 0 (0 is rectangular).
 * @param options `symmetric` (default `true`).
 * @returns The window.
 * @throws {RangeError} when `length` is not a non-negative integer or `beta` is negative or not finite.
 *
 * @example
 * ```ts
 * import { kaiserWindow } from "./windows.ts";
 * kaiserWindow(3, 0); // [1, 1, 1]
 * ```
 */
export function kaiserWindow(
  length: number,
  beta: number,
  options: WindowOptions = {},
): Float64Array {
  checkLength("Kaiser window", length);
  if (!(beta >= 0 && Number.isFinite(beta))) {
    throw new RangeError(
      `Cannot create Kaiser window as beta must be a finite number >= 0: current value is ${beta}`,
    );
  }
  const norm = besselI0(beta);
  return buildWindow(length, options.symmetric ?? true, (t) => {
    const u = 2 * t - 1;
    return besselI0(beta * Math.sqrt(Math.max(0, 1 - u * u))) / norm;
  });
}

/**
 * Element-wise product `y[n] = x[n]·w[n]`.
 *
 * @param x Signal samples.
 * @param window Window of the same length.
 * @returns A new array.
 * @throws {RangeError} when the lengths differ.
 *
 * @example
 * ```ts
 * import { applyWindow, hannWindow } from "./windows.ts";
 * applyWindow([1, 1, 1], hannWindow(3)); // [0, 1, 0]
 * ```
 */
export function applyWindow(x: ArrayLike<number>, window: ArrayLike<number>): Float64Array {
  if (x.length !== window.length) {
    throw new RangeError(
      `Cannot apply window as window length must equal signal length: window has ${window.length} samples, signal has ${x.length}`,
    );
  }
  const y = new Float64Array(x.length);
  for (let n = 0; n < x.length; n++) y[n] = (x[n] as number) * (window[n] as number);
  return y;
}

function checkFade(action: string, x: ArrayLike<number>, samples: number): void {
  if (!Number.isInteger(samples) || samples < 0 || samples > x.length) {
    throw new RangeError(
      `Cannot ${action} as samples must be an integer in [0, ${x.length}] (the signal length): current value is ${samples}`,
    );
  }
}

/**
 * Raised-cosine fade-in over the first `samples` samples:
 * `y[n] = x[n]·0.5·(1 − cos(πn/S))` for `n < S`, `y[n] = x[n]` after. The
 * gain is 0 at n = 0 and would reach 1 at n = S (the rising half of a
 * periodic Hann window of length 2S).
 *
 * @param x Signal samples (not modified).
 * @param samples Fade length S, an integer in [0, x.length].
 * @returns A faded copy.
 * @throws {RangeError} when `samples` is not an integer in [0, x.length].
 *
 * @example
 * ```ts
 * import { fadeIn } from "./windows.ts";
 * fadeIn([1, 1, 1, 1], 2); // [0, 0.5, 1, 1]
 * ```
 */
export function fadeIn(x: ArrayLike<number>, samples: number): Float64Array {
  checkFade("fade in", x, samples);
  const y = Float64Array.from(x);
  for (let n = 0; n < samples; n++) y[n]! *= 0.5 - 0.5 * Math.cos((Math.PI * n) / samples);
  return y;
}

/**
 * Raised-cosine fade-out over the last `samples` samples, the mirror image of
 * {@linkcode fadeIn}: the last sample gets gain 0.
 *
 * @param x Signal samples (not modified).
 * @param samples Fade length S, an integer in [0, x.length].
 * @returns A faded copy.
 * @throws {RangeError} when `samples` is not an integer in [0, x.length].
 *
 * @example
 * ```ts
 * import { fadeOut } from "./windows.ts";
 * fadeOut([1, 1, 1, 1], 2); // [1, 1, 0.5, 0]
 * ```
 */
export function fadeOut(x: ArrayLike<number>, samples: number): Float64Array {
  checkFade("fade out", x, samples);
  const y = Float64Array.from(x);
  const last = x.length - 1;
  for (let n = 0; n < samples; n++) {
    y[last - n]! *= 0.5 - 0.5 * Math.cos((Math.PI * n) / samples);
  }
  return y;
}
