/**
 * Fractional-octave smoothing of power spectra and energy per fractional-
 * octave band.
 *
 * Smoothing averages power over a window whose width is a constant fraction
 * of an octave, so it grows in proportion to frequency, the approach of
 * Hatziantoniou & Mourjopoulos [1] applied to power (not complex) spectra.
 *
 * References:
 * 1. P. D. Hatziantoniou, J. N. Mourjopoulos, "Generalized fractional-octave
 *    smoothing of audio and acoustic responses", J. Audio Eng. Soc. 48(4),
 *    259–280, 2000.
 * 2. IEC 61260-1:2014 (band definitions, see `bands.ts`).
 *
 * @module
 */
import { nextPowerOfTwo, realFftPlan, type Spectrum } from "./fft.ts";
import type { FractionalOctaveBands } from "./bands.ts";
import { powerToDb } from "./db.ts";

/** Shape of the smoothing window over log frequency. */
export type SmoothingWindow = "rectangular" | "hann";

/** Options of {@linkcode smoothSpectrum}. */
export interface SmoothSpectrumOptions {
  /**
   * Bandwidth designator b > 0: the window spans 1/b octave, from
   * `f·2^(−1/(2b))` to `f·2^(1/(2b))` around each bin frequency f (3 for
   * third-octave smoothing).
   */
  readonly fraction: number;
  /**
   * `"rectangular"` (default): plain mean of the power density over the
   * window. `"hann"`: bins weighted by a Hann window over log2 frequency,
   * `0.5·(1 + cos(2π·b·log2(f_j/f)))`, which smooths more gently at the edges.
   */
  readonly window?: SmoothingWindow;
}

/**
 * Fractional-octave smoothing of a one-sided power spectrum on the FFT bin
 * grid (bins 0..N/2 of a size-N real FFT).
 *
 * Rectangular window: each bin k is replaced by the mean of the piecewise-
 * constant power density (bin j holds `P[j]` over `[j − ½, j + ½]`) over the
 * interval `[k·r⁻¹, k·r]`, `r = 2^(1/(2b))`, clipped to the spectrum:
 * `S[k] = (1/(k·r − k/r))·∫ P`. Bin edges are fractional, so the result varies
 * smoothly with b. Properties:
 * - each `S[k]` is a weighted mean of `P`: a flat spectrum stays flat, and
 *   `min P <= S[k] <= max P`;
 * - where the window is narrower than one bin (`k·(r − 1/r) <= 1`, low
 *   frequencies), `S[k] = P[k]` exactly;
 * - an isolated peak of power E at bin m (away from DC and Nyquist) spreads
 *   over the bins k with `(m − ½)/r < k < (m + ½)·r`, and its total power is
 *   kept up to the factor `2·ln r / (r − 1/r)` (0.980 for b = 1, 0.9978 for
 *   b = 3, 0.99997 for b = 24; the window widths grow in proportion to k),
 *   within about 5e-4 from summing over whole bins.
 *
 * Hann window: `S[k] = Σ_j w_kj·P[j] / Σ_j w_kj` over the bins inside the same
 * interval; also a weighted mean (flat stays flat).
 *
 * Both windows are evaluated with prefix sums in O(N). Their relative
 * round-off grows with the power summed below a window over the power in it:
 * 4e-10 (2e-9 dB) for a 60 dB tilt over 1024 bins; it matters only for
 * spectra spanning well over 100 dB.
 *
 * Bin 0 (DC) is returned unchanged. To smooth a magnitude |H|, pass |H|² and
 * take the square root of the result. The octave positions are frequency
 * ratios, so the sample rate and FFT size are not needed.
 *
 * @param powerSpectrum Non-negative power per bin, N/2 + 1 values (at least 2).
 * @param options `fraction` (b > 0), `window` (default `"rectangular"`).
 * @returns The smoothed power spectrum (a new array of the same length).
 * @throws {RangeError} when the spectrum has fewer than 2 bins, a value is negative or not finite,
 *   or `fraction` is not positive.
 *
 * @example
 * ```ts
 * import { smoothSpectrum } from "./smoothing.ts";
 * const flat = new Float64Array(513).fill(2);
 * smoothSpectrum(flat, { fraction: 3 })[400]; // ≈ 2 (a flat spectrum stays flat)
 * ```
 */
