/**
 * A virtual production line: simulated units (`sim/`) with seeded defects go
 * through the line station — one multiple-sweep capture of every driver at a
 * reference microphone in an anechoic test box (Majdak et al. 2007), then
 * `verifyUnit` against limits made from known-good simulated units — and the
 * verdicts are tallied into a confusion matrix.
 *
 * The station's microphone sits off the device's symmetry planes (default
 * azimuth 30°, elevation 20°, 0.5 m): on the axis of a left/right symmetric
 * device, a left/right wiring swap would give the very same response and
 * could not be detected.
 *
 * Defect types (one per defective unit, chosen uniformly with a seeded
 * generator): reversed polarity, dead driver, rub & buzz (high-order
 * distortion, total −40 to −30 dB), −4 dB sensitivity, air leak (first-order
 * high-pass at 100–200 Hz on the woofer, or on the lowest driver), swapped
 * wiring of two drivers, a narrow resonance (+3 dB, Q 10, at a log-uniform
 * frequency in 200 Hz–10 kHz inside the driver's passband: a loose part).
 *
 * References:
 * 1. P. Majdak, P. Balazs, B. Laback, "Multiple exponential sweep method for
 *    fast measurement of head-related transfer functions", J. Audio Eng. Soc.
 *    55(7/8), 2007.
 *
 * @module
 */
import type { MultiSweepMeasurement } from "../measure/multi_sweep.ts";
import { createSimDevice, type SimDefects } from "../sim/sim_device.ts";
import { computeLimits, type ComputeLimitsOptions } from "./golden.ts";
import type { Limits, UnitMeasurement } from "./limits.ts";
import { DEFAULT_STATION, measureStationUnit, type StationConfig } from "./line_station.ts";
import { type CheckName, type VerifyResult, verifyUnit } from "./verify.ts";

/** Options of {@linkcode measureSimUnit}. */
export interface SimUnitOptions {
  /** Model name from `fixtures/devices/` (`"studio5"`). */
  readonly model: string;
  /** The unit's serial: seeds its manufacturing deviations. */
  readonly serial: string;
  /** Defects to simulate. Default none. */
  readonly defects?: SimDefects;
  /** Station setup. Default {@linkcode DEFAULT_STATION}. */
  readonly station?: StationConfig;
  /** Input noise RMS in dBFS. Default the simulator's (−90). */
  readonly noiseLevelDbfs?: number;
  /** Seed of the simulator's noise generator. Default 0. */
  readonly seed?: number;
}

/** A measured simulated unit, with the capture's duration. */
export interface SimUnitMeasurement {
  /** The line measurement, with the station setup. */
  readonly unit: UnitMeasurement;
  /** Stimulus + tail of the one pass, seconds (time on the station). */
  readonly captureSeconds: number;
  /** What M sequential sweeps would have taken, seconds. */
  readonly sequentialSeconds: number;
  /** The multiple-sweep result (for compute-time benchmarks). */
  readonly measurement: MultiSweepMeasurement;
}

/**
 * Measure one simulated unit at the line station (anechoic test box,
 * reference microphone, one multiple-sweep pass).
 */
export async function measureSimUnit(options: SimUnitOptions): Promise<SimUnitMeasurement> {
  const station = options.station ?? DEFAULT_STATION;
  const device = createSimDevice({
    model: options.model,
    serial: options.serial,
    sampleRate: station.sampleRate,
    mics: "reference",
    room: "anechoic",
    ...(options.noiseLevelDbfs === undefined ? {} : { noiseLevelDbfs: options.noiseLevelDbfs }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.defects ? { defects: options.defects } : {}),
  });
  try {
    await device.moveTo(station.position);
    // The simulator plays every driver at once: one pass of multiple sweeps.
    const m = await measureStationUnit(device, station, device.serial, device.model);
    return {
      unit: m.unit,
      captureSeconds: m.captureSeconds,
      sequentialSeconds: m.sequentialSeconds,
      measurement: m.passes[0]!,
    };
  } finally {
    await device.close();
  }
}

