/**
 * Device models of the virtual lab: loading and validating
 * `fixtures/devices/<model>.json`, and drawing one unit's manufacturing
 * deviations deterministically from its serial number.
 *
 * A model file (format `spatialcal.device-model`, version 1) holds the
 * drivers in the device's canonical order. Positions are in metres in the
 * device frame (x out of the front, y to the device's left, z up, DESIGN.md);
 * a driver's `axis` is the direction it fires (`azimuthDeg` counter-clockwise
 * from +x seen from above, `elevationDeg` up positive). `enclosures` are
 * bounding spheres that no listener may enter. Levels: `sensitivityDb` is
 * the driver's on-axis pass-band gain at 1 m, from a full-scale DAC sample
 * to a full-scale microphone sample (a simulator convention, not dB SPL).
 * Tolerances are one standard deviation: `sensitivityDb` in dB,
 * `resonancePercent` and `qPercent` in percent of the nominal value,
 * `positionMm` per axis in millimetres. Draws are Gaussian, clamped at
 * ±{@linkcode TOLERANCE_CLAMP_SIGMA} σ so a unit never leaves that band.
 *
 * @module
 */
import { createRandom, hashString } from "./_random.ts";

/** A point or vector in metres in the device frame. */
export interface Vector3 {
  /** x component in metres (device frame: out of the front; room: along its length). */
  readonly x: number;
  /** y component in metres (device frame: to the device's left; room: along its width). */
  readonly y: number;
  /** z component in metres, up. */
  readonly z: number;
}

/** Frequency-response parameters of one driver. */
export interface DriverResponse {
  /** Mechanical resonance in Hz: a 2nd-order high-pass at this frequency. */
  readonly resonanceHz: number;
  /** Q of the resonance high-pass (0.5 overdamped … 1.5 peaky). */
  readonly resonanceQ: number;
  /** 2nd-order low-pass in Hz (skipped when >= 0.49·sampleRate). */
  readonly lowPassHz: number;
  /** Q of the low-pass, in (0, 20]. */
  readonly lowPassQ: number;
  /** Cone break-up: a peaking biquad at this frequency in Hz (skipped when >= 0.49·sampleRate). */
  readonly breakupHz: number;
  /** Gain in dB of the break-up peak at `breakupHz`, in [−40, 40]. */
  readonly breakupGainDb: number;
  /** Q of the break-up peak, in (0, 100]. */
  readonly breakupQ: number;
}

/** Memoryless polynomial nonlinearity `y = u + secondOrder·u² + thirdOrder·u³` (u in full scale). */
export interface DriverNonlinearity {
  /** Coefficient of u² (dimensionless), in [−1, 1]. */
  readonly secondOrder: number;
  /** Coefficient of u³ (dimensionless), in [−1, 1]. */
  readonly thirdOrder: number;
}

/** One driver of a device model. */
export interface DriverModel {
  /** Output-channel name, unique within the model (e.g. `"mid-left"`). */
  readonly id: string;
  /** `"midrange"`, `"tweeter"`, `"woofer"`, `"fullrange"`. */
  readonly kind: string;
  /** Acoustic centre in metres in the device frame; inside an enclosure's bounding sphere. */
  readonly positionMeters: Vector3;
  /**
   * Firing direction in degrees: `azimuthDeg` counter-clockwise from +x seen
   * from above, in [−360, 360]; `elevationDeg` up positive, in [−90, 90].
   */
  readonly axis: { readonly azimuthDeg: number; readonly elevationDeg: number };
  /** Radius in metres of the equivalent baffled piston (directivity). */
  readonly pistonRadiusMeters: number;
  /** On-axis pass-band gain at 1 m in dB re full scale → full scale. */
  readonly sensitivityDb: number;
  /** Linear frequency response (resonance, low-pass, break-up). */
  readonly response: DriverResponse;
  /** Memoryless polynomial distortion, applied before the linear response. */
  readonly nonlinearity: DriverNonlinearity;
}