export function smoothSpectrum(
  powerSpectrum: ArrayLike<number>,
  options: SmoothSpectrumOptions,
): Float64Array {
  const { fraction } = options;
  const window = options.window ?? "rectangular";
  if (!(fraction > 0) || !Number.isFinite(fraction)) {
    throw new RangeError(
      `Cannot smooth spectrum as fraction must be a positive number: current value is ${fraction}`,
    );
  }
  if (window !== "rectangular" && window !== "hann") {
    throw new RangeError(
      `Cannot smooth spectrum as window must be "rectangular" or "hann": current value is ${window}`,
    );
  }
  const bins = powerSpectrum.length;
  if (bins < 2) {
    throw new RangeError(
      `Cannot smooth spectrum as powerSpectrum must have at least 2 bins: current length is ${bins}`,
    );
  }
  for (let k = 0; k < bins; k++) {
    const p = powerSpectrum[k] as number;
    if (!(p >= 0) || !Number.isFinite(p)) {
      throw new RangeError(
        `Cannot smooth spectrum as power values must be finite and >= 0: bin ${k} is ${p}`,
      );
    }
  }
  const r = Math.pow(2, 1 / (2 * fraction));
  return window === "rectangular"
    ? smoothRectangular(powerSpectrum, r)
    : smoothHann(powerSpectrum, r, fraction);
}

function smoothRectangular(p: ArrayLike<number>, r: number): Float64Array {
  const bins = p.length;
  // cumulative[i] = ∫ density from −½ to i − ½.
  const cumulative = new Float64Array(bins + 1);
  for (let j = 0; j < bins; j++) cumulative[j + 1] = cumulative[j]! + (p[j] as number);
  const integral = (x: number): number => {
    const u = x + 0.5; // in [0, bins]
    const i = Math.min(bins - 1, Math.floor(u));
    return cumulative[i]! + (p[i] as number) * (u - i);
  };
  const out = new Float64Array(bins);
  out[0] = p[0] as number;
  const top = bins - 0.5;
  for (let k = 1; k < bins; k++) {
    const lo = k / r;
    const hi = Math.min(top, k * r);
    // Entirely inside bin k: the mean density is P[k] itself (no round-off).
    if (lo >= k - 0.5 && hi <= k + 0.5) {
      out[k] = p[k] as number;
      continue;
    }
    out[k] = (integral(hi) - integral(lo)) / (hi - lo);
  }
  return out;
}

function smoothHann(p: ArrayLike<number>, r: number, fraction: number): Float64Array {
  // w_kj = ½ + ½·cos(θ_j − θ_k) with θ_j = 2π·b·log2(j) expands to
  // ½ + ½·(cos θ_j·cos θ_k + sin θ_j·sin θ_k), so the weighted sums over a window of bins
  // come from three prefix sums (of P, P·cos θ and P·sin θ) and three of the weights alone:
  // O(N) instead of O(N·width).
  const bins = p.length;
  const sumP = new Float64Array(bins + 1), sumPc = new Float64Array(bins + 1);
  const sumPs = new Float64Array(bins + 1), sumC = new Float64Array(bins + 1);
  const sumS = new Float64Array(bins + 1);
  const cosT = new Float64Array(bins), sinT = new Float64Array(bins);
  for (let j = 1; j < bins; j++) {
    const theta = 2 * Math.PI * fraction * Math.log2(j);
    const c = Math.cos(theta), s = Math.sin(theta), v = p[j] as number;
    cosT[j] = c;
    sinT[j] = s;
    sumP[j + 1] = sumP[j]! + v;
    sumPc[j + 1] = sumPc[j]! + v * c;
    sumPs[j + 1] = sumPs[j]! + v * s;
    sumC[j + 1] = sumC[j]! + c;
    sumS[j + 1] = sumS[j]! + s;
  }
  const out = new Float64Array(bins);
  out[0] = p[0] as number;
  for (let k = 1; k < bins; k++) {
    const first = Math.max(1, Math.ceil(k / r));
    const last = Math.min(bins - 1, Math.floor(k * r));
    if (first === last) {
      out[k] = p[k] as number; // only bin k itself (weight 1) in the window
      continue;
    }
    const c = cosT[k]!, s = sinT[k]!;
    const a = first, b = last + 1;
    const weighted = sumP[b]! - sumP[a]! + c * (sumPc[b]! - sumPc[a]!) +
      s * (sumPs[b]! - sumPs[a]!);
    const total = b - a + c * (sumC[b]! - sumC[a]!) + s * (sumS[b]! - sumS[a]!);
    out[k] = weighted / total; // both are 2·Σ w_kj(·P[j]); total >= 2 since w_kk = 1
  }
  return out;
}

