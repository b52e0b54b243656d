/**
 * Integer and fractional delays.
 *
 * - {@linkcode delaySamples}: shift by a whole number of samples (exact).
 * - {@linkcode fractionalDelayFir}: a windowed-sinc FIR that delays by any
 *   real number of samples, band-limited (Laakso et al. [1]).
 * - {@linkcode delaySpectrum}: a linear phase ramp on a real-FFT spectrum,
 *   a *circular* delay of the underlying period.
 *
 * Convert distances with `SPEED_OF_SOUND_MPS` from `constants.ts`:
 * `delaySamples = distanceMeters / SPEED_OF_SOUND_MPS · sampleRate`.
 *
 * References:
 * 1. T. I. Laakso, V. Välimäki, M. Karjalainen, U. K. Laine, "Splitting the
 *    unit delay: tools for fractional delay filter design", IEEE Signal
 *    Processing Magazine 13(1), 30–60, 1996.
 *
 * @module
 */
import type { Spectrum } from "./fft.ts";

/** Options of {@linkcode delaySamples}. */
export interface DelaySamplesOptions {
  /**
   * Output length in samples (default `x.length + samples`, keeping every
   * input sample, or 0 if that is negative). Shorter truncates, longer pads
   * with zeros.
   */
  readonly length?: number;
}

/**
 * Delay by an integer number of samples: `y[n] = x[n − d]` (0 outside x).
 * A negative `d` advances the signal, dropping its first `|d|` samples.
 *
 * @param x Signal samples (not modified).
 * @param samples Delay d, an integer (negative advances).
 * @param options `length` of the output (default `max(0, x.length + d)`).
 * @returns The delayed copy.
 * @throws {RangeError} when `samples` is not an integer or `length` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { delaySamples } from "./delay.ts";
 * delaySamples([1, 2, 3], 2); // [0, 0, 1, 2, 3]
 * delaySamples([1, 2, 3], -1); // [2, 3]
 * delaySamples([1, 2, 3], 1, { length: 3 }); // [0, 1, 2]
 * ```
 */
export function delaySamples(
  x: ArrayLike<number>,
  samples: number,
  options: DelaySamplesOptions = {},
): Float64Array {
  if (!Number.isInteger(samples)) {
    throw new RangeError(
      `Cannot delay signal as samples must be an integer (use fractionalDelayFir for fractions): current value is ${samples}`,
    );
  }
  const length = options.length ?? Math.max(0, x.length + samples);
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(
      `Cannot delay signal as length must be a non-negative integer: current value is ${length}`,
    );
  }
  const y = new Float64Array(length);
  const start = Math.max(0, samples);
  const end = Math.min(length, x.length + samples);
  for (let n = start; n < end; n++) y[n] = x[n - samples] as number;
  return y;
}

/** Options of {@linkcode fractionalDelayFir}. */
export interface FractionalDelayFirOptions {
  /**
   * Number of non-zero coefficients (the sinc kernel length), an even number
   * >= 2 (default 32). More taps extend the flat band towards fs/2: with 32
   * taps the group delay is within 0.01 samples of the target up to about
   * 0.8·fs/2 (see the tests).
   */
  readonly taps?: number;
}

/**
 * Windowed-sinc fractional-delay FIR [1]:
 * `h[n] = sinc(n − D)·w(n − D)` with `sinc(t) = sin(πt)/(πt)` and a
 * continuous Blackman window `w(t) = 0.42 + 0.5·cos(πt/M) + 0.08·cos(2πt/M)`
 * of half-width M = taps/2 centred on D. The kernel occupies the `taps`
 * samples `n = ⌊D⌋ − M + 1 … ⌊D⌋ + M`, and the returned FIR runs from n = 0
 * to its last kernel sample (leading zeros included), so convolving with it
 * delays by D samples. An integer D gives an exact unit impulse at D.
 * The response is low-pass: near fs/2 the gain drops and the delay error
 * grows (Blackman trades a wider transition band for low leakage). So the
 * peak of the *full-band* delayed impulse sits slightly early (by 0.036
 * samples with 20 taps, 0.011 with 64); band-limited to 0.8·fs/2 it is at D
 * within 4e-4 samples.
 *
 * @param delaySamples Delay D in samples, >= taps/2 − 1 (the kernel must be causal).
 * @param options `taps` (default 32).
 * @returns The FIR, `⌊D⌋ + taps/2 + 1` samples.
 * @throws {RangeError} when `taps` is not an even integer >= 2 or D is not finite or < taps/2 − 1.
 *
 * @example
 * ```ts
 * import { fractionalDelayFir } from "./delay.ts";
 * import { fftConvolve } from "./convolve.ts";
 * const h = fractionalDelayFir(16.5); // half-sample delay plus 16 samples of latency
 * const y = fftConvolve(new Float64Array(100).fill(1), h); // y[n] ≈ 1 for 32 <= n < 100
 * ```
 */
