/**
 * Angle wrapping. The project spells every direction in degrees in the
 * half-open interval (−180, 180]: 0 is straight ahead, +90 to the left
 * (counter-clockwise seen from above), and the direction straight behind is
 * +180, never −180. 360 and 0 (or −180 and 180) therefore compare equal after
 * wrapping.
 *
 * @module
 */

/**
 * Wrap an angle in degrees to (−180, 180]: `a − 360·k` for the integer `k`
 * that lands in that interval. `−180` and `540` give `180`; `−0` gives `0`;
 * a non-finite angle gives `NaN`.
 *
 * @param angleDeg Any angle in degrees.
 * @returns The same direction in (−180, 180] degrees.
 *
 * @example
 * ```ts
 * import { wrapDeg } from "./angles.ts";
 * wrapDeg(-190); // 170
 * wrapDeg(-180); // 180
 * ```
 */
export function wrapDeg(angleDeg: number): number {
  let a = angleDeg % 360; // in (−360, 360), sign of angleDeg
  if (a > 180) a -= 360;
  else if (a <= -180) a += 360;
  return a === 0 ? 0 : a; // no −0
}
