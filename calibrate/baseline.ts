/**
 * The baseline a bundle is judged against: the bare device with no filters,
 * each input fed to the drivers as a plain (idealized) matrix would —
 *
 * - `left` to the drivers on the listener's left, `right` to those on the
 *   right, each with weight 1; a driver in the middle gets both inputs at ½;
 * - `center` to every driver equally (`1/n`, matrix mixing).
 *
 * Which side a driver is on is read from the measurement, not assumed from
 * its name, from energies over 1–8 kHz (where drivers beam and the head
 * shadows; the bass everyone hears alike would hide it): on the reference arc
 * a driver louder at −90° than at +90° by more than `SIDE_THRESHOLD_DB` plays
 * to the listener's left (the device's right is the facing listener's left),
 * and vice versa. Without an arc, the first binaural position decides with
 * `EAR_SIDE_THRESHOLD_DB`: from 2 m a compact device's drivers differ at the
 * two ears by tenths of a dB only (8.5 cm apart subtend about 2.4°). Every
 * filter is a unit impulse at the bundle's modelling delay, so the
 * baseline's timing matches the bundle's.
 *
 * @module
 */
import type { MeasurementSet } from "../io/manifest.ts";
import type { BundleFilters, FilterBundleDraft } from "./bundle.ts";
import { evaluateBundle, type EvaluateOptions, type Evaluation } from "./evaluate.ts";
import { readSetPlants } from "./_bundle_plants.ts";
import { bandLevels } from "../dsp/smoothing.ts";
import { powerRatioDb } from "../dsp/db.ts";

/** A driver whose levels at ±90° on the arc differ by less than this is in the middle, dB. */
export const SIDE_THRESHOLD_DB = 1;
/** The same for the two ears of a binaural head (used without an arc), dB. */
export const EAR_SIDE_THRESHOLD_DB = 0.1;

/** Side of each driver as the listener hears it. */
export type DriverSide = "left" | "right" | "middle";

/** Band in which sides are judged, Hz: where the head shadows the far ear. */
export const SIDE_BAND_HZ = { lowHz: 1000, highHz: 8000 } as const;

/** Energy of `h` in {@linkcode SIDE_BAND_HZ}. */
function energy(h: ArrayLike<number>, sampleRate: number): number {
  const db = bandLevels({ ir: h, sampleRate }, {
    lowerHz: Float64Array.of(SIDE_BAND_HZ.lowHz),
    upperHz: Float64Array.of(Math.min(SIDE_BAND_HZ.highHz, sampleRate / 2 - 1)),
  })[0] as number;
  return Math.pow(10, db / 10);
}

function sideOf(leftEnergy: number, rightEnergy: number, thresholdDb: number): DriverSide {
  const d = powerRatioDb(leftEnergy, rightEnergy);
  return d > thresholdDb ? "left" : d < -thresholdDb ? "right" : "middle";
}

/**
 * Which side of the listener each driver plays to, from the set.
 *
 * @param set A measurement set with binaural captures or a reference arc.
 * @param drivers Driver ids in the order wanted.
 * @returns One side per driver; "middle" for all when the set has neither.
 */
export async function driverSides(
  set: MeasurementSet,
  drivers: readonly string[],
): Promise<DriverSide[]> {
  const plants = await readSetPlants(set, { ears: false, arc: false });
  const index = drivers.map((d) => plants.drivers.indexOf(d));
  const fs = plants.sampleRate;
  const arc = plants.arc;
  if (arc) {
    const near = (t: number) =>
      arc.azimuthsDeg.reduce(
        (b, a, i) => Math.abs(a - t) < Math.abs(arc.azimuthsDeg[b]! - t) ? i : b,
        0,
      );
    const devRight = near(-90), devLeft = near(90);
    return index.map((i) =>
      sideOf(
        energy(arc.irs[devRight]![i]!, fs),
        energy(arc.irs[devLeft]![i]!, fs),
        SIDE_THRESHOLD_DB,
      )
    );
  }
  const ear = plants.ears[0];
  if (ear) {
    return index.map((i) =>
      sideOf(energy(ear.irs[0]![i]!, fs), energy(ear.irs[1]![i]!, fs), EAR_SIDE_THRESHOLD_DB)
    );
  }
  return drivers.map(() => "middle");
}

/**
 * The baseline filters: unit impulses at `latencySamples`, weighted by the
 * plain matrix of the module documentation.
 *
 * @param bundle The bundle whose inputs, taps, latency and drivers are copied.
 * @param sides Each driver's side (see {@linkcode driverSides}).
 * @returns `filters[input][driver]`.
 */
export function baselineFilters(
  bundle: Pick<FilterBundleDraft, "inputs" | "taps" | "latencySamples" | "device">,
  sides: readonly DriverSide[],
): BundleFilters {
  const n = bundle.device.drivers.length;
  if (sides.length !== n) {
    throw new RangeError(
      `Cannot make baseline filters as there must be one side per driver (${n}): current count is ${sides.length}`,
    );
  }
  const weight = (input: string, side: DriverSide): number => {
    if (input === "center") return 1 / n;
    if (side === "middle") return 0.5;
    return side === input ? 1 : 0;
  };
  return Object.fromEntries(bundle.inputs.map((input) => [
    input,
    sides.map((side) => {
      const h = new Float64Array(bundle.taps);
      h[bundle.latencySamples] = weight(input, side);
      return h;
    }),
  ]));
}

/**
 * Evaluate the baseline on a set exactly as `evaluateBundle` evaluates a
 * bundle, so the two can be shown side by side.
 *
 * @param bundle The bundle the baseline stands beside.
 * @param set The measurement set to evaluate on.
 * @param options As for `evaluateBundle`.
 * @returns The baseline's evaluation and the driver sides it used.
 */
export async function evaluateBaseline(
  bundle: Parameters<typeof evaluateBundle>[0],
  set: MeasurementSet,
  options: EvaluateOptions = {},
): Promise<{ evaluation: Evaluation; sides: Record<string, DriverSide> }> {
  const sides = await driverSides(set, bundle.device.drivers);
  const filters = baselineFilters(bundle, sides);
  const evaluation = await evaluateBundle(bundle, filters, set, options);
  return {
    evaluation,
    sides: Object.fromEntries(bundle.device.drivers.map((d, i) => [d, sides[i]!])),
  };
}
