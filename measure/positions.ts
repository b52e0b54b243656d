/**
 * Listening positions: a head moved off the sweet spot is simply another
 * position (DESIGN.md conventions: device frame, azimuth counter-clockwise
 * from the front, +90° = the device's left).
 *
 * @module
 */
import type { MicPosition } from "./audio_device.ts";

/**
 * Move a listening position by a head offset (x, y) in centimetres in the
 * device's frame (x away from the device's front, y toward the device's
 * left = the listener's right). The head keeps the orientation it had at the
 * nominal position (a listener who shifts sideways keeps looking ahead), so
 * `headYawDeg` grows by `azimuth − azimuth'`.
 *
 * @param position The nominal position.
 * @param xCm Offset away from the device, in cm.
 * @param yCm Offset toward the device's left, in cm.
 * @returns The new position (angles and distance rounded to 1e-4).
 *
 * @example
 * ```ts
 * import { offsetPosition } from "./positions.ts";
 * offsetPosition({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 }, 0, 10);
 * // { azimuthDeg: 2.8624, elevationDeg: 0, distanceMeters: 2.0025, headYawDeg: -2.8624 }
 * ```
 */
export function offsetPosition(position: MicPosition, xCm: number, yCm: number): MicPosition {
  const az = (position.azimuthDeg * Math.PI) / 180;
  const el = (position.elevationDeg * Math.PI) / 180;
  const d = position.distanceMeters;
  const x = d * Math.cos(el) * Math.cos(az) + xCm / 100;
  const y = d * Math.cos(el) * Math.sin(az) + yCm / 100;
  const z = d * Math.sin(el);
  const distanceMeters = Math.hypot(x, y, z);
  const azimuthDeg = (Math.atan2(y, x) * 180) / Math.PI;
  const elevationDeg = (Math.asin(z / distanceMeters) * 180) / Math.PI;
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  const yaw = round((position.headYawDeg ?? 0) + position.azimuthDeg - azimuthDeg);
  return {
    azimuthDeg: round(azimuthDeg),
    elevationDeg: round(elevationDeg),
    distanceMeters: round(distanceMeters),
    ...(yaw === 0 ? {} : { headYawDeg: yaw }),
  };
}
