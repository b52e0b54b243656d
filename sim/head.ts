/**
 * The binaural head of the virtual lab: a rigid sphere (Duda & Martens 1998)
 * with point ears on its surface.
 *
 * The head is placed at the listener position (its centre) and faces the
 * device's reference point, turned by `headYawDeg` (counter-clockwise seen
 * from above); it stays upright. Each ear sits on the horizontal great circle
 * at `earAngleDeg` from the facing direction: the listener's left ear
 * counter-clockwise, the right ear clockwise. The ear's transfer function is
 * the sphere's surface pressure relative to the free field at the centre
 * with the head absent ([1, eq. 9], see `_sphere.ts`), so an ear IR is the
 * free-field path to the head centre times this response.
 *
 * References:
 * 1. R. O. Duda, W. L. Martens, "Range dependence of the response of a
 *    spherical head model", J. Acoust. Soc. Am. 104(5), 3048–3058, 1998.
 * 2. R. S. Woodworth, H. Schlosberg, "Experimental Psychology", Holt, 1954
 *    (the ray-path ITD `a/c·(θ + sin θ)`).
 * 3. G. F. Kuhn, "Model for the interaural time differences in the azimuthal
 *    plane", J. Acoust. Soc. Am. 62(1), 157–167, 1977.
 *
 * @module
 */
import type { Spectrum } from "../dsp/fft.ts";
import { SPEED_OF_SOUND_MPS } from "../dsp/constants.ts";
import type { Vector3 } from "./device_model.ts";
import { legendreSeries, sphereResponseAt, sphereTermCount } from "./_sphere.ts";

/** Default head radius in metres (Duda & Martens 1998 use 8.75 cm, an average adult head). */
export const DEFAULT_HEAD_RADIUS_METERS = 0.0875;

/**
 * Default angle in degrees of each ear from the facing direction: ±90°, the
 * interaural axis of the specification and of Woodworth's formula.
 * Note: with a perfect sphere, a source exactly on that axis puts the far ear
 * in the sphere's "bright spot" (Duda & Martens 1998, Fig. 4): it is then
 * about as loud as in the free field. Real ears sit a little behind the
 * axis; `earAngleDeg: 100` models that and gives the deep shadow.
 */
export const DEFAULT_EAR_ANGLE_DEG = 90;

/** Geometry of the spherical head. */
export interface HeadSpec {
  /** Sphere radius in metres, in (0.03, 0.2]. Default {@linkcode DEFAULT_HEAD_RADIUS_METERS}. */
  readonly radiusMeters?: number;
  /** Ear angle from the facing direction in degrees, in [45, 135]. Default 90. */
  readonly earAngleDeg?: number;
}

/** A resolved head geometry. */
export interface Head {
  /** Sphere radius in metres, in (0.03, 0.2]. */
  readonly radiusMeters: number;
  /** Ear angle from the facing direction in degrees, in [45, 135]; both ears symmetric. */
  readonly earAngleDeg: number;
}

/**
 * Resolve and validate a head spec.
 * @throws {RangeError} for a radius outside (0.03, 0.2] m or an ear angle outside [45, 135]°.
 */
export function resolveHead(spec: HeadSpec = {}): Head {
  const radiusMeters = spec.radiusMeters ?? DEFAULT_HEAD_RADIUS_METERS;
  const earAngleDeg = spec.earAngleDeg ?? DEFAULT_EAR_ANGLE_DEG;
  if (!(radiusMeters > 0.03 && radiusMeters <= 0.2)) {
    throw new RangeError(
      `Cannot create head as radiusMeters must be in (0.03, 0.2] m: current value is ${radiusMeters}`,
    );
  }
  if (!(earAngleDeg >= 45 && earAngleDeg <= 135)) {
    throw new RangeError(
      `Cannot create head as earAngleDeg must be in [45, 135] degrees: current value is ${earAngleDeg}`,
    );
  }
  return { radiusMeters, earAngleDeg };
}

/** Unit vectors (device frame) from the head centre to the left and right ears. */
export interface EarDirections {
  /** Towards the listener's left ear (counter-clockwise of facing). */
  readonly left: Vector3;
  /** Towards the listener's right ear (clockwise of facing). */
  readonly right: Vector3;
  /** The facing direction (horizontal). */
  readonly front: Vector3;
}

/**
 * Ear directions of an upright head at `center` that faces the point
 * `lookAt` (projected on the horizontal plane) turned by `headYawDeg`.
 */
export function earDirections(
  head: Head,
  center: Vector3,
  lookAt: Vector3,
  headYawDeg = 0,
): EarDirections {
  const facing = Math.atan2(lookAt.y - center.y, lookAt.x - center.x) +
    (headYawDeg * Math.PI) / 180;
  const e = (head.earAngleDeg * Math.PI) / 180;
  return {
    left: { x: Math.cos(facing + e), y: Math.sin(facing + e), z: 0 },
    right: { x: Math.cos(facing - e), y: Math.sin(facing - e), z: 0 },
    front: { x: Math.cos(facing), y: Math.sin(facing), z: 0 },
  };
}

