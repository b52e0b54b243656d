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