export function fractionalDelayFir(
  delaySamples: number,
  options: FractionalDelayFirOptions = {},
): Float64Array {
  const taps = options.taps ?? 32;
  if (!Number.isInteger(taps) || taps < 2 || taps % 2 !== 0) {
    throw new RangeError(
      `Cannot design fractional-delay FIR as taps must be an even integer >= 2: current value is ${taps}`,
    );
  }
  const half = taps / 2;
  if (!Number.isFinite(delaySamples) || delaySamples < half - 1) {
    throw new RangeError(
      `Cannot design fractional-delay FIR as delaySamples must be >= taps/2 - 1 (${
        half - 1
      }) for a causal kernel: current value is ${delaySamples}`,
    );
  }
  const whole = Math.floor(delaySamples);
  const h = new Float64Array(whole + half + 1);
  if (whole === delaySamples) {
    h[whole] = 1; // sinc vanishes at the other integers: skip their sin(πn) round-off
    return h;
  }
  for (let n = whole - half + 1; n <= whole + half; n++) {
    const t = n - delaySamples;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    const a = (Math.PI * t) / half;
    const w = 0.42 + 0.5 * Math.cos(a) + 0.08 * Math.cos(2 * a); // [1]
    h[n] = sinc * w;
  }
  return h;
}

/**
 * Delay a real-FFT spectrum by a linear phase ramp:
 * `Y[k] = X[k]·e^{−j2πkD/N}` for bins k = 0..N/2 of a size-N FFT. The time
 * signal is delayed *circularly* by D samples (zero-pad first to avoid
 * wrap-around). For fractional D the Nyquist bin would become complex, which
 * a real signal cannot have; it is set to `X[N/2]·cos(πD)`, the real part of
 * the ramp, so the result stays a valid one-sided spectrum.
 *
 * @param spectrum Bins 0..N/2 (N = 2·(bins − 1), at least 3 bins).
 * @param delaySamples Delay D in samples (any finite real; negative advances).
 * @returns The delayed spectrum (new arrays).
 * @throws {RangeError} when re and im differ in length, there are fewer than 3 bins, or D is not finite.
 *
 * @example
 * ```ts
 * import { delaySpectrum } from "./delay.ts";
 * import { realFftPlan } from "./fft.ts";
 * const plan = realFftPlan(8);
 * plan.inverse(delaySpectrum(plan.forward([1]), 3)); // ≈ [0, 0, 0, 1, 0, 0, 0, 0]
 * ```
 */
export function delaySpectrum(spectrum: Spectrum, delaySamples: number): Spectrum {
  const bins = spectrum.re.length;
  if (spectrum.im.length !== bins || bins < 3) {
    throw new RangeError(
      `Cannot delay spectrum as re and im must have equal lengths >= 3: re has ${bins}, im has ${spectrum.im.length}`,
    );
  }
  if (!Number.isFinite(delaySamples)) {
    throw new RangeError(
      `Cannot delay spectrum as delaySamples must be a finite number: current value is ${delaySamples}`,
    );
  }
  const size = 2 * (bins - 1);
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  for (let k = 0; k < bins - 1; k++) {
    // Reduce k·D modulo N before scaling so large delays keep full phase precision.
    const turns = ((k * delaySamples) % size) / size;
    const c = Math.cos(2 * Math.PI * turns);
    const s = -Math.sin(2 * Math.PI * turns);
    const xr = spectrum.re[k]!, xi = spectrum.im[k]!;
    re[k] = xr * c - xi * s;
    im[k] = xr * s + xi * c;
  }
  re[bins - 1] = spectrum.re[bins - 1]! * Math.cos(Math.PI * (delaySamples % 2));
  return { re, im };
}
