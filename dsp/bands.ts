/**
 * Fractional-octave frequency bands, base 10, as defined by IEC 61260-1:2014.
 *
 * With the octave ratio `G = 10^(3/10)` and the reference frequency
 * `fr = 1000` Hz, the exact midband frequency of band index x (an integer) for
 * bandwidth designator b (1 for octaves, 3 for third-octaves, ...) is [1, 5.2]
 * - `fm = fr·G^(x/b)` when b is odd,
 * - `fm = fr·G^((2x + 1)/(2b))` when b is even,
 *
 * and the band edges are `f1 = fm·G^(−1/(2b))`, `f2 = fm·G^(1/(2b))` [1, 5.4].
 * Bands of one fraction tile the axis: each band's upper edge is the next
 * band's lower edge. Nominal (rounded) labels such as "20 Hz" for 19.95 Hz
 * are not produced here.
 *
 * References:
 * 1. IEC 61260-1:2014, "Electroacoustics — Octave-band and fractional-octave-
 *    band filters — Part 1: Specifications".
 *
 * @module
 */

/** Bandwidth designators b supported: octave, 1/3, 1/6, 1/12 and 1/24 octave. */
export type OctaveFraction = 1 | 3 | 6 | 12 | 24;

/** The IEC 61260-1 base-10 octave ratio G = 10^(3/10) ≈ 1.99526. */
export const OCTAVE_RATIO_BASE10: number = Math.pow(10, 3 / 10);

/** The IEC 61260-1 reference frequency fr in Hz. */
export const REFERENCE_FREQUENCY_HZ = 1000;

/** A set of contiguous fractional-octave bands, in ascending frequency. */
export interface FractionalOctaveBands {
  /** Bandwidth designator b: each band is 1/b octave wide. */
  readonly fraction: OctaveFraction;
  /** Band indices x of the IEC formula (x = 0 is the band at or just above 1 kHz). */
  readonly index: Int32Array;
  /** Exact midband frequencies fm in Hz. */
  readonly centerHz: Float64Array;
  /** Lower band-edge frequencies f1 in Hz. */
  readonly lowerHz: Float64Array;
  /** Upper band-edge frequencies f2 in Hz. */
  readonly upperHz: Float64Array;
}

/** Specification of {@linkcode fractionalOctaveBands}. */
export interface FractionalOctaveBandsSpec {
  /** Bandwidth designator b (1, 3, 6, 12 or 24). */
  readonly fraction: OctaveFraction;
  /** Lowest frequency in Hz to cover (> 0). */
  readonly minHz: number;
  /** Highest frequency in Hz to cover (> minHz). */
  readonly maxHz: number;
}

const FRACTIONS: readonly number[] = [1, 3, 6, 12, 24];

/**
 * Exponent e of `fm = fr·G^e` for band index x (see the module doc).
 */
function exponent(index: number, fraction: number): number {
  return fraction % 2 === 1 ? index / fraction : (2 * index + 1) / (2 * fraction); // [1, eq. 1 and 2]
}

/**
 * Exact midband frequency in Hz of band index `index` for 1/`fraction` octave
 * bands (IEC 61260-1, base 10).
 *
 * @param index Band index x, an integer (x = 0 is 1000 Hz for odd b, 1000·G^(1/(2b)) for even b).
 * @param fraction Bandwidth designator b.
 * @returns fm in Hz.
 * @throws {RangeError} when `fraction` is not 1, 3, 6, 12 or 24, or `index` is not an integer.
 *
 * @example
 * ```ts
 * import { bandCenterHz } from "./bands.ts";
 * bandCenterHz(-17, 3); // ≈ 19.953 (the third-octave band labelled "20 Hz")
 * ```
 */
export function bandCenterHz(index: number, fraction: OctaveFraction): number {
  checkFraction("compute band centre", fraction);
  if (!Number.isInteger(index)) {
    throw new RangeError(
      `Cannot compute band centre as index must be an integer: current value is ${index}`,
    );
  }
  return REFERENCE_FREQUENCY_HZ * Math.pow(OCTAVE_RATIO_BASE10, exponent(index, fraction));
}

/**
 * Lower and upper edge frequencies in Hz of the 1/`fraction` octave band with
 * midband frequency `centerHz`: `[fm·G^(−1/(2b)), fm·G^(1/(2b))]`.
 *
 * @param centerHz Midband frequency in Hz (> 0).
 * @param fraction Bandwidth designator b.
 * @returns `[lowerHz, upperHz]`.
 * @throws {RangeError} when `fraction` is not supported or `centerHz` is not positive.
 *
 * @example
 * ```ts
 * import { bandEdgesHz } from "./bands.ts";
 * bandEdgesHz(1000, 1); // ≈ [707.9, 1412.5]
 * ```
 */