/** Input of {@linkcode bandLevels}: an impulse response or a real-FFT spectrum. */
export type BandLevelSource =
  | {
    /** Impulse response samples; transformed with an FFT of the next power of two >= its length. */
    readonly ir: ArrayLike<number>;
    /** Sample rate in Hz. */
    readonly sampleRate: number;
  }
  | {
    /** Bins 0..N/2 of an unscaled size-N real FFT (as `realFftPlan(N).forward`). */
    readonly spectrum: Spectrum;
    /** Sample rate in Hz. */
    readonly sampleRate: number;
  };

/**
 * Energy per fractional-octave band in dB: `L_b = 10·log10(E_b)` with
 * `E_b = Σ_k o_bk·e_k`, where `e_k = c_k·|X[k]|²/N` (c = 1 for DC and
 * Nyquist, 2 otherwise) is bin k's share of the signal energy `Σ x[n]²`
 * (Parseval) and `o_bk` is the fraction of bin k's frequency interval
 * `[(k − ½)·fs/N, (k + ½)·fs/N] ∩ [0, fs/2]` lying inside the band
 * `[lowerHz, upperHz)`. Levels are dB re unit energy (a full-scale unit
 * impulse has 0 dB in total); bands sum to the energy they cover, and a band
 * with no energy gives `-Infinity`. Band edges above fs/2 are clipped.
 *
 * @param source `{ ir, sampleRate }` or `{ spectrum, sampleRate }`.
 * @param bands Bands from `fractionalOctaveBands()` (or any `lowerHz`/`upperHz` pairs).
 * @returns One level per band, in dB.
 * @throws {RangeError} when the sample rate is not positive, the IR is empty, the spectrum has
 *   fewer than 3 bins or unequal re/im, or a band starts at or above fs/2.
 *
 * @example
 * ```ts
 * import { bandLevels } from "./smoothing.ts";
 * import { fractionalOctaveBands } from "./bands.ts";
 * const bands = fractionalOctaveBands({ fraction: 1, minHz: 31.5, maxHz: 16000 });
 * const ir = new Float64Array(48000); ir[0] = 1; // unit impulse: flat, energy 1
 * bandLevels({ ir, sampleRate: 48000 }, bands); // each octave holds its width / 24000 Hz of the energy
 * ```
 */
export function bandLevels(
  source: BandLevelSource,
  bands: Pick<FractionalOctaveBands, "lowerHz" | "upperHz">,
): Float64Array {
  const { sampleRate } = source;
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) {
    throw new RangeError(
      `Cannot compute band levels as sampleRate must be a positive number of Hz: current value is ${sampleRate}`,
    );
  }
  let spectrum: Spectrum;
  if ("ir" in source) {
    if (source.ir.length === 0) {
      throw new RangeError(
        "Cannot compute band levels as ir must have at least 1 sample: current length is 0",
      );
    }
    spectrum = realFftPlan(Math.max(4, nextPowerOfTwo(source.ir.length))).forward(source.ir);
  } else {
    spectrum = source.spectrum;
    if (spectrum.re.length !== spectrum.im.length || spectrum.re.length < 3) {
      throw new RangeError(
        `Cannot compute band levels as spectrum must have equal re and im lengths >= 3: re has ${spectrum.re.length}, im has ${spectrum.im.length}`,
      );
    }
  }
  const bins = spectrum.re.length;
  const size = 2 * (bins - 1);
  const binHz = sampleRate / size;
  const nyquist = sampleRate / 2;
  const energy = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    const c = k === 0 || k === bins - 1 ? 1 : 2;
    energy[k] = (c * (spectrum.re[k]! ** 2 + spectrum.im[k]! ** 2)) / size;
  }
  const levels = new Float64Array(bands.lowerHz.length);
  for (let b = 0; b < levels.length; b++) {
    const lower = bands.lowerHz[b] as number;
    const upper = Math.min(nyquist, bands.upperHz[b] as number);
    if (!(lower < nyquist)) {
      throw new RangeError(
        `Cannot compute band levels as every band must start below sampleRate / 2 (${nyquist} Hz): band ${b} starts at ${lower} Hz`,
      );
    }
    const kFirst = Math.max(0, Math.floor(lower / binHz + 0.5));
    const kLast = Math.min(bins - 1, Math.ceil(upper / binHz + 0.5));
    let sum = 0;
    for (let k = kFirst; k <= kLast; k++) {
      const binLo = Math.max(0, (k - 0.5) * binHz);
      const binHi = Math.min(nyquist, (k + 0.5) * binHz);
      const overlap = Math.min(binHi, upper) - Math.max(binLo, lower);
      if (overlap > 0) sum += (energy[k]! * overlap) / (binHi - binLo);
    }
    levels[b] = powerToDb(sum);
  }
  return levels;
}
