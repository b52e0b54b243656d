/**
 * Rooms of the virtual lab: the free field, and a rectangular ("shoebox")
 * room by the image-source method of Allen & Berkley (1979).
 *
 * Room coordinates: metres, origin at one floor corner, x along the room's
 * length, y along its width, z up; walls at x = 0, x = Lx, y = 0, y = Ly,
 * z = 0 (floor), z = Lz (ceiling). The device's reference point sits at
 * `devicePositionMeters`, its frame turned by `deviceYawDeg` about z
 * (0: device +x along room +x).
 *
 * Each wall reflects with the pressure factor `β = √(1 − α)` (α the
 * energy absorption coefficient, frequency-independent). An image source is
 * indexed by one integer per axis, i ∈ ℤ: its coordinate is `s + i·L` for
 * even i and `(i + 1)·L − s` for odd i (mirrored), it has |i| reflections on
 * that axis' walls — `|n − u|` on the wall at 0 and `|n|` on the wall at L,
 * with i = 2n − u, u ∈ {0, 1} [1, eq. 2–10] — and its order is
 * |i| + |j| + |k|. Every image keeps which axes it mirrors, so the direction
 * a ray leaves the real driver is the image-to-receiver direction with
 * those components negated.
 *
 * References:
 * 1. J. B. Allen, D. A. Berkley, "Image method for efficiently simulating
 *    small-room acoustics", J. Acoust. Soc. Am. 65(4), 943–950, 1979.
 * 2. W. C. Sabine, "Collected Papers on Acoustics", Harvard, 1922
 *    (T60 = 0.161·V/(S·α)).
 *
 * @module
 */
import type { Vector3 } from "./device_model.ts";

/** Absorption coefficient α per wall, each in [0, 1). */
export interface WallAbsorption {
  /** Wall at x = 0. */
  readonly xMin: number;
  /** Wall at x = Lx. */
  readonly xMax: number;
  /** Wall at y = 0. */
  readonly yMin: number;
  /** Wall at y = Ly. */
  readonly yMax: number;
  /** Floor (z = 0). */
  readonly zMin: number;
  /** Ceiling (z = Lz). */
  readonly zMax: number;
}

/** A shoebox room and where the device stands in it. */
export interface RoomSpec {
  /** Inner dimensions Lx, Ly, Lz in metres, each in [1, 50]. */
  readonly dimensionsMeters: Vector3;
  /** Energy absorption coefficient α in [0, 1): one for all walls, or per wall. */
  readonly absorption: number | WallAbsorption;
  /** Highest reflection order, 0..30 (0 = direct sound only). */
  readonly maxOrder: number;
  /** Device reference point in room coordinates (metres). */
  readonly devicePositionMeters: Vector3;
  /** Device yaw in degrees about z (0: device +x along room +x). Default 0. */
  readonly deviceYawDeg?: number;
  /**
   * Images up to this order get exact, direction-dependent driver
   * directivity and head response (frequency domain); higher orders a
   * diffuse-field approximation (time domain). Default 2.
   */
  readonly exactOrder?: number;
}

/**
 * The `living-room` preset: 6 × 5 × 2.6 m, α = 0.3 on every wall
 * (furnished room; Sabine T60 ≈ 0.36 s), reflections up to order 20 (they
 * fill the first ~0.3 s; T20 from its IRs ≈ 0.36 s), the
 * device 1 m above the floor at (2.6, 2.5) m facing +x, so a 2 m arc around
 * it stays at least 0.5 m from every wall.
 */
export const LIVING_ROOM: RoomSpec = {
  dimensionsMeters: { x: 6, y: 5, z: 2.6 },
  absorption: 0.3,
  maxOrder: 20,
  devicePositionMeters: { x: 2.6, y: 2.5, z: 1.0 },
  deviceYawDeg: 0,
  exactOrder: 2,
};