/**
 * Transfer functions of the sphere for a point source at `distanceMeters`
 * from the centre, at ears seen under `anglesDeg` from the source direction,
 * on a frequency grid: `H(f)` relative to the free field at the centre
 * (e^{+jωt} convention: delay = e^{−jωτ}). H → 1 as f → 0.
 *
 * @param head Radius (and ear angle, unused here).
 * @param distanceMeters Source distance from the centre, > 1.05·radius.
 * @param anglesDeg Angles between source direction and ear, 0..180.
 * @param frequenciesHz Frequencies in Hz (>= 0).
 * @param speedOfSoundMps Speed of sound, default 343.
 * @returns One spectrum per angle.
 *
 * @example
 * ```ts
 * import { resolveHead, sphereHeadResponse } from "./head.ts";
 * const [ipsi] = sphereHeadResponse(resolveHead(), 2, [0], [5000]);
 * console.log(Math.hypot(ipsi!.re[0]!, ipsi!.im[0]!)); // ≈ 2.0 (+6 dB pressure doubling)
 * ```
 */
export function sphereHeadResponse(
  head: Head,
  distanceMeters: number,
  anglesDeg: readonly number[],
  frequenciesHz: ArrayLike<number>,
  speedOfSoundMps = SPEED_OF_SOUND_MPS,
): Spectrum[] {
  const a = head.radiusMeters;
  const rho = distanceMeters / a;
  if (!(rho > 1.05)) {
    throw new RangeError(
      `Cannot compute head response as distanceMeters must be > 1.05 × head radius (${
        (1.05 * a).toFixed(4)
      } m): current value is ${distanceMeters}`,
    );
  }
  let fMax = 0;
  for (let k = 0; k < frequenciesHz.length; k++) {
    fMax = Math.max(fMax, frequenciesHz[k] as number);
  }
  const mMax = sphereTermCount((2 * Math.PI * fMax * a) / speedOfSoundMps, rho);
  const legendre = anglesDeg.map((deg) => legendreSeries(Math.cos((deg * Math.PI) / 180), mMax));
  const out = anglesDeg.map(() => ({
    re: new Float64Array(frequenciesHz.length),
    im: new Float64Array(frequenciesHz.length),
  }));
  const re = new Float64Array(anglesDeg.length);
  const im = new Float64Array(anglesDeg.length);
  for (let k = 0; k < frequenciesHz.length; k++) {
    const mu = (2 * Math.PI * (frequenciesHz[k] as number) * a) / speedOfSoundMps;
    sphereResponseAt(mu, rho, legendre, re, im);
    for (let j = 0; j < anglesDeg.length; j++) {
      out[j]!.re[k] = re[j]!;
      out[j]!.im[k] = im[j]!;
    }
  }
  return out;
}

/**
 * A table of the sphere's plane-wave response (ρ → ∞) over angle, for the
 * many image sources of a room: angles 0..180° in `stepDeg` steps, linearly
 * interpolated in between; plus the diffuse-field magnitude
 * `sqrt(½∫|H(θ)|² sin θ dθ)` used for the late reverberation.
 */
export interface PlaneWaveHeadTable {
  /** Angle step of the table in degrees (row j is at min(j·stepDeg, 180)°). */
  readonly stepDeg: number;
  /** `re[j]`, `im[j]`: response at angle j·stepDeg over the frequency grid. */
  readonly re: readonly Float64Array[];
  /** Imaginary parts, rows as in `re`. */
  readonly im: readonly Float64Array[];
  /** Diffuse-field magnitude over the frequency grid. */
  readonly diffuse: Float64Array;
}

/** Build a {@linkcode PlaneWaveHeadTable} on a frequency grid (cost ∝ bins × angles × terms). */
export function planeWaveHeadTable(
  head: Head,
  frequenciesHz: ArrayLike<number>,
  stepDeg = 2,
  speedOfSoundMps = SPEED_OF_SOUND_MPS,
): PlaneWaveHeadTable {
  const count = Math.round(180 / stepDeg) + 1;
  const anglesDeg = Array.from({ length: count }, (_, j) => Math.min(180, j * stepDeg));
  const spectra = sphereHeadResponse(head, Infinity, anglesDeg, frequenciesHz, speedOfSoundMps);
  const bins = frequenciesHz.length;
  const diffuse = new Float64Array(bins);
  // trapezoidal ½∫|H|² sin θ dθ over the table
  const h = (stepDeg * Math.PI) / 180;
  for (let k = 0; k < bins; k++) {
    let sum = 0;
    for (let j = 0; j < count; j++) {
      const s = spectra[j]!;
      const w = (j === 0 || j === count - 1 ? 0.5 : 1) * Math.sin(anglesDeg[j]! * Math.PI / 180);
      sum += w * (s.re[k]! * s.re[k]! + s.im[k]! * s.im[k]!);
    }
    diffuse[k] = Math.sqrt(0.5 * sum * h);
  }
  return {
    stepDeg,
    re: spectra.map((s) => s.re),
    im: spectra.map((s) => s.im),
    diffuse,
  };
}

/**
 * Woodworth's ray-path ITD in seconds for a distant source at lateral angle
 * `azimuthDeg` (0 = straight ahead, 90 = on the interaural axis) and ears at
 * ±90°: `ITD = a/c·(θ + sin θ)` [2]. For |θ| > 90° use 180° − θ.
 */
export function woodworthItdSeconds(
  azimuthDeg: number,
  radiusMeters = DEFAULT_HEAD_RADIUS_METERS,
  speedOfSoundMps = SPEED_OF_SOUND_MPS,
): number {
  let theta = Math.abs((azimuthDeg * Math.PI) / 180);
  if (theta > Math.PI / 2) theta = Math.PI - theta;
  return (radiusMeters / speedOfSoundMps) * (theta + Math.sin(theta));
}
