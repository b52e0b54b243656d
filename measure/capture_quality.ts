/**
 * Capture-quality checks: clipping, dropouts, and the peak-to-noise ratio
 * and onset of an impulse response.
 *
 * @module
 */
import type { SweepParameters } from "./synchronized_sweep.ts";

/** Result of {@linkcode detectClipping}. */
export interface ClippingReport {
  /** Number of samples at or above the threshold. */
  readonly count: number;
  /** Index of the first such sample, or -1. */
  readonly firstIndex: number;
  /** Threshold used, in dBFS. */
  readonly thresholdDbfs: number;
}

/**
 * Count samples whose magnitude reaches `10^(thresholdDbfs/20)` (default
 * −0.01 dBFS): an ADC or DAC that clipped leaves samples at full scale.
 */
export function detectClipping(
  x: Float64Array | Float32Array,
  thresholdDbfs = -0.01,
): ClippingReport {
  const limit = Math.pow(10, thresholdDbfs / 20);
  let count = 0, firstIndex = -1;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]!) >= limit) {
      if (firstIndex < 0) firstIndex = i;
      count++;
    }
  }
  return { count, firstIndex, thresholdDbfs };
}

/** Result of {@linkcode detectDropouts}. */
export interface DropoutReport {
  /** Number of runs of exact digital silence. */
  readonly count: number;
  /** Length of the longest run in samples, or 0. */
  readonly longestSamples: number;
  /** Index of the first sample of the first run, or -1. */
  readonly firstIndex: number;
}

/**
 * Find runs of at least `minRunSamples` (default 32) exactly-zero samples in
 * `x[start, start + length)`, where a sweep must be sounding well above one
 * LSB (see {@linkcode sweepLoudSpan}: not its fade-in and fade-out ramps,
 * which any fixed-point copy of the sweep quantizes to exact zeros). A real
 * input never delivers exact zeros over a run while a sweep plays: a lost
 * buffer (xrun) does. A channel that is zero throughout is reported as one
 * run. `start` may be negative or `start + length` past the end: only the
 * part inside `x` is searched.
 */
export function detectDropouts(
  x: Float64Array | Float32Array,
  start: number,
  length: number,
  minRunSamples = 32,
): DropoutReport {
  let count = 0, longest = 0, firstIndex = -1, run = 0;
  const end = Math.min(x.length, start + length);
  for (let i = Math.max(0, start); i <= end; i++) {
    if (i < end && x[i] === 0) {
      run++;
      continue;
    }
    if (run >= minRunSamples) {
      count++;
      if (firstIndex < 0) firstIndex = i - run;
      longest = Math.max(longest, run);
    }
    run = 0;
  }
  return { count, longestSamples: longest, firstIndex };
}

/** Result of {@linkcode sweepLoudSpan}: samples of the sweep, from its first sample. */
export interface SweepSpan {
  /** First sample of the span. */
  readonly startSamples: number;
  /** Length of the span in samples (0 when no sample qualifies). */
  readonly lengthSamples: number;
}

/**
 * The part of a sweep whose fade envelope is within `withinDb` (default 20 dB)
 * of its nominal amplitude `10^(levelDbfs/20)`, i.e. where the raised-cosine
 * fade-in and fade-out of `synchronizedSweep()` give
 * `w[n] >= 10^(−withinDb/20)` (`w[n] = 0.5 − 0.5·cos(π·n/F)` over a fade of
 * `F` samples [Novak et al. 2015, eq. 46–47]). Dropout detection looks only
 * there.
 *
 * Why 20 dB: the first and last samples of the fades are near zero, so a
 * 16-bit file or a digital loopback of the sweep holds runs of exact zeros
 * there (a −12 dBFS, 2 s sweep of the CLI's defaults quantized without dither
 * starts with 48 zeros), which are not dropouts. At 20 dB below the peak the
 * fades are past their first and last ≈ 20 % (`w >= 0.1` from
 * `n >= F·acos(0.8)/π ≈ 0.205·F`), and a sweep played at −48 dBFS peak or
 * louder is still more than 12 LSB of a 16-bit copy there, enough that even a
 * 20 Hz sine, the slowest zero crossing at 48 kHz, leaves fewer than 32
 * consecutive zeros (a sine of `a` LSB rounds to 0 for `fs/(2π·f·a)` samples
 * around each zero crossing). A stricter threshold would ignore more of the
 * sweep's band edges; a looser one lets quiet sweeps trip the check.
 *
 * @param sweep The sweep's parameters (length, sample rate, fade lengths).
 * @param withinDb Distance below the nominal amplitude in dB, > 0.
 * @returns The span; empty (`lengthSamples` 0) if no sample reaches it.
 * @throws {RangeError} when `withinDb` is not a positive number.
 *
 * @example
 * ```ts
 * import { synchronizedSweep } from "./synchronized_sweep.ts";
 * import { sweepLoudSpan } from "./capture_quality.ts";
 * const sweep = synchronizedSweep({ startHz: 20, endHz: 20000, durationSeconds: 1, sampleRate: 48000 });
 * const span = sweepLoudSpan(sweep); // skips ≈ 0.205 of each fade
 * ```
 */