/** A validated room. */
export interface Room {
  /** Inner dimensions Lx, Ly, Lz in metres, each in [1, 50]. */
  readonly dimensionsMeters: Vector3;
  /** Energy absorption coefficient α per wall, each in [0, 1). */
  readonly absorption: WallAbsorption;
  /** Highest reflection order, integer in [0, 30]. */
  readonly maxOrder: number;
  /** Highest order modelled exactly, integer in [0, min(6, maxOrder)]. */
  readonly exactOrder: number;
  /** Device reference point in room coordinates in metres, strictly inside the room. */
  readonly devicePositionMeters: Vector3;
  /** Device yaw in degrees about z (0: device +x along room +x). */
  readonly deviceYawDeg: number;
}

/** Room names accepted by {@linkcode resolveRoom}. */
export const ROOM_PRESETS = ["anechoic", "living-room"] as const;

/**
 * Resolve a room option: `"anechoic"` (or undefined) → `null` (free field),
 * `"living-room"` → {@linkcode LIVING_ROOM}, or a validated custom spec.
 *
 * @throws {RangeError} for an unknown preset name or an out-of-range field.
 */
export function resolveRoom(room: RoomSpec | string | undefined): Room | null {
  if (room === undefined || room === "anechoic") return null;
  if (room === "living-room") return resolveRoom(LIVING_ROOM);
  if (typeof room === "string") {
    throw new RangeError(
      `Cannot create room as room must be one of ${
        ROOM_PRESETS.join(", ")
      } or a RoomSpec: current value is ${JSON.stringify(room)}`,
    );
  }
  const fail = (field: string, rule: string, value: unknown): never => {
    throw new RangeError(
      `Cannot create room as ${field} must be ${rule}: current value is ${JSON.stringify(value)}`,
    );
  };
  const d = room.dimensionsMeters;
  for (const axis of ["x", "y", "z"] as const) {
    const v = d?.[axis];
    if (typeof v !== "number" || !(v >= 1 && v <= 50)) {
      fail(`dimensionsMeters.${axis}`, "in [1, 50] m", v);
    }
  }
  const a = room.absorption;
  const walls: WallAbsorption = typeof a === "number"
    ? { xMin: a, xMax: a, yMin: a, yMax: a, zMin: a, zMax: a }
    : a;
  for (const key of ["xMin", "xMax", "yMin", "yMax", "zMin", "zMax"] as const) {
    const v = walls?.[key];
    if (typeof v !== "number" || !(v >= 0 && v < 1)) {
      fail(typeof a === "number" ? "absorption" : `absorption.${key}`, "in [0, 1)", v);
    }
  }
  if (!Number.isInteger(room.maxOrder) || room.maxOrder < 0 || room.maxOrder > 30) {
    fail("maxOrder", "an integer in [0, 30]", room.maxOrder);
  }
  const exactOrder = room.exactOrder ?? 2;
  if (!Number.isInteger(exactOrder) || exactOrder < 0 || exactOrder > 6) {
    fail("exactOrder", "an integer in [0, 6]", exactOrder);
  }
  const p = room.devicePositionMeters;
  for (const axis of ["x", "y", "z"] as const) {
    const v = p?.[axis];
    if (typeof v !== "number" || !(v > 0 && v < d[axis])) {
      fail(`devicePositionMeters.${axis}`, `inside the room (0, ${d[axis]}) m`, v);
    }
  }
  const yaw = room.deviceYawDeg ?? 0;
  if (!Number.isFinite(yaw)) fail("deviceYawDeg", "a finite number", yaw);
  return {
    dimensionsMeters: { x: d.x, y: d.y, z: d.z },
    absorption: { ...walls },
    maxOrder: room.maxOrder,
    exactOrder: Math.min(exactOrder, room.maxOrder),
    devicePositionMeters: { x: p.x, y: p.y, z: p.z },
    deviceYawDeg: yaw,
  };
}

/** Map a point from the device frame into room coordinates. */
export function deviceToRoom(room: Room, p: Vector3): Vector3 {
  const v = rotateToRoom(room, p);
  const o = room.devicePositionMeters;
  return { x: o.x + v.x, y: o.y + v.y, z: o.z + v.z };
}

/** Rotate a direction from the device frame into room coordinates. */
export function rotateToRoom(room: Room, v: Vector3): Vector3 {
  const yaw = (room.deviceYawDeg * Math.PI) / 180;
  const c = Math.cos(yaw), s = Math.sin(yaw);
  return { x: c * v.x - s * v.y, y: s * v.x + c * v.y, z: v.z };
}

