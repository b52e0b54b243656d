/**
 * The baseline a bundle is judged against: the bare device with no filters,
 * each input fed to the drivers as a plain (idealized) matrix would —
 *
 * - `left` to the drivers on the listener's left, `right` to those on the
 *   right, each with weight 1; a driver in the middle gets both inputs at ½;
 * - `center` to every driver equally (`1/n`, matrix mixing).
 *
 * Which side a driver is on is read from the measurement, not assumed from
 * its name: at the set's first binaural position a driver whose ear-left
 * energy exceeds its ear-right energy by more than `SIDE_THRESHOLD_DB` is a
 * left driver (and vice versa); without ear captures, the reference arc
 * decides (louder at −90°, the device's right = the facing listener's left,
 * makes a left driver). Every filter is a unit impulse at the bundle's
 * modelling delay, so the baseline's timing matches the bundle's.
 *
 * @module
 */
import type { MeasurementSet } from "../io/manifest.ts";
import type { BundleFilters, FilterBundleDraft } from "./bundle.ts";
import { evaluateBundle, type EvaluateOptions, type Evaluation } from "./evaluate.ts";
import { readSetPlants } from "./_bundle_plants.ts";

/** A driver whose two ears (or ±90°) differ by less than this is in the middle, dB. */
export const SIDE_THRESHOLD_DB = 1;

/** Side of each driver as the listener hears it. */
export type DriverSide = "left" | "right" | "middle";

function energy(h: ArrayLike<number>): number {
  let s = 0;
  for (let n = 0; n < h.length; n++) s += (h[n] as number) ** 2;
  return s;
}

function sideOf(leftEnergy: number, rightEnergy: number): DriverSide {
  const d = 10 * Math.log10(Math.max(leftEnergy, 1e-30) / Math.max(rightEnergy, 1e-30));
  return d > SIDE_THRESHOLD_DB ? "left" : d < -SIDE_THRESHOLD_DB ? "right" : "middle";
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
  const ear = plants.ears[0];
  if (ear) return index.map((i) => sideOf(energy(ear.irs[0]![i]!), energy(ear.irs[1]![i]!)));
  const arc = plants.arc;
  if (arc) {
    const near = (t: number) =>
      arc.azimuthsDeg.reduce(
        (b, a, i) => Math.abs(a - t) < Math.abs(arc.azimuthsDeg[b]! - t) ? i : b,
        0,
      );
    const devRight = near(-90), devLeft = near(90);
    return index.map((i) => sideOf(energy(arc.irs[devRight]![i]!), energy(arc.irs[devLeft]![i]!)));
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
