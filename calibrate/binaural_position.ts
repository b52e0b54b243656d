/**
 * Pick one binaural position of a measurement set — its ear-left/ear-right
 * impulse responses of every driver — for listening (the binaural preview of
 * `render/`) with the drivers in a bundle's order.
 *
 * @module
 */
import { InputError } from "../io/errors.ts";
import type { CapturePosition, MeasurementSet } from "../io/manifest.ts";
import { positionLabel, readSetPlants } from "./_bundle_plants.ts";

/** A binaural position's ear IRs, `irs[ear][driver]` (ear 0 = ear-left), drivers as asked. */
export interface BinauralPosition {
  /** The label `evaluate` prints, e.g. `az+000.0 el+00.0 r2.000 yaw+0.0`. */
  readonly label: string;
  /** The position. */
  readonly position: CapturePosition;
  /** `irs[ear][driver]`. */
  readonly irs: readonly (readonly Float64Array[])[];
}

const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;

/**
 * Read one complete binaural position of a set (every driver at both ears).
 *
 * @param set The measurement set.
 * @param drivers Driver ids in the order wanted (a bundle's `device.drivers`).
 * @param position Which position: undefined = the first complete one (the one `evaluate`
 *   summarizes); a label as `evaluate` prints it; or a position matched within 0.05° and 1 mm.
 * @returns The position and its ear IRs.
 * @throws {InputError} naming the set and the positions it has, or the drivers it lacks.
 */
export async function readBinauralPosition(
  set: MeasurementSet,
  drivers: readonly string[],
  position?: string | CapturePosition,
): Promise<BinauralPosition> {
  const file = set.folder;
  const setDrivers = set.manifest.device.drivers.map((d) => d.id);
  const missing = drivers.filter((d) => !setDrivers.includes(d));
  if (missing.length > 0) {
    throw new InputError(
      `Cannot read a binaural position of "${file}" as the set lacks drivers of the bundle: ${
        missing.join(", ")
      } (set has ${setDrivers.join(", ")})`,
      { file, field: "device.drivers", value: setDrivers },
    );
  }
  const plants = await readSetPlants(set, { ears: true, arc: false });
  const found = position === undefined
    ? plants.ears[0]
    : plants.ears.find((e) =>
      typeof position === "string"
        ? e.label === position.trim()
        : near(e.position.azimuthDeg, position.azimuthDeg, 0.05) &&
          near(e.position.elevationDeg, position.elevationDeg, 0.05) &&
          near(e.position.distanceMeters, position.distanceMeters, 0.001) &&
          near(e.position.headYawDeg ?? 0, position.headYawDeg ?? 0, 0.05)
    );
  if (!found) {
    const asked = typeof position === "string" ? position : positionLabel(position!);
    throw new InputError(
      `Cannot read a binaural position of "${file}" as position must be one the set measured (${
        plants.ears.map((e) => e.label).join("; ")
      }): current value is "${asked}"`,
      { file, field: "position", value: asked },
    );
  }
  const order = drivers.map((d) => setDrivers.indexOf(d));
  return {
    label: found.label,
    position: found.position,
    irs: found.irs.map((row) => order.map((i) => row[i]!)),
  };
}