export function bandEdgesHz(centerHz: number, fraction: OctaveFraction): [number, number] {
  checkFraction("compute band edges", fraction);
  if (!(centerHz > 0) || !Number.isFinite(centerHz)) {
    throw new RangeError(
      `Cannot compute band edges as centerHz must be a positive number: current value is ${centerHz}`,
    );
  }
  const half = Math.pow(OCTAVE_RATIO_BASE10, 1 / (2 * fraction)); // [1, eq. 3 and 4]
  return [centerHz / half, centerHz * half];
}

/**
 * The contiguous 1/b-octave bands (IEC 61260-1, base 10) that cover
 * `[minHz, maxHz]`: from the band whose upper edge lies above `minHz` to the
 * band whose lower edge lies below `maxHz`. For third-octaves from 20 Hz to
 * 20 kHz this gives the 31 bands 19.95 Hz … 19.95 kHz.
 *
 * @param spec `fraction`, `minHz` (> 0) and `maxHz` (> minHz), in Hz.
 * @returns The bands in ascending order.
 * @throws {RangeError} when `fraction` is not supported or the range is not `0 < minHz < maxHz < ∞`.
 *
 * @example
 * ```ts
 * import { fractionalOctaveBands } from "./bands.ts";
 * const octaves = fractionalOctaveBands({ fraction: 1, minHz: 31.5, maxHz: 16000 });
 * octaves.centerHz.length; // 10: 31.6, 63.1, 125.9, ... 15849 Hz
 * ```
 */
export function fractionalOctaveBands(spec: FractionalOctaveBandsSpec): FractionalOctaveBands {
  const { fraction, minHz, maxHz } = spec;
  checkFraction("create fractional-octave bands", fraction);
  if (!(minHz > 0) || !Number.isFinite(minHz)) {
    throw new RangeError(
      `Cannot create fractional-octave bands as minHz must be a positive number: current value is ${minHz}`,
    );
  }
  if (!(maxHz > minHz) || !Number.isFinite(maxHz)) {
    throw new RangeError(
      `Cannot create fractional-octave bands as maxHz must be a finite number > minHz (${minHz} Hz): current value is ${maxHz}`,
    );
  }
  // Band x spans exponents [e(x) − 1/(2b), e(x) + 1/(2b)] of G; e(x) = (x + s)/b with s = 0
  // (odd b) or 1/2 (even b). Solve for the first x whose upper edge exceeds minHz and the last
  // whose lower edge is below maxHz, then fix any off-by-one from rounding.
  const shift = fraction % 2 === 1 ? 0 : 0.5;
  const logG = Math.log(OCTAVE_RATIO_BASE10);
  const toX = (hz: number) => (fraction * Math.log(hz / REFERENCE_FREQUENCY_HZ)) / logG - shift;
  let first = Math.floor(toX(minHz) - 0.5);
  let last = Math.ceil(toX(maxHz) + 0.5);
  const halfStep = Math.pow(OCTAVE_RATIO_BASE10, 1 / (2 * fraction));
  const centre = (x: number) =>
    REFERENCE_FREQUENCY_HZ * Math.pow(OCTAVE_RATIO_BASE10, exponent(x, fraction));
  while (centre(first) * halfStep <= minHz) first++;
  while (centre(first - 1) * halfStep > minHz) first--;
  while (centre(last) / halfStep >= maxHz) last--;
  while (centre(last + 1) / halfStep < maxHz) last++;
  const count = last - first + 1;
  const index = new Int32Array(count);
  const centerHz = new Float64Array(count);
  const lowerHz = new Float64Array(count);
  const upperHz = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const x = first + i;
    const fm = centre(x);
    index[i] = x;
    centerHz[i] = fm;
    lowerHz[i] = fm / halfStep;
    upperHz[i] = fm * halfStep;
  }
  return { fraction, index, centerHz, lowerHz, upperHz };
}

function checkFraction(action: string, fraction: number): void {
  if (!FRACTIONS.includes(fraction)) {
    throw new RangeError(
      `Cannot ${action} as fraction must be one of 1, 3, 6, 12, 24: current value is ${fraction}`,
    );
  }
}