export function sweepLoudSpan(sweep: SweepParameters, withinDb = 20): SweepSpan {
  if (!(withinDb > 0) || !Number.isFinite(withinDb)) {
    throw new RangeError(
      `Cannot find the loud part of the sweep as withinDb must be a finite number > 0: current value is ${withinDb}`,
    );
  }
  const n = sweep.lengthSamples;
  // The same fade lengths and window as synchronizedSweep().
  const fadeIn = Math.round(sweep.fadeInSeconds * sweep.sampleRate);
  const fadeOut = Math.round(sweep.fadeOutSeconds * sweep.sampleRate);
  const envelope = (i: number): number => {
    let w = 1;
    if (i < fadeIn) w = 0.5 - 0.5 * Math.cos((Math.PI * i) / fadeIn);
    const fromEnd = n - 1 - i;
    if (fromEnd < fadeOut) w *= 0.5 - 0.5 * Math.cos((Math.PI * fromEnd) / fadeOut);
    return w;
  };
  const floor = Math.pow(10, -withinDb / 20);
  // The envelope rises, stays at 1 and falls: the span is contiguous.
  let start = 0;
  while (start < n && envelope(start) < floor) start++;
  let end = n;
  while (end > start && envelope(end - 1) < floor) end--;
  return { startSamples: start, lengthSamples: end - start };
}

/** Result of {@linkcode peakToNoiseDb}. */
export interface PeakToNoise {
  /** `10·log10(peak² / noisePower)` in dB. */
  readonly snrDb: number;
  /** Mean power of the last quarter of the response. */
  readonly noisePower: number;
  /** Index of the largest |h|. */
  readonly peakIndex: number;
  /** First index where |h| is within 20 dB of the peak. */
  readonly onsetSamples: number;
}

/**
 * Peak-to-noise ratio of an impulse response: the noise power is the mean
 * square of its last quarter, where a response long enough for its decay
 * holds only noise (ISO 18233 takes the noise floor from the late part of
 * the response too). A response that has not decayed there gives a
 * pessimistic figure. The onset is the first sample within 20 dB of the peak.
 */
export function peakToNoiseDb(h: Float64Array): PeakToNoise {
  let peak = 0, peakIndex = 0;
  for (let i = 0; i < h.length; i++) {
    const v = Math.abs(h[i]!);
    if (v > peak) {
      peak = v;
      peakIndex = i;
    }
  }
  const from = Math.floor((3 * h.length) / 4);
  let noise = 0;
  for (let i = from; i < h.length; i++) noise += h[i]! * h[i]!;
  const noisePower = noise / Math.max(1, h.length - from);
  const threshold = peak * 0.1;
  let onset = peakIndex;
  for (let i = 0; i <= peakIndex; i++) {
    if (Math.abs(h[i]!) >= threshold) {
      onset = i;
      break;
    }
  }
  const snrDb = noisePower > 0 ? 10 * Math.log10((peak * peak) / noisePower) : Infinity;
  return { snrDb, noisePower, peakIndex, onsetSamples: onset };
}
