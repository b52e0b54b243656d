/**
 * Level conversions. Amplitude quantities use 20·log10, power quantities
 * 10·log10; there is deliberately no bare `toDb`.
 *
 * @module
 */

/**
 * Amplitude ratio to decibels: `L = 20·log10(|a|)`. Zero gives `-Infinity`.
 *
 * @example
 * ```ts
 * import { amplitudeToDb } from "./db.ts";
 * amplitudeToDb(0.5); // ≈ -6.02
 * ```
 */
export function amplitudeToDb(amplitude: number): number {
  return 20 * Math.log10(Math.abs(amplitude));
}

/** Power ratio to decibels: `L = 10·log10(p)`, for `p >= 0`. */
export function powerToDb(power: number): number {
  return 10 * Math.log10(power);
}

/**
 * The smallest power (relative to 1) the floored dB helpers take: a power below
 * it counts as −300 dB, so ratios of silent bins stay finite.
 */
export const POWER_FLOOR: number = 1e-30;

/**
 * Power to decibels with a floor: `L = 10·log10(max(p, POWER_FLOOR))`, finite
 * for every `p >= 0` (−300 dB at the floor).
 *
 * @example
 * ```ts
 * import { flooredPowerToDb } from "./db.ts";
 * flooredPowerToDb(0); // -300
 * ```
 */
export function flooredPowerToDb(power: number): number {
  return 10 * Math.log10(Math.max(power, POWER_FLOOR));
}

/**
 * Power ratio in decibels with both powers floored:
 * `L = 10·log10(max(num, POWER_FLOOR) / max(den, POWER_FLOOR))`, finite for
 * every non-negative pair (0 dB when both are below the floor).
 *
 * @param numerator Power of the numerator, >= 0.
 * @param denominator Power of the denominator, >= 0.
 *
 * @example
 * ```ts
 * import { powerRatioDb } from "./db.ts";
 * powerRatioDb(100, 1); // 20
 * powerRatioDb(1, 0); // 300
 * ```
 */
export function powerRatioDb(numerator: number, denominator: number): number {
  return 10 * Math.log10(Math.max(numerator, POWER_FLOOR) / Math.max(denominator, POWER_FLOOR));
}

/** Decibels to amplitude ratio: `a = 10^(L/20)`. */
export function dbToAmplitude(levelDb: number): number {
  return Math.pow(10, levelDb / 20);
}

/** Decibels to power ratio: `p = 10^(L/10)`. */
export function dbToPower(levelDb: number): number {
  return Math.pow(10, levelDb / 10);
}

/** Root-mean-square value of `x` (0 for an empty array). */
export function rms(x: ArrayLike<number>): number {
  if (x.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    sum += v * v;
  }
  return Math.sqrt(sum / x.length);
}

/** Peak absolute value of `x` (0 for an empty array). */
export function peakAmplitude(x: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i] as number);
    if (v > peak) peak = v;
  }
  return peak;
}