/** True when the point (room coordinates) is at least `marginMeters` inside every wall. */
export function isInsideRoom(room: Room, p: Vector3, marginMeters = 0): boolean {
  const d = room.dimensionsMeters;
  return p.x > marginMeters && p.x < d.x - marginMeters && p.y > marginMeters &&
    p.y < d.y - marginMeters && p.z > marginMeters && p.z < d.z - marginMeters;
}

/** One image source. */
export interface ImageSource {
  /** Position in room coordinates, metres. */
  readonly position: Vector3;
  /** Reflection order |i| + |j| + |k|. */
  readonly order: number;
  /** Product of the wall reflection factors β along the path. */
  readonly gain: number;
  /** Whether the image is mirrored in x, y, z (odd index on that axis). */
  readonly flipX: boolean;
  /** Mirrored in y. */
  readonly flipY: boolean;
  /** Mirrored in z. */
  readonly flipZ: boolean;
}

/**
 * All image sources of `source` (room coordinates) up to `room.maxOrder`,
 * sorted by order; order 0 is the source itself [1].
 *
 * @example
 * ```ts
 * import { imageSources, resolveRoom } from "./room.ts";
 * const room = resolveRoom({ dimensionsMeters: { x: 5, y: 4, z: 3 }, absorption: 0.2, maxOrder: 1,
 *   devicePositionMeters: { x: 1, y: 1, z: 1 } })!;
 * imageSources(room, { x: 1, y: 1, z: 1 }).length; // 7: the source and its 6 first-order images
 * ```
 */
export function imageSources(room: Room, source: Vector3): ImageSource[] {
  const n = room.maxOrder;
  const d = room.dimensionsMeters;
  const a = room.absorption;
  const beta = (alpha: number) => Math.sqrt(1 - alpha);
  const axes = [
    { s: source.x, L: d.x, b0: beta(a.xMin), bL: beta(a.xMax) },
    { s: source.y, L: d.y, b0: beta(a.yMin), bL: beta(a.yMax) },
    { s: source.z, L: d.z, b0: beta(a.zMin), bL: beta(a.zMax) },
  ] as const;
  // per-axis coordinate and gain for index i  [1, eq. 2–10]
  const axisImage = (axis: (typeof axes)[number], i: number) => {
    const odd = (i & 1) !== 0;
    const u = odd ? 1 : 0;
    const m = (i + u) / 2; // i = 2m − u
    const coordinate = odd ? (i + 1) * axis.L - axis.s : axis.s + i * axis.L;
    const gain = Math.pow(axis.b0, Math.abs(m - u)) * Math.pow(axis.bL, Math.abs(m));
    return { coordinate, gain, flip: odd };
  };
  const out: ImageSource[] = [];
  for (let i = -n; i <= n; i++) {
    const X = axisImage(axes[0], i);
    for (let j = -(n - Math.abs(i)); j <= n - Math.abs(i); j++) {
      const Y = axisImage(axes[1], j);
      const rest = n - Math.abs(i) - Math.abs(j);
      for (let k = -rest; k <= rest; k++) {
        const Z = axisImage(axes[2], k);
        out.push({
          position: { x: X.coordinate, y: Y.coordinate, z: Z.coordinate },
          order: Math.abs(i) + Math.abs(j) + Math.abs(k),
          gain: X.gain * Y.gain * Z.gain,
          flipX: X.flip,
          flipY: Y.flip,
          flipZ: Z.flip,
        });
      }
    }
  }
  out.sort((p, q) => p.order - q.order);
  return out;
}

/** Sabine reverberation time in seconds, `T60 = 0.161·V/Σ(S_i·α_i)` [2]. */
export function sabineT60Seconds(room: Room): number {
  const { x, y, z } = room.dimensionsMeters;
  const a = room.absorption;
  const absorptionArea = y * z * (a.xMin + a.xMax) + x * z * (a.yMin + a.yMax) +
    x * y * (a.zMin + a.zMax);
  return (0.161 * x * y * z) / absorptionArea;
}