/** The defect types the line simulates. */
export const DEFECT_TYPES = [
  "polarity",
  "dead-driver",
  "rub-buzz",
  "sensitivity",
  "air-leak",
  "swapped-wiring",
  "resonance",
] as const;
/** One of {@linkcode DEFECT_TYPES}. */
export type DefectType = typeof DEFECT_TYPES[number];

/** Which check should catch each defect type. */
export const EXPECTED_CHECK: Readonly<Record<DefectType, CheckName>> = {
  "polarity": "polarity",
  "dead-driver": "dead-driver",
  "rub-buzz": "rub-buzz",
  "sensitivity": "sensitivity",
  "air-leak": "air-leak",
  "swapped-wiring": "swapped-drivers",
  "resonance": "narrow-resonance",
};

/** Where a drawn resonance may sit: 200 Hz–10 kHz (issue 16), inside the driver's passband. */
export const RESONANCE_RANGE_HZ: readonly [number, number] = [200, 10000];

/** The part of {@linkcode RESONANCE_RANGE_HZ} inside a passband (the whole range without one). */
export function resonanceRange(passbandHz?: readonly [number, number]): [number, number] {
  const [lo, hi] = RESONANCE_RANGE_HZ;
  if (passbandHz === undefined) return [lo, hi];
  const a = Math.max(lo, passbandHz[0]), b = Math.min(hi, passbandHz[1]);
  return a < b ? [a, b] : [lo, hi];
}

/** A seeded defect. */
export interface PlannedDefect {
  /** The defect type. */
  readonly type: DefectType;
  /** Driver(s) affected. */
  readonly drivers: readonly string[];
  /** The simulator defects that realize it. */
  readonly defects: SimDefects;
  /** Plain description (`"rub & buzz −35 dB on tweeter"`). */
  readonly description: string;
}

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function lineRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draw one defect for a unit of a model with these drivers (kinds by id). */
export function drawDefect(
  rand: () => number,
  drivers: readonly { id: string; kind: string }[],
  passbandsHz: Readonly<Record<string, readonly [number, number]>> = {},
): PlannedDefect {
  const type = DEFECT_TYPES[Math.floor(rand() * DEFECT_TYPES.length)]!;
  const pick = () => drivers[Math.floor(rand() * drivers.length)]!.id;
  switch (type) {
    case "polarity": {
      const d = pick();
      return {
        type,
        drivers: [d],
        defects: { drivers: { [d]: { polarity: -1 } } },
        description: `reversed polarity on ${d}`,
      };
    }
    case "dead-driver": {
      const d = pick();
      return {
        type,
        drivers: [d],
        defects: { drivers: { [d]: { dead: true } } },
        description: `dead ${d}`,
      };
    }
    case "rub-buzz": {
      const d = pick();
      const levelDb = -40 + 10 * rand();
      return {
        type,
        drivers: [d],
        defects: { drivers: { [d]: { rubBuzzLevel: Math.pow(10, levelDb / 20) } } },
        description: `rub & buzz ${levelDb.toFixed(1)} dB on ${d}`,
      };
    }
    case "sensitivity": {
      const d = pick();
      return {
        type,
        drivers: [d],
        defects: { drivers: { [d]: { sensitivityOffsetDb: -4 } } },
        description: `−4 dB sensitivity on ${d}`,
      };
    }
    case "air-leak": {
      const d = drivers.find((x) => x.kind === "woofer")?.id ?? drivers[0]!.id;
      const hz = 100 + 100 * rand();
      return {
        type,
        drivers: [d],
        defects: { drivers: { [d]: { airLeakHz: hz } } },
        description: `air leak (high-pass ${hz.toFixed(0)} Hz) on ${d}`,
      };
    }
    case "swapped-wiring": {
      const n = drivers.length;
      const i = Math.floor(rand() * n);
      const j = (i + 1 + Math.floor(rand() * (n - 1))) % n;
      const wiring = drivers.map((_, k) => k);
      wiring[i] = j;
      wiring[j] = i;
      return {
        type,
        drivers: [drivers[i]!.id, drivers[j]!.id],
        defects: { wiring },
        description: `${drivers[i]!.id} and ${drivers[j]!.id} wired to each other's outputs`,
      };
    }
    case "resonance": {
      const d = pick();
      const [lo, hi] = resonanceRange(passbandsHz[d]);
      const hz = lo * Math.pow(hi / lo, rand());
      return {
        type,
        drivers: [d],
        defects: { drivers: { [d]: { resonance: { hz, q: 10, gainDb: 3 } } } },
        description: `+3 dB resonance (Q 10) at ${hz.toFixed(0)} Hz on ${d}`,
      };
    }
  }
}