/** A bounding sphere of an enclosure. */
export interface EnclosureSphere {
  /** Centre in metres in the device frame. */
  readonly centerMeters: Vector3;
  /** Radius in metres, > 0; also the baffle radius of the drivers nearest this centre. */
  readonly radiusMeters: number;
}

/** Manufacturing tolerances, one standard deviation each. */
export interface Tolerances {
  /** Sensitivity σ in dB, in [0, 6]. */
  readonly sensitivityDb: number;
  /** Resonance-frequency σ in percent of nominal, in [0, 30]. */
  readonly resonancePercent: number;
  /** Resonance-Q σ in percent of nominal, in [0, 30]. */
  readonly qPercent: number;
  /** Driver-position σ per axis in millimetres, in [0, 20]. */
  readonly positionMm: number;
}

/** A validated device model. */
export interface DeviceModel {
  /** File-format tag. */
  readonly format: "spatialcal.device-model";
  /** File-format version. */
  readonly version: 1;
  /** Model name, non-empty (e.g. `"studio5"`). */
  readonly model: string;
  /** Free text; `""` when the file has none. */
  readonly description: string;
  /** Bounding spheres no listener may enter; at least one. */
  readonly enclosures: readonly EnclosureSphere[];
  /** Per-unit manufacturing tolerances (one σ each). */
  readonly tolerances: Tolerances;
  /** Drivers in the device's canonical output order; at least one, ids unique. */
  readonly drivers: readonly DriverModel[];
}

/** Gaussian tolerance draws are clamped at this many standard deviations. */
export const TOLERANCE_CLAMP_SIGMA = 3;

/** The serial that gives the idealized unit: every deviation zero. */
export const NOMINAL_SERIAL = "nominal";

const DEVICE_DIRECTORY = new URL("../fixtures/devices/", import.meta.url);

/** Model names available in `fixtures/devices/`, sorted. */
export function knownDeviceModels(): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(DEVICE_DIRECTORY)) {
    if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name.slice(0, -5));
  }
  return names.sort();
}

/**
 * Load and validate the model `fixtures/devices/<model>.json`.
 *
 * @param model Model name, e.g. `"studio5"`.
 * @returns The validated model.
 * @throws {RangeError} for an unknown model (the message lists the known ones)
 *   or an invalid file (the message names file, field and value).
 *
 * @example
 * ```ts
 * import { loadDeviceModel } from "./device_model.ts";
 * const model = loadDeviceModel("studio5");
 * console.log(model.drivers.map((d) => d.id)); // ["mid-left", "mid-right", "mid-top", "tweeter", "woofer"]
 * ```
 */
export function loadDeviceModel(model: string): DeviceModel {
  const known = knownDeviceModels();
  if (typeof model !== "string" || !known.includes(model)) {
    throw new RangeError(
      `Cannot load device model as model must be one of ${known.join(", ")}: current value is ${
        JSON.stringify(model)
      }`,
    );
  }
  const url = new URL(`${model}.json`, DEVICE_DIRECTORY);
  const file = `fixtures/devices/${model}.json`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Deno.readTextFileSync(url));
  } catch (error) {
    throw new RangeError(
      `Cannot load device model as ${file} must be valid JSON: ${(error as Error).message}`,
    );
  }
  return validateDeviceModel(parsed, file);
}

/**
 * Check that `value` is a device model; returns it typed.
 *
 * @param value Parsed JSON.
 * @param source File name (or other origin) for error messages.
 * @throws {RangeError} naming the source, the field and the value.
 */
