/**
 * Minimum-phase spectra and impulse responses from a magnitude response, by
 * the homomorphic (real-cepstrum) method [1, ch. 13].
 *
 * For a size-N real FFT grid with magnitude |H[k]| (k = 0..N/2):
 * 1. the real cepstrum `c[n] = IDFT(ln|H|)[n]` (real and even);
 * 2. fold it onto the causal side: `ĉ[0] = c[0]`, `ĉ[n] = 2·c[n]` for
 *    0 < n < N/2, `ĉ[N/2] = c[N/2]`, `ĉ[n] = 0` for n > N/2 [1, ch. 13];
 * 3. `H_min[k] = exp(DFT(ĉ)[k])`: the real part of `DFT(ĉ)` is `ln|H|` again,
 *    so the magnitude is kept exactly, and the imaginary part is the
 *    minimum phase (the Hilbert transform of `−ln|H|`).
 *
 * The cepstrum of a minimum-phase system decays like `ρⁿ/n` (ρ the largest
 * pole/zero radius), so it is time-aliased on a finite grid; the error falls
 * with N, and magnitudes with deep notches (zeros near the unit circle) need a
 * large N. Zeros in the magnitude are floored (see `floorDb`).
 *
 * Relation to `scipy.signal.minimum_phase(h, method="homomorphic")`: scipy
 * takes a *linear-phase FIR* h, uses `sqrt(|FFT(h)|)` as the target (a
 * linear-phase filter's magnitude is the square of the minimum-phase one it
 * was designed as), adds 1e-7·min|H| before the log, keeps cepstral
 * coefficients only up to `len(h)/2`, and returns `(len(h) + 1)/2` taps. Here
 * the magnitude is the target as given and the full folded cepstrum is used.
 *
 * References:
 * 1. A. V. Oppenheim, R. W. Schafer, "Discrete-Time Signal Processing", 3rd ed.,
 *    Pearson, 2010, ch. 13 (cepstrum analysis and homomorphic deconvolution).
 *
 * @module
 */
import { isPowerOfTwo, realFftPlan, type Spectrum } from "./fft.ts";

/** Options of {@linkcode minimumPhaseSpectrum} and {@linkcode minimumPhaseIr}. */
export interface MinimumPhaseOptions {
  /**
   * Floor for the magnitude, in dB relative to its largest value (default
   * −200): smaller values (zeros) are raised to it before the logarithm, so
   * the result is finite. The output magnitude equals the floored input.
   */
  readonly floorDb?: number;
}

/**
 * Minimum-phase spectrum with the given magnitude on a size-N real FFT grid.
 *
 * @param magnitude |H[k]| >= 0 for k = 0..N/2 (N/2 + 1 values, N a power of two >= 4).
 * @param options `floorDb` (default −200 dB re the maximum).
 * @returns The spectrum `H_min` (N/2 + 1 bins) with `|H_min| = max(magnitude, floor)`.
 * @throws {RangeError} when the length is not N/2 + 1 for a power of two N >= 4, a value is
 *   negative or not finite, all values are 0, or `floorDb` is not a finite number < 0.
 *
 * @example
 * ```ts
 * import { minimumPhaseSpectrum } from "./minimum_phase.ts";
 * const H = minimumPhaseSpectrum(new Float64Array(9).fill(1)); // flat magnitude
 * H.re; // all ≈ 1, H.im all ≈ 0: the minimum-phase system is a unit impulse
 * ```
 */