/** Options of {@linkcode runLine}. */
export interface LineOptions {
  /** Model name from `fixtures/devices/`. */
  readonly model: string;
  /** Units to run through the line, integer in [1, 1e6]. */
  readonly units: number;
  /** Probability that a unit has one defect, 0..1. */
  readonly defectRate: number;
  /** Integer seed of the defect draws, serials and noise. */
  readonly seed: number;
  /** Golden units for the limits (>= 3). Default 30. */
  readonly goldenUnits?: number;
  /** Station setup. Default {@linkcode DEFAULT_STATION}. */
  readonly station?: StationConfig;
  /** Options of the limits computed from the golden units (unused with `limits`). */
  readonly limitsOptions?: ComputeLimitsOptions;
  /** Limits to use instead of measuring golden units. */
  readonly limits?: Limits;
  /** Called after each unit (progress, records). */
  readonly onUnit?: (result: LineUnitResult, index: number) => void | Promise<void>;
}

/** One unit through the line. */
export interface LineUnitResult {
  /** The unit's serial (`LINE-<seed>-<index>`). */
  readonly serial: string;
  /** The seeded defect; null for a good unit. */
  readonly defect: PlannedDefect | null;
  /** The verification result; null when `invalid` is set. */
  readonly verdict: VerifyResult | null;
  /** Set when the measurement could not be judged (retest). */
  readonly invalid: string | null;
  /** Compute time after capture (separation + verification), ms. */
  readonly computeMs: number;
  /** Stimulus + tail of the one pass, seconds (time on the station). */
  readonly captureSeconds: number;
  /** What sequential sweeps would have taken, seconds. */
  readonly sequentialSeconds: number;
}

/** Confusion-matrix row. */
export interface ConfusionRow {
  /** Units of this type, invalid ones included. */
  readonly units: number;
  /** Failed units (defective: caught; good: false rejects). */
  readonly failed: number;
  /** Passed units (defective: missed). */
  readonly passed: number;
  /** Defective units failed by the check meant for the defect. */
  readonly byExpectedCheck: number;
  /** Units whose measurement could not be judged (retest). */
  readonly invalid: number;
}

/** The line's summary. */
export interface LineSummary {
  /** Model name. */
  readonly model: string;
  /** Units run through the line. */
  readonly units: number;
  /** Golden units measured for the limits; 0 when limits were given. */
  readonly goldenUnits: number;
  /** SHA-256 (hex) of the limits used. */
  readonly limitsSha256: string;
  /** One row per defect type and one for good units. */
  readonly confusion: Readonly<Record<DefectType | "good", ConfusionRow>>;
  /** Passed units in percent of all units (invalid ones count as not passed). */
  readonly yieldPercent: number;
  /** Failed good units in percent of the judged good units. */
  readonly falseRejectPercent: number;
  /** Defective units that passed, with their defect. */
  readonly missed: readonly { serial: string; description: string }[];
  /** Good units that failed, with the violations' reasons. */
  readonly falseRejects: readonly { serial: string; reasons: readonly string[] }[];
  /** Capture time of one pass, seconds (the first unit's; 0 without units). */
  readonly captureSeconds: number;
  /** What sequential sweeps would have taken, seconds (the first unit's; 0 without units). */
  readonly sequentialSeconds: number;
  /** Mean compute time per unit after capture, ms. */
  readonly computeMsMean: number;
  /** Maximum compute time per unit after capture, ms. */
  readonly computeMsMax: number;
  /** Cycle time per unit: capture + mean compute, seconds. */
  readonly cycleSeconds: number;
}

