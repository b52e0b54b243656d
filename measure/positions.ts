/**
 * Listening positions: a head moved off the sweet spot is simply another
 * position (DESIGN.md conventions: device frame, azimuth counter-clockwise
 * from the front, +90° = the device's left).
 *
 * @module
 */
import type { MicPosition } from "./audio_device.ts";
import { wrapDeg } from "../dsp/angles.ts";

/**
 * Radius in metres of an average adult head (Duda & Martens 1998 use 8.75 cm): the closest a
 * head centre may come to the device's reference point when it is moved off a position.
 */
export const MIN_HEAD_DISTANCE_METERS = 0.0875;

/**
 * An angle in degrees brought into (−180, 180], so every direction has one spelling:
 * `normalizeAngleDeg(360) === 0`, `normalizeAngleDeg(-180) === 180`. Used for azimuths and head
 * yaws, so that `--azimuth 360` is the same position as `--azimuth 0`.
 *
 * @param degrees A finite angle in degrees.
 * @returns The same direction in (−180, 180] degrees (rounded to 1e-6°).
 * @throws {RangeError} for a non-finite angle.
 *
 * @example
 * ```ts
 * import { normalizeAngleDeg } from "./positions.ts";
 * normalizeAngleDeg(-190); // 170
 * ```
 */
export function normalizeAngleDeg(degrees: number): number {
  if (!Number.isFinite(degrees)) {
    throw new RangeError(
      `Cannot normalize angle as degrees must be a finite number: current value is ${degrees}`,
    );
  }
  const a = Math.round(wrapDeg(degrees) * 1e6) / 1e6;
  return a === 0 ? 0 : a === -180 ? 180 : a; // no −0; −180 (from rounding) is 180
}

/**
 * A position with its azimuth (and head yaw, when present) brought into (−180, 180]
 * ({@linkcode normalizeAngleDeg}); a zero head yaw is dropped.
 *
 * @param position Any position with finite angles.
 * @returns The same position spelled one way.
 */
export function normalizePosition(position: MicPosition): MicPosition {
  const { headYawDeg, ...rest } = position;
  const yaw = headYawDeg === undefined ? 0 : normalizeAngleDeg(headYawDeg);
  return {
    ...rest,
    azimuthDeg: normalizeAngleDeg(position.azimuthDeg),
    ...(yaw === 0 ? {} : { headYawDeg: yaw }),
  };
}

/**
 * Move a listening position by a head offset (x, y) in centimetres in the
 * device's frame (x away from the device's front, y toward the device's
 * left = the listener's right). The head keeps the orientation it had at the
 * nominal position (a listener who shifts sideways keeps looking ahead), so
 * `headYawDeg` grows by `azimuth − azimuth'`.
 *
 * The moved head centre must stay at least {@linkcode MIN_HEAD_DISTANCE_METERS} (a head
 * radius) from the device's reference point and on the same side of the device as the nominal
 * position (less than 90° away from the nominal direction, seen from the device); otherwise the
 * offset is refused.
 *
 * @param position The nominal position (distance > 0 m).
 * @param xCm Offset away from the device, in cm.
 * @param yCm Offset toward the device's left, in cm.
 * @returns The new position (angles and distance rounded to 1e-4; azimuth and yaw in (−180, 180]).
 * @throws {RangeError} for a non-finite offset, or one that moves the head through or across the
 *   device (the message names the offset, the rule and the resulting distance).
 *
 * @example
 * ```ts
 * import { offsetPosition } from "./positions.ts";
 * offsetPosition({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 }, 0, 10);
 * // { azimuthDeg: 2.8624, elevationDeg: 0, distanceMeters: 2.0025, headYawDeg: -2.8624 }
 * ```
 */
export function offsetPosition(position: MicPosition, xCm: number, yCm: number): MicPosition {
  if (!Number.isFinite(xCm) || !Number.isFinite(yCm)) {
    throw new RangeError(
      `Cannot offset the head as the offset must be finite numbers of cm: current value is ${xCm},${yCm}`,
    );
  }
  const az = (position.azimuthDeg * Math.PI) / 180;
  const el = (position.elevationDeg * Math.PI) / 180;
  const d = position.distanceMeters;
  // Unit vector of the nominal direction, seen from the device.
  const [ux, uy, uz] = [Math.cos(el) * Math.cos(az), Math.cos(el) * Math.sin(az), Math.sin(el)];
  const x = d * ux + xCm / 100;
  const y = d * uy + yCm / 100;
  const z = d * uz;
  const distanceMeters = Math.hypot(x, y, z);
  // Component of the moved head centre along the nominal direction: > 0 on the same side.
  const along = x * ux + y * uy + z * uz;
  if (!(d > 0) || !(distanceMeters >= MIN_HEAD_DISTANCE_METERS) || !(along > 0)) {
    throw new RangeError(
      `Cannot offset the head by ${xCm},${yCm} cm from ${d} m at azimuth ${position.azimuthDeg}° as the head must stay at least ${
        MIN_HEAD_DISTANCE_METERS * 100
      } cm (a head radius) from the device and on the same side of it: the moved head would be ${
        (distanceMeters * 100).toFixed(1)
      } cm from the device${along < 0 ? ", on its other side" : ""}`,
    );
  }
  const azimuthDeg = (Math.atan2(y, x) * 180) / Math.PI;
  const elevationDeg = (Math.asin(z / distanceMeters) * 180) / Math.PI;
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  const yaw = normalizeAngleDeg(
    round((position.headYawDeg ?? 0) + position.azimuthDeg - azimuthDeg),
  );
  return {
    azimuthDeg: normalizeAngleDeg(round(azimuthDeg)),
    elevationDeg: round(elevationDeg),
    distanceMeters: round(distanceMeters),
    ...(yaw === 0 ? {} : { headYawDeg: yaw }),
  };
}
