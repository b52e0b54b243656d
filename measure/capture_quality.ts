/**
 * Capture-quality checks: clipping, dropouts, and the peak-to-noise ratio
 * and onset of an impulse response.
 *
 * @module
 */

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
export function detectClipping(x: Float64Array, thresholdDbfs = -0.01): ClippingReport {
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
 * `x[start, start + length)`, where a sweep must be sounding. A real input
 * never delivers exact zeros over a run while a sweep plays: a lost buffer
 * (xrun) does. A channel that is zero throughout is reported as one run.
 */
export function detectDropouts(
  x: Float64Array,
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