export function validateDeviceModel(value: unknown, source = "device model"): DeviceModel {
  const fail = (field: string, rule: string, current: unknown): never => {
    throw new RangeError(
      `Cannot load device model as ${field} must be ${rule}: current value is ${
        JSON.stringify(current)
      } (${source})`,
    );
  };
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(field, "an object", v);
    return v as Record<string, unknown>;
  };
  const num = (
    o: Record<string, unknown>,
    key: string,
    field: string,
    min = -Infinity,
    minInclusive = true,
    max = Infinity,
  ): number => {
    const v = o[key];
    const ok = typeof v === "number" && Number.isFinite(v) &&
      (minInclusive ? v >= min : v > min) && v <= max;
    if (!ok) {
      const range = max === Infinity
        ? (min === -Infinity ? "a finite number" : `a number ${minInclusive ? ">=" : ">"} ${min}`)
        : `a number in [${min}, ${max}]`;
      fail(`${field}.${key}`.replace(/^\./, ""), range, v);
    }
    return v as number;
  };
  const str = (o: Record<string, unknown>, key: string, field: string): string => {
    const v = o[key];
    if (typeof v !== "string" || v.length === 0) {
      fail(`${field}.${key}`.replace(/^\./, ""), "a non-empty string", v);
    }
    return v as string;
  };
  const vec = (v: unknown, field: string): Vector3 => {
    const o = obj(v, field);
    return { x: num(o, "x", field), y: num(o, "y", field), z: num(o, "z", field) };
  };

  const root = obj(value, "(root)");
  if (root.format !== "spatialcal.device-model") {
    fail("format", '"spatialcal.device-model"', root.format);
  }
  if (root.version !== 1) fail("version", "1", root.version);
  const model = str(root, "model", "");
  const description = typeof root.description === "string" ? root.description : "";
  if (!Array.isArray(root.enclosures) || root.enclosures.length === 0) {
    fail("enclosures", "a non-empty array", root.enclosures);
  }
  const enclosures = (root.enclosures as unknown[]).map((e, i) => {
    const o = obj(e, `enclosures[${i}]`);
    return {
      centerMeters: vec(o.centerMeters, `enclosures[${i}].centerMeters`),
      radiusMeters: num(o, "radiusMeters", `enclosures[${i}]`, 0, false),
    };
  });
  const t = obj(root.tolerances, "tolerances");
  const tolerances: Tolerances = {
    sensitivityDb: num(t, "sensitivityDb", "tolerances", 0, true, 6),
    resonancePercent: num(t, "resonancePercent", "tolerances", 0, true, 30),
    qPercent: num(t, "qPercent", "tolerances", 0, true, 30),
    positionMm: num(t, "positionMm", "tolerances", 0, true, 20),
  };
  if (!Array.isArray(root.drivers) || root.drivers.length === 0) {
    fail("drivers", "a non-empty array", root.drivers);
  }
  const ids = new Set<string>();
  const drivers = (root.drivers as unknown[]).map((d, i): DriverModel => {
    const f = `drivers[${i}]`;
    const o = obj(d, f);
    const id = str(o, "id", f);
    if (ids.has(id)) fail(`${f}.id`, "unique among the drivers", id);
    ids.add(id);
    const axis = obj(o.axis, `${f}.axis`);
    const r = obj(o.response, `${f}.response`);
    const n = obj(o.nonlinearity, `${f}.nonlinearity`);
    return {
      id,
      kind: str(o, "kind", f),
      positionMeters: vec(o.positionMeters, `${f}.positionMeters`),
      axis: {
        azimuthDeg: num(axis, "azimuthDeg", `${f}.axis`, -360, true, 360),
        elevationDeg: num(axis, "elevationDeg", `${f}.axis`, -90, true, 90),
      },
      pistonRadiusMeters: num(o, "pistonRadiusMeters", f, 0, false, 1),
      sensitivityDb: num(o, "sensitivityDb", f, -120, true, 40),
      response: {
        resonanceHz: num(r, "resonanceHz", `${f}.response`, 0, false),
        resonanceQ: num(r, "resonanceQ", `${f}.response`, 0, false, 20),
        lowPassHz: num(r, "lowPassHz", `${f}.response`, 0, false),
        lowPassQ: num(r, "lowPassQ", `${f}.response`, 0, false, 20),
        breakupHz: num(r, "breakupHz", `${f}.response`, 0, false),
        breakupGainDb: num(r, "breakupGainDb", `${f}.response`, -40, true, 40),
        breakupQ: num(r, "breakupQ", `${f}.response`, 0, false, 100),
      },
      nonlinearity: {
        secondOrder: num(n, "secondOrder", `${f}.nonlinearity`, -1, true, 1),
        thirdOrder: num(n, "thirdOrder", `${f}.nonlinearity`, -1, true, 1),
      },
    };
  });
  drivers.forEach((d, i) => {
    const inside = enclosures.some((e) =>
      Math.hypot(
        d.positionMeters.x - e.centerMeters.x,
        d.positionMeters.y - e.centerMeters.y,
        d.positionMeters.z - e.centerMeters.z,
      ) < e.radiusMeters
    );
    if (!inside) {
      const p = d.positionMeters;
      fail(`drivers[${i}].positionMeters`, "inside an enclosure's bounding sphere", [
        p.x,
        p.y,
        p.z,
      ]);
    }
  });
  return {
    format: "spatialcal.device-model",
    version: 1,
    model,
    description,
    enclosures,
    tolerances,
    drivers,
  };
}