/**
 * Run a virtual line (see the module documentation).
 *
 * @throws {RangeError} for a bad unit count, defect rate or golden count.
 */
export async function runLine(options: LineOptions): Promise<{
  summary: LineSummary;
  results: LineUnitResult[];
  limits: Limits;
}> {
  const { model, units, defectRate, seed } = options;
  if (!Number.isInteger(units) || units < 1 || units > 1e6) {
    throw new RangeError(
      `Cannot run line as units must be an integer between 1 and 1000000: current value is ${units}`,
    );
  }
  if (!(defectRate >= 0 && defectRate <= 1)) {
    throw new RangeError(
      `Cannot run line as defectRate must be between 0 and 1: current value is ${defectRate}`,
    );
  }
  if (!Number.isInteger(seed)) {
    throw new RangeError(`Cannot run line as seed must be an integer: current value is ${seed}`);
  }
  const station = options.station ?? DEFAULT_STATION;
  const goldenCount = options.goldenUnits ?? 30;
  let limits = options.limits;
  if (!limits) {
    if (!Number.isInteger(goldenCount) || goldenCount < 3) {
      throw new RangeError(
        `Cannot run line as goldenUnits must be an integer >= 3: current value is ${goldenCount}`,
      );
    }
    const golden: UnitMeasurement[] = [];
    for (let g = 0; g < goldenCount; g++) {
      const serial = `GOLD-${seed}-${String(g).padStart(4, "0")}`;
      golden.push(
        (await measureSimUnit({ model, serial, station, seed: seed + 7919 * (g + 1) })).unit,
      );
    }
    limits = await computeLimits(golden, options.limitsOptions ?? {});
  }
  const rand = lineRandom(seed);
  const { drivers, passbands } = await lineDrivers(model, station, limits);
  const results: LineUnitResult[] = [];
  for (let u = 0; u < units; u++) {
    const serial = `LINE-${seed}-${String(u).padStart(6, "0")}`;
    const defect = rand() < defectRate ? drawDefect(rand, drivers, passbands) : null;
    const captured = await measureSimUnit({
      model,
      serial,
      station,
      seed: seed * 1000003 + u,
      ...(defect ? { defects: defect.defects } : {}),
    });
    // Compute after capture = separation of the recording + verification
    // (the simulator's synthesis stands for the physical playback).
    const t0 = performance.now();
    let verdict: VerifyResult | null = null;
    let invalid: string | null = null;
    try {
      verdict = verifyUnit(captured.unit, limits);
    } catch (e) {
      invalid = (e as Error).message;
    }
    const computeMs = performance.now() - t0 + captured.measurement.separationMs;
    const result: LineUnitResult = {
      serial,
      defect,
      verdict,
      invalid,
      computeMs,
      captureSeconds: captured.captureSeconds,
      sequentialSeconds: captured.sequentialSeconds,
    };
    results.push(result);
    if (options.onUnit) await options.onUnit(result, u);
  }
  return {
    summary: summarize(model, results, limits, options.limits ? 0 : goldenCount),
    results,
    limits,
  };
}

