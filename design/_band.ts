/**
 * Private helpers shared by the designs: smooth band masks on a frequency
 * grid and azimuth arithmetic.
 *
 * @module
 */
import { wrapDeg } from "../dsp/angles.ts";

/** Re-exported for the designs: angles wrap to (−180, 180] ({@linkcode wrapDeg}). */
export { wrapDeg };

/**
 * Smooth band mask: 1 inside [lowHz, highHz], 0 beyond `transitionOctaves`
 * outside either edge, a raised cosine in log frequency between. DC is 0
 * unless lowHz is 0.
 */
export function bandMask(
  frequenciesHz: ArrayLike<number>,
  lowHz: number,
  highHz: number,
  transitionOctaves: number,
): Float64Array {
  const out = new Float64Array(frequenciesHz.length);
  for (let k = 0; k < out.length; k++) {
    const f = frequenciesHz[k] as number;
    out[k] = edgeWeight(f, lowHz, highHz, transitionOctaves);
  }
  return out;
}

function edgeWeight(f: number, lowHz: number, highHz: number, octaves: number): number {
  if (f >= lowHz && f <= highHz) return 1;
  if (octaves <= 0) return 0;
  const distance = f < lowHz ? (f <= 0 ? Infinity : Math.log2(lowHz / f)) : Math.log2(f / highHz);
  if (distance >= octaves) return 0;
  return 0.5 * (1 + Math.cos((Math.PI * distance) / octaves));
}

/** Index of the azimuth nearest to `targetDeg` (circular distance) and that distance in degrees. */
export function nearestAzimuth(
  azimuthsDeg: ArrayLike<number>,
  targetDeg: number,
): { index: number; distanceDeg: number } {
  let index = -1, distanceDeg = Infinity;
  for (let i = 0; i < azimuthsDeg.length; i++) {
    const d = Math.abs(wrapDeg((azimuthsDeg[i] as number) - targetDeg));
    if (d < distanceDeg) {
      distanceDeg = d;
      index = i;
    }
  }
  return { index, distanceDeg };
}