/** One driver's deviation from the nominal model. */
export interface DriverDeviation {
  /** Sensitivity offset in dB. */
  readonly sensitivityDb: number;
  /** Relative resonance-frequency change (0.05 = +5 %). */
  readonly resonanceRelative: number;
  /** Relative resonance-Q change. */
  readonly qRelative: number;
  /** Position offset in metres. */
  readonly positionMeters: Vector3;
}

/**
 * One unit's deviations, per driver in model order, drawn from the serial:
 * the serial's hash seeds a generator; for each driver in order, Gaussian
 * draws for sensitivity, resonance, Q and x/y/z position, each times its σ
 * and clamped at ±3σ. Serial {@linkcode NOMINAL_SERIAL} gives all zeros.
 *
 * @example
 * ```ts
 * import { loadDeviceModel, unitDeviations } from "./device_model.ts";
 * const d = unitDeviations(loadDeviceModel("studio5"), "SIM-000123");
 * console.log(d[0]!.sensitivityDb); // within ±1.5 dB
 * ```
 */
export function unitDeviations(model: DeviceModel, serial: string): DriverDeviation[] {
  if (serial === NOMINAL_SERIAL) {
    return model.drivers.map(() => ({
      sensitivityDb: 0,
      resonanceRelative: 0,
      qRelative: 0,
      positionMeters: { x: 0, y: 0, z: 0 },
    }));
  }
  const random = createRandom(hashString(`${model.model}/${serial}`));
  const k = TOLERANCE_CLAMP_SIGMA;
  const draw = (sigma: number) => sigma * Math.max(-k, Math.min(k, random.normal()));
  const t = model.tolerances;
  return model.drivers.map(() => {
    const sensitivityDb = draw(t.sensitivityDb);
    const resonanceRelative = draw(t.resonancePercent / 100);
    const qRelative = draw(t.qPercent / 100);
    const positionMeters = {
      x: draw(t.positionMm / 1000),
      y: draw(t.positionMm / 1000),
      z: draw(t.positionMm / 1000),
    };
    return { sensitivityDb, resonanceRelative, qRelative, positionMeters };
  });
}

/** The model with one unit's deviations applied (sensitivity, resonance, Q, position). */
export function applyDeviations(
  model: DeviceModel,
  deviations: readonly DriverDeviation[],
): DeviceModel {
  const drivers = model.drivers.map((d, i): DriverModel => {
    const dev = deviations[i];
    if (!dev) return d;
    return {
      ...d,
      sensitivityDb: d.sensitivityDb + dev.sensitivityDb,
      positionMeters: {
        x: d.positionMeters.x + dev.positionMeters.x,
        y: d.positionMeters.y + dev.positionMeters.y,
        z: d.positionMeters.z + dev.positionMeters.z,
      },
      response: {
        ...d.response,
        resonanceHz: d.response.resonanceHz * (1 + dev.resonanceRelative),
        resonanceQ: d.response.resonanceQ * (1 + dev.qRelative),
      },
    };
  });
  return { ...model, drivers };
}