export function minimumPhaseSpectrum(
  magnitude: ArrayLike<number>,
  options: MinimumPhaseOptions = {},
): Spectrum {
  const size = checkMagnitude("compute minimum-phase spectrum", magnitude);
  const floorDb = options.floorDb ?? -200;
  if (!(floorDb < 0) || !Number.isFinite(floorDb)) {
    throw new RangeError(
      `Cannot compute minimum-phase spectrum as floorDb must be a finite number < 0: current value is ${floorDb}`,
    );
  }
  const bins = magnitude.length;
  let peak = 0;
  for (let k = 0; k < bins; k++) peak = Math.max(peak, magnitude[k] as number);
  const floor = peak * Math.pow(10, floorDb / 20);
  const plan = realFftPlan(size);
  const logMag = new Float64Array(bins);
  for (let k = 0; k < bins; k++) logMag[k] = Math.log(Math.max(floor, magnitude[k] as number));
  const cepstrum = plan.inverse({ re: logMag, im: new Float64Array(bins) });
  const half = size / 2;
  const folded = new Float64Array(size);
  folded[0] = cepstrum[0]!;
  for (let n = 1; n < half; n++) folded[n] = 2 * cepstrum[n]!; // [1, ch. 13]
  folded[half] = cepstrum[half]!;
  const logSpectrum = plan.forward(folded);
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    // The real part of logSpectrum reproduces ln|H| up to round-off; use the exact value.
    const m = Math.exp(logMag[k]!);
    const phase = logSpectrum.im[k]!;
    re[k] = m * Math.cos(phase);
    im[k] = m * Math.sin(phase);
  }
  return { re, im };
}

/** Options of {@linkcode minimumPhaseIr}. */
export interface MinimumPhaseIrOptions extends MinimumPhaseOptions {
  /** Number of samples to return, 1..N (default N, the whole period). */
  readonly taps?: number;
}

/**
 * Minimum-phase impulse response with the given magnitude on a size-N real
 * FFT grid: the inverse FFT of {@linkcode minimumPhaseSpectrum}, optionally
 * truncated to its first `taps` samples (the energy of a minimum-phase
 * response is concentrated at its start).
 *
 * @param magnitude |H[k]| >= 0 for k = 0..N/2.
 * @param options `taps` (default N), `floorDb` (default −200 dB re the maximum).
 * @returns The impulse response, `taps` samples.
 * @throws {RangeError} as {@linkcode minimumPhaseSpectrum}, or when `taps` is not an integer in [1, N].
 *
 * @example
 * ```ts
 * import { minimumPhaseIr } from "./minimum_phase.ts";
 * import { realFftPlan } from "./fft.ts";
 * const X = realFftPlan(64).forward([1, -0.5]); // zero at z = 0.5: minimum phase
 * const mag = X.re.map((re, k) => Math.hypot(re, X.im[k]!));
 * minimumPhaseIr(mag, { taps: 3 }); // ≈ [1, -0.5, 0]
 * ```
 */
export function minimumPhaseIr(
  magnitude: ArrayLike<number>,
  options: MinimumPhaseIrOptions = {},
): Float64Array {
  const size = checkMagnitude("compute minimum-phase IR", magnitude);
  const taps = options.taps ?? size;
  if (!Number.isInteger(taps) || taps < 1 || taps > size) {
    throw new RangeError(
      `Cannot compute minimum-phase IR as taps must be an integer in [1, ${size}] (the FFT size): current value is ${taps}`,
    );
  }
  const spectrum = minimumPhaseSpectrum(magnitude, options);
  return realFftPlan(size).inverse(spectrum).slice(0, taps);
}

/** Validate a one-sided magnitude and return its FFT size N. */
function checkMagnitude(action: string, magnitude: ArrayLike<number>): number {
  const bins = magnitude.length;
  const size = 2 * (bins - 1);
  if (size < 4 || !isPowerOfTwo(size)) {
    throw new RangeError(
      `Cannot ${action} as magnitude must have N/2 + 1 values for a power of two N >= 4: current length is ${bins}`,
    );
  }
  let peak = 0;
  for (let k = 0; k < bins; k++) {
    const m = magnitude[k] as number;
    if (!(m >= 0) || !Number.isFinite(m)) {
      throw new RangeError(
        `Cannot ${action} as magnitude values must be finite and >= 0: bin ${k} is ${m}`,
      );
    }
    peak = Math.max(peak, m);
  }
  if (peak === 0) {
    throw new RangeError(`Cannot ${action} as magnitude must not be all zero`);
  }
  return size;
}