function summarize(
  model: string,
  results: readonly LineUnitResult[],
  limits: Limits,
  goldenUnits: number,
): LineSummary {
  const empty = (): {
    units: number;
    failed: number;
    passed: number;
    byExpectedCheck: number;
    invalid: number;
  } => ({
    units: 0,
    failed: 0,
    passed: 0,
    byExpectedCheck: 0,
    invalid: 0,
  });
  const confusion = Object.fromEntries(
    [...DEFECT_TYPES, "good"].map((k) => [k, empty()]),
  ) as Record<DefectType | "good", ReturnType<typeof empty>>;
  const missed: { serial: string; description: string }[] = [];
  const falseRejects: { serial: string; reasons: string[] }[] = [];
  for (const r of results) {
    const row = confusion[r.defect?.type ?? "good"];
    row.units++;
    if (r.invalid !== null) {
      row.invalid++;
      continue;
    }
    if (r.verdict!.passed) {
      row.passed++;
      if (r.defect) missed.push({ serial: r.serial, description: r.defect.description });
    } else {
      row.failed++;
      if (r.defect) {
        const expected = EXPECTED_CHECK[r.defect.type];
        if (r.verdict!.violations.some((v) => v.check === expected)) row.byExpectedCheck++;
      } else {
        falseRejects.push({
          serial: r.serial,
          reasons: r.verdict!.violations.map((v) => v.reason),
        });
      }
    }
  }
  const good = confusion.good;
  const passedAll = results.filter((r) => r.verdict?.passed).length;
  const compute = results.map((r) => r.computeMs);
  const captureSeconds = results[0]?.captureSeconds ?? 0;
  const computeMsMean = compute.reduce((s, v) => s + v, 0) / Math.max(1, compute.length);
  return {
    model,
    units: results.length,
    goldenUnits,
    limitsSha256: limits.sha256,
    confusion,
    yieldPercent: (100 * passedAll) / Math.max(1, results.length),
    falseRejectPercent: (100 * good.failed) / Math.max(1, good.units - good.invalid),
    missed,
    falseRejects,
    captureSeconds,
    sequentialSeconds: results[0]?.sequentialSeconds ?? 0,
    computeMsMean,
    computeMsMax: Math.max(0, ...compute),
    cycleSeconds: captureSeconds + computeMsMean / 1000,
  };
}

/** The confusion matrix as a plain-text table. */
export function formatConfusion(summary: LineSummary): string {
  const lines = [
    "unit type        units  caught  missed  by expected check  invalid",
  ];
  for (const t of DEFECT_TYPES) {
    const r = summary.confusion[t];
    lines.push(
      `${t.padEnd(16)} ${String(r.units).padStart(5)}  ${String(r.failed).padStart(6)}  ${
        String(r.passed).padStart(6)
      }  ${String(r.byExpectedCheck).padStart(17)}  ${String(r.invalid).padStart(7)}`,
    );
  }
  const g = summary.confusion.good;
  lines.push(
    `${"good".padEnd(16)} ${
      String(g.units).padStart(5)
    }  passed ${g.passed}, false rejects ${g.failed} (${
      summary.falseRejectPercent.toFixed(2)
    } %), invalid ${g.invalid}`,
  );
  return lines.join("\n");
}

/**
 * The drivers (id, kind) of `model` as the station sees them, and each
 * driver's passband from the limits: what a virtual line draws defects for.
 */
export async function lineDrivers(
  model: string,
  station: StationConfig,
  limits: Limits,
): Promise<{
  drivers: { id: string; kind: string }[];
  passbands: Record<string, Limits["driverLimits"][string]["passbandHz"]>;
}> {
  const probe = createSimDevice({
    model,
    serial: "nominal",
    mics: "reference",
    sampleRate: station.sampleRate,
  });
  const drivers = probe.outputs.map((o) => ({ id: o.id, kind: o.kind }));
  await probe.close();
  const passbands = Object.fromEntries(
    Object.entries(limits.driverLimits).map(([id, dl]) => [id, dl.passbandHz]),
  );
  return { drivers, passbands };
}
