/**
 * Line verification of one unit against golden limits.
 *
 * A unit that fails is a result, `{ passed: false, violations }`, each
 * violation naming the check, the driver, the band (for response checks), the
 * measured value, the limit and the reason in plain words. A measurement that
 * cannot be judged — too noisy (retest), clipped, silent, made for another
 * model or sample rate, missing a driver — throws {@linkcode InputError}: it
 * is neither a pass nor a fail. So does a check without its evidence: limits
 * whose drivers are not the unit's, a station setup (mic position and sweep)
 * missing on either side, harmonic IRs that are silent (all zero, or far
 * below the noise every measured response carries) or not finite.
 *
 * Checks per driver (features as in `limits.ts`):
 * - dead driver: sensitivity below the golden mean − `deadDropDb` (the other
 *   checks of that driver are skipped: they would only repeat it);
 * - swapped drivers: the IR correlates better (by `swapMargin`, normalized
 *   correlation magnitude) with another driver's golden IR than with its own —
 *   a different position or response in the box, i.e. crossed wiring;
 * - polarity: the correlation with its own golden IR is negative;
 * - frequency response: every passband band inside `μ ± (k·σ + guard)`;
 * - sensitivity: the band-averaged level inside its limits;
 * - THD and rub & buzz (harmonics >= 10) below their ceilings;
 * - air leak: the loss in the passband's lowest octave, relative to golden and
 *   after removing the unit's sensitivity offset, below its ceiling;
 * - with version-2 limits (`driverLimits.<id>.fine`): fine response (the
 *   1/24-octave shape, the unit's sensitivity removed) and narrow resonance
 *   (each 1/24-octave band against the running median of its neighbours)
 *   inside their per-band limits; one violation per driver and check, at the
 *   band that breaks its limit by the most.
 *
 * @module
 */
import { join } from "node:path";
import { InputError } from "../io/errors.ts";
import { sha256Hex } from "../io/atomic.ts";
import { MANIFEST_FILE_NAME, type MeasurementSet } from "../io/manifest.ts";
import type { FilterBundle, LoadedBundle } from "./bundle.ts";
import { evaluateBundle } from "./evaluate.ts";
import { driverBandRanges } from "./golden.ts";
import {
  analysisBands,
  driverFeatures,
  fineBandCenters,
  fineFeatures,
  fineLevelsDb,
  type FineLimits,
  type Limits,
  normalizedCorrelation,
  powerAverageDb,
  RUB_BUZZ_MIN_ORDER,
  setupDifference,
  thdPercentToDb,
  type UnitMeasurement,
} from "./limits.ts";

/** The checks a violation can name. */
export type CheckName =
  | "dead-driver"
  | "swapped-drivers"
  | "polarity"
  | "frequency-response"
  | "sensitivity"
  | "thd"
  | "rub-buzz"
  | "air-leak"
  | "fine-response"
  | "narrow-resonance"
  | "ctc-separation";

/** One failed check. */
export interface Violation {
  /** The check that failed. */
  readonly check: CheckName;
  /** Driver id the violation is about. */
  readonly driver: string;
  /** Band centre in Hz, for frequency-response violations. */
  readonly band?: number;
  /** The measured value (dB, %, or correlation; see `reason`). */
  readonly value: number;
  /** The limit it broke. */
  readonly limit: number;
  /** What is wrong, in plain words. */
  readonly reason: string;
}

/** What was measured on one driver. */
export interface DriverMetrics {
  /**
   * Power-averaged band level over the passband above its lowest octave (the
   * whole passband if under two octaves), dB re unity gain.
   */
  readonly sensitivityDb: number;
  /** Sensitivity minus the golden mean, dB. */
  readonly sensitivityDeltaDb: number;
  /** THD (harmonics 2–5) in percent of the fundamental. */
  readonly thdPercent: number;
  /** Harmonics >= 10 re the fundamental, dB (`FLOOR_DB`, −200, when not measured). */
  readonly rubBuzzDb: number;
  /** Low-octave loss re golden after removing the sensitivity offset, dB. */
  readonly airLeakDb: number;
  /** Normalized correlation with its own golden IR (−1..1). */
  readonly correlation: number;
  /** The other driver whose golden IR correlates best, and that correlation's magnitude. */
  readonly bestOtherDriver: string | null;
  /** |correlation| with `bestOtherDriver`'s golden IR (0..1; 0 when there is none). */
  readonly bestOtherCorrelation: number;
  /** Level of the IR's last quarter, dB re 1. */
  readonly noiseFloorDb: number;
  /** Smallest distance from a band level to its nearer limit, dB (negative = outside). */
  readonly worstBandMarginDb: number;
  /** Fine response: smallest distance to a limit, dB (negative = outside); absent without fine limits. */
  readonly worstFineMarginDb?: number;
  /** Narrow resonance: smallest distance to a limit, dB (negative = outside); absent without fine limits. */
  readonly worstResonanceMarginDb?: number;
}

/** The verdict on one unit. */
export interface VerifyResult {
  /** True exactly when `violations` is empty. */
  readonly passed: boolean;
  /** The unit's serial. */
  readonly serial: string;
  /** The unit's model. */
  readonly model: string;
  /** SHA-256 (hex) of the limits used. */
  readonly limitsSha256: string;
  /** Every failed check. */
  readonly violations: readonly Violation[];
  /** Measured values per driver id (every driver of the limits). */
  readonly metrics: { readonly drivers: Readonly<Record<string, DriverMetrics>> };
  /** Capture warnings, prefixed with the driver id (`"woofer: low SNR"`). */
  readonly warnings: readonly string[];
}

/** Options of {@linkcode verifyUnit}. */
export interface VerifyOptions {
  /** Name of the limits file for messages. Default "limits". */
  readonly limitsFile?: string;
  /** Recording peak (dBFS) at or above which a capture counts as clipped. Default −0.1. */
  readonly clipDbfs?: number;
}

const fmt = (v: number, digits = 1) => v.toFixed(digits);

/**
 * Verify one unit against limits (see the module documentation).
 *
 * @param unit The unit's captures at the reference microphone.
 * @param limits Golden limits for the unit's model and sample rate.
 * @param options File name for messages, clipping threshold.
 * @returns `{ passed, violations, metrics, warnings }`.
 * @throws {InputError} when the measurement cannot be judged (see the module documentation).
 *
 * @example
 * ```ts ignore
 * import { verifyUnit } from "./verify.ts";
 * const verdict = verifyUnit(unit, limits);
 * for (const v of verdict.violations) console.log(v.reason);
 * ```
 */
export function verifyUnit(
  unit: UnitMeasurement,
  limits: Limits,
  options: VerifyOptions = {},
): VerifyResult {
  const file = unit.source?.path ?? `unit ${unit.serial}`;
  const limitsFile = options.limitsFile ?? "limits";
  const clipDbfs = options.clipDbfs ?? -0.1;
  const invalid = (field: string, message: string, value: unknown): never => {
    throw new InputError(`Cannot verify unit ${unit.serial} as ${message}`, { file, field, value });
  };
  if (unit.model !== limits.model) {
    invalid(
      "device.model",
      `the limits "${limitsFile}" are for model "${limits.model}" but the unit is "${unit.model}"`,
      unit.model,
    );
  }
  if (unit.sampleRate !== limits.sampleRate) {
    invalid(
      "sampleRate",
      `the limits "${limitsFile}" are for ${limits.sampleRate} Hz but the measurement is at ${unit.sampleRate} Hz`,
      unit.sampleRate,
    );
  }
  // Every driver of the unit is judged: limits for fewer (or other) drivers cannot vouch for it.
  const sorted = (ids: readonly string[]) => [...ids].sort().join(", ");
  if (sorted(limits.drivers) !== sorted(unit.drivers)) {
    invalid(
      "device.drivers",
      `the limits "${limitsFile}" cover drivers ${limits.drivers.join(", ")} but the unit has ${
        unit.drivers.join(", ")
      }: use limits made for this model's drivers`,
      unit.drivers,
    );
  }
  for (const id of limits.drivers) {
    if (!unit.captures.some((c) => c.driver === id)) {
      invalid(
        "captures",
        `the measurement has no reference-microphone capture of driver "${id}" (it has ${
          unit.captures.map((c) => c.driver).join(", ") || "none"
        }); measure every driver`,
        id,
      );
    }
  }
  for (const c of unit.captures) {
    if (c.ir.length < limits.analysis.referenceIrSamples) {
      invalid(
        "ir",
        `the impulse response of driver "${c.driver}" has ${c.ir.length} samples but the limits compare the first ${limits.analysis.referenceIrSamples}; measure with a longer IR`,
        c.ir.length,
      );
    }
    const clipWarning = (c.warnings ?? []).find((w) => /clip/i.test(w));
    if ((c.peakDbfs !== undefined && c.peakDbfs >= clipDbfs) || clipWarning) {
      invalid(
        "peakDbfs",
        `the capture of driver "${c.driver}" is clipped (peak ${
          c.peakDbfs === undefined ? "unknown" : fmt(c.peakDbfs, 2)
        } dBFS${clipWarning ? `: ${clipWarning}` : ""}); lower the level and retest`,
        c.peakDbfs,
      );
    }
  }
  // A clipped capture is reported first: it is unusable whatever the setup.
  // The setup is evidence too: without the mic position and the sweep (level, band) on both
  // sides, a unit measured at another level or place could pass.
  checkLimitsSetup(limits, { limitsFile, serial: unit.serial, file });
  if (unit.setup?.sweep === undefined) {
    invalid(
      "setup",
      `the measurement records no station setup (${
        unit.setup === undefined ? "mic position and sweep" : "the sweep: its manifest has no sweep"
      }), so it cannot be checked against the limits' (${
        describeSweep(limits.setup!.sweep!)
      }); measure it on the station`,
      unit.setup ?? null,
    );
  }
  const difference = setupDifference(limits.setup!, unit.setup!);
  if (difference !== undefined) {
    invalid("setup", `${difference}; measure as the golden units were`, unit.setup);
  }
  for (const id of limits.drivers) {
    const orders = unit.captures.find((x) => x.driver === id)!.harmonics.length;
    if (orders < RUB_BUZZ_MIN_ORDER - 1) {
      invalid(
        "harmonics",
        `the capture of driver "${id}" has ${
          orders === 0 ? "no harmonic IRs" : `harmonic IRs of orders 2..${orders + 1} only`
        }, so THD and rub & buzz cannot be judged (they need orders 2..${RUB_BUZZ_MIN_ORDER}); measure on the line station (multiple sweeps keep orders up to 30)`,
        orders,
      );
    }
  }
  for (const id of limits.drivers) {
    checkEvidence(unit.captures.find((x) => x.driver === id)!, invalid);
  }
  const fs = limits.sampleRate;
  const analysis = limits.analysis;
  const bands = analysisBands(analysis);
  const features = new Map(
    limits.drivers.map((id) => {
      const c = unit.captures.find((x) => x.driver === id)!;
      return [id, { capture: c, f: driverFeatures(c, fs, analysis) }] as const;
    }),
  );
  const bandIndex = (hz: number) => {
    let best = 0;
    for (let b = 0; b < bands.centerHz.length; b++) {
      if (
        Math.abs(Math.log(bands.centerHz[b]! / hz)) < Math.abs(Math.log(bands.centerHz[best]! / hz))
      ) best = b;
    }
    return best;
  };
  // Sensitivities first: they decide "silent" and "dead".
  const sens = new Map<string, { sensitivityDb: number; lowDb: number }>();
  for (const id of limits.drivers) {
    const dl = limits.driverLimits[id]!;
    const passband: [number, number] = [
      bandIndex(dl.bands[0]!.centerHz),
      bandIndex(dl.bands[dl.bands.length - 1]!.centerHz),
    ];
    const ranges = driverBandRanges(passband, analysis.bandsPerOctave);
    const levels = features.get(id)!.f.bandLevelsDb;
    sens.set(id, {
      sensitivityDb: powerAverageDb(levels, ranges.sensitivity[0], ranges.sensitivity[1]),
      lowDb: powerAverageDb(levels, ranges.low[0], ranges.low[1]),
    });
  }
  const deadIds = limits.drivers.filter((id) =>
    sens.get(id)!.sensitivityDb < limits.driverLimits[id]!.deadBelowDb
  );
  if (deadIds.length === limits.drivers.length) {
    invalid(
      "captures",
      "every driver's capture is silent (no driver within " +
        `${limits.rules.deadDropDb} dB of its golden level); check the microphone and cabling and retest`,
      "silent",
    );
  }
  // Too noisy: the median driver's noise floor far above the golden maximum.
  const noiseExcess = limits.drivers.map((id) =>
    features.get(id)!.f.noiseFloorDb - limits.driverLimits[id]!.noiseFloor.maxDb
  ).sort((a, b) => a - b);
  const medianExcess = noiseExcess[Math.floor(noiseExcess.length / 2)]!;
  if (medianExcess > limits.rules.noiseMarginDb) {
    invalid(
      "noiseFloorDb",
      `the measurement is too noisy to judge: the noise floor is ${
        fmt(medianExcess)
      } dB above the golden units' (allowed ${limits.rules.noiseMarginDb} dB); quiet the test box and retest`,
      medianExcess,
    );
  }
  const violations: Violation[] = [];
  const metrics: Record<string, DriverMetrics> = {};
  const warnings: string[] = [];
  for (const c of unit.captures) {
    for (const w of c.warnings ?? []) warnings.push(`${c.driver}: ${w}`);
  }
  for (const id of limits.drivers) {
    if (!deadIds.includes(id)) {
      checkHarmonicsAgainstGolden(id, features.get(id)!.f, limits.driverLimits[id]!, invalid);
    }
  }
  for (const id of limits.drivers) {
    const dl = limits.driverLimits[id]!;
    const { capture, f } = features.get(id)!;
    const { sensitivityDb, lowDb } = sens.get(id)!;
    const refLength = analysis.referenceIrSamples;
    const correlation = normalizedCorrelation(capture.ir, dl.referenceIr, refLength);
    let bestOtherDriver: string | null = null, bestOtherCorrelation = 0;
    for (const other of limits.drivers) {
      if (other === id) continue;
      const r = Math.abs(
        normalizedCorrelation(capture.ir, limits.driverLimits[other]!.referenceIr, refLength),
      );
      if (r > bestOtherCorrelation) {
        bestOtherCorrelation = r;
        bestOtherDriver = other;
      }
    }
    // Air leak: low-octave loss re golden minus the overall sensitivity loss.
    const lowLoss = dl.lowOctaveMeanDb - lowDb - (dl.sensitivity.meanDb - sensitivityDb);
    let worstBandMarginDb = Infinity;
    for (const b of dl.bands) {
      const level = f.bandLevelsDb[bandIndex(b.centerHz)]!;
      worstBandMarginDb = Math.min(worstBandMarginDb, level - b.lowerDb, b.upperDb - level);
    }
    const fine = dl.fine === undefined || deadIds.includes(id)
      ? undefined
      : judgeFine(id, capture.ir, dl.fine, sensitivityDb, fs, analysis);
    metrics[id] = {
      ...(fine === undefined ? {} : {
        worstFineMarginDb: fine.shapeMarginDb,
        worstResonanceMarginDb: fine.residualMarginDb,
      }),
      sensitivityDb,
      sensitivityDeltaDb: sensitivityDb - dl.sensitivity.meanDb,
      thdPercent: f.thdPercent,
      rubBuzzDb: f.rubBuzzDb,
      airLeakDb: lowLoss,
      correlation,
      bestOtherDriver,
      bestOtherCorrelation,
      noiseFloorDb: f.noiseFloorDb,
      worstBandMarginDb,
    };
    if (deadIds.includes(id)) {
      violations.push({
        check: "dead-driver",
        driver: id,
        value: sensitivityDb,
        limit: dl.deadBelowDb,
        reason: `${id} is dead or disconnected: its level is ${
          fmt(dl.sensitivity.meanDb - sensitivityDb)
        } dB below the golden units' (more than ${limits.rules.deadDropDb} dB)`,
      });
      continue;
    }
    if (
      bestOtherDriver !== null &&
      bestOtherCorrelation > Math.abs(correlation) + limits.rules.swapMargin
    ) {
      violations.push({
        check: "swapped-drivers",
        driver: id,
        value: bestOtherCorrelation,
        limit: Math.abs(correlation) + limits.rules.swapMargin,
        reason: `the signal sent to ${id} comes out of what sounds like ${bestOtherDriver} ` +
          `(response matches ${bestOtherDriver}'s golden response, correlation ${
            fmt(bestOtherCorrelation, 2)
          }, better than ${id}'s own, ${
            fmt(Math.abs(correlation), 2)
          }): drivers wired to the wrong outputs`,
      });
      continue;
    }
    if (correlation < 0) {
      violations.push({
        check: "polarity",
        driver: id,
        value: correlation,
        limit: 0,
        reason:
          `${id} is connected with reversed polarity (its impulse response is inverted against the golden units', correlation ${
            fmt(correlation, 2)
          })`,
      });
    }
    for (const b of dl.bands) {
      const level = f.bandLevelsDb[bandIndex(b.centerHz)]!;
      if (level < b.lowerDb || level > b.upperDb) {
        const low = level < b.lowerDb;
        violations.push({
          check: "frequency-response",
          driver: id,
          band: b.centerHz,
          value: level,
          limit: low ? b.lowerDb : b.upperDb,
          reason: `${id} response at ${hz(b.centerHz)} is ${fmt(Math.abs(level - b.meanDb))} dB ${
            low ? "below" : "above"
          } the golden mean (allowed ${fmt(low ? b.meanDb - b.lowerDb : b.upperDb - b.meanDb)} dB)`,
        });
      }
    }
    if (fine !== undefined) violations.push(...fine.violations);
    const s = dl.sensitivity;
    if (sensitivityDb < s.lowerDb || sensitivityDb > s.upperDb) {
      const low = sensitivityDb < s.lowerDb;
      violations.push({
        check: "sensitivity",
        driver: id,
        value: sensitivityDb,
        limit: low ? s.lowerDb : s.upperDb,
        reason: `${id} is ${fmt(Math.abs(sensitivityDb - s.meanDb))} dB too ${
          low ? "quiet" : "loud"
        } (allowed ±${fmt(s.upperDb - s.meanDb)} dB from the golden units)`,
      });
    }
    const thdDb = thdPercentToDb(f.thdPercent);
    if (thdDb > dl.thd.ceilingDb) {
      const ceilingPercent = 100 * Math.pow(10, dl.thd.ceilingDb / 20);
      violations.push({
        check: "thd",
        driver: id,
        value: f.thdPercent,
        limit: ceilingPercent,
        reason: `${id} distorts too much: THD ${fmt(f.thdPercent, 2)} % (allowed ${
          fmt(ceilingPercent, 2)
        } %)`,
      });
    }
    if (f.rubBuzzDb > dl.rubBuzz.ceilingDb) {
      violations.push({
        check: "rub-buzz",
        driver: id,
        value: f.rubBuzzDb,
        limit: dl.rubBuzz.ceilingDb,
        reason: `${id} rubs or buzzes: high-order harmonics (10th and up) at ${
          fmt(f.rubBuzzDb)
        } dB re the fundamental (allowed ${fmt(dl.rubBuzz.ceilingDb)} dB)`,
      });
    }
    if (lowLoss > dl.airLeak.ceilingDb) {
      violations.push({
        check: "air-leak",
        driver: id,
        value: lowLoss,
        limit: dl.airLeak.ceilingDb,
        reason: `${id} loses ${fmt(lowLoss)} dB of bass (${hz(dl.lowOctaveHz[0])}–${
          hz(dl.lowOctaveHz[1])
        }) against the golden units (allowed ${
          fmt(dl.airLeak.ceilingDb)
        } dB): an air leak in the enclosure?`,
      });
    }
  }
  return {
    passed: violations.length === 0,
    serial: unit.serial,
    model: unit.model,
    limitsSha256: limits.sha256,
    violations,
    metrics: { drivers: metrics },
    warnings,
  };
}

/**
 * Refuse limits that record no station setup (mic position and sweep): a
 * unit could not be checked against it, so it could not be judged. Called by
 * {@linkcode verifyUnit} and, before measuring, by `verify --device`.
 *
 * @param limits The limits.
 * @param names The limits file, the unit's serial and the file named in the error.
 * @throws {InputError} (field `setup`) naming the limits file.
 */
export function checkLimitsSetup(
  limits: Limits,
  names: { limitsFile: string; serial: string; file?: string },
): void {
  if (limits.setup?.sweep !== undefined) return;
  throw new InputError(
    `Cannot verify unit ${names.serial} as the limits "${names.limitsFile}" record no station setup (${
      limits.setup === undefined ? "mic position and sweep" : "sweep"
    }), so the unit's cannot be checked against it; make the limits with golden from measured sets`,
    { file: names.file ?? names.limitsFile, field: "setup", value: limits.setup ?? null },
  );
}

/** A sweep in words: `20–20000 Hz at -12 dBFS`. */
function describeSweep(s: NonNullable<NonNullable<Limits["setup"]>["sweep"]>): string {
  return `${s.startHz}–${s.endHz} Hz at ${s.levelDbfs} dBFS`;
}

/**
 * How far below the golden units' mean a unit's THD or rub & buzz may lie, in
 * dB: units of one model spread by a few dB; 60 dB below all of them is a
 * response zeroed or scaled away, not a measurement.
 */
const SILENT_HARMONIC_MARGIN_DB = 60;

/** Refuse a capture whose IR or harmonic IRs are not finite, or whose harmonic IRs are silent. */
function checkEvidence(
  c: { driver: string; ir: Float64Array; harmonics: readonly Float64Array[] },
  invalid: (field: string, message: string, value: unknown) => never,
): void {
  const meanSquare = (x: Float64Array, from = 0) => {
    let e = 0;
    for (let i = from; i < x.length; i++) e += x[i]! * x[i]!;
    return e / Math.max(1, x.length - from);
  };
  const nonFinite = (x: Float64Array) => x.findIndex((v) => !Number.isFinite(v));
  const bad = nonFinite(c.ir);
  if (bad >= 0) {
    invalid(
      "ir",
      `the impulse response of driver "${c.driver}" is not finite (sample ${bad} is ${
        c.ir[bad]
      }); measure it again`,
      c.ir[bad],
    );
  }
  c.harmonics.forEach((h, k) => {
    const order = k + 2;
    const at = nonFinite(h);
    if (at >= 0) {
      invalid(
        "harmonics",
        `the harmonic IR of order ${order} of driver "${c.driver}" is not finite (sample ${at} is ${
          h[at]
        }), so THD and rub & buzz cannot be judged; measure it again`,
        h[at],
      );
    }
    if (meanSquare(h) === 0) {
      invalid(
        "harmonics",
        `the harmonic IR of order ${order} of driver "${c.driver}" is silent (all zero), which no measurement gives, so THD and rub & buzz cannot be judged; measure it again`,
        0,
      );
    }
  });
}

/**
 * Refuse harmonics far quieter than every golden unit's: a response that was
 * zeroed or scaled away after the measurement. Judged against the golden
 * units measured the same way (not against the capture's own noise: a purely
 * digital, linear path such as a loopback has harmonic IRs at the arithmetic
 * floor, far below its IR's deconvolution ringing, and its golden units too).
 */
function checkHarmonicsAgainstGolden(
  id: string,
  f: { thdPercent: number; rubBuzzDb: number },
  dl: { thd: { meanDb: number }; rubBuzz: { meanDb: number } },
  invalid: (field: string, message: string, value: unknown) => never,
): void {
  const checks = [
    ["THD", thdPercentToDb(f.thdPercent), dl.thd.meanDb],
    ["rub & buzz", f.rubBuzzDb, dl.rubBuzz.meanDb],
  ] as const;
  for (const [name, valueDb, goldenDb] of checks) {
    if (valueDb < goldenDb - SILENT_HARMONIC_MARGIN_DB) {
      invalid(
        "harmonics",
        `the harmonics of driver "${id}" are silent: its ${name} is ${
          (goldenDb - valueDb).toFixed(0)
        } dB below the golden units' mean (${
          goldenDb.toFixed(1)
        } dB), which no measurement of this model gives, so THD and rub & buzz cannot be judged; measure it again`,
        valueDb,
      );
    }
  }
}

/** The fine checks of one driver: margins and at most one violation per check. */
function judgeFine(
  id: string,
  ir: Float64Array,
  fine: FineLimits,
  sensitivityDb: number,
  sampleRate: number,
  analysis: Limits["analysis"],
): { shapeMarginDb: number; residualMarginDb: number; violations: Violation[] } {
  const all = fineBandCenters(analysis, fine.bandsPerOctave);
  const f = fineFeatures(
    fineLevelsDb(ir, sampleRate, analysis, fine.bandsPerOctave),
    all,
    fine.centerHz,
    fine.bandsPerOctave,
    fine.trendOctaves,
    sensitivityDb,
  );
  const violations: Violation[] = [];
  const judge = (
    values: Float64Array,
    l: FineLimits["shape"],
    check: "fine-response" | "narrow-resonance",
  ): number => {
    let margin = Infinity, at = -1;
    for (let b = 0; b < values.length; b++) {
      const m = Math.min(values[b]! - l.lowerDb[b]!, l.upperDb[b]! - values[b]!);
      if (m < margin) {
        margin = m;
        at = b;
      }
    }
    if (margin < 0 && at >= 0) {
      const v = values[at]!, high = v > l.upperDb[at]!;
      const band = fine.centerHz[at]!;
      const off = Math.abs(v - l.meanDb[at]!);
      const allowed = high ? l.upperDb[at]! - l.meanDb[at]! : l.meanDb[at]! - l.lowerDb[at]!;
      violations.push({
        check,
        driver: id,
        band,
        value: v,
        limit: high ? l.upperDb[at]! : l.lowerDb[at]!,
        reason: check === "narrow-resonance"
          ? `${id} has a narrow ${high ? "peak" : "dip"} at ${hz(band)}: ${fmt(off)} dB ${
            high ? "above" : "below"
          } its neighbours' level relative to the golden units (allowed ${
            fmt(allowed)
          } dB): a resonance, a loose part?`
          : `${id} fine response (1/${fine.bandsPerOctave} octave, level removed) at ${
            hz(band)
          } is ${fmt(off)} dB ${high ? "above" : "below"} the golden mean (allowed ${
            fmt(allowed)
          } dB)`,
      });
    }
    return margin;
  };
  const shapeMarginDb = judge(f.shape, fine.shape, "fine-response");
  const residualMarginDb = judge(f.residual, fine.residual, "narrow-resonance");
  return { shapeMarginDb, residualMarginDb, violations };
}

function hz(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 1 : 2)} kHz` : `${Math.round(v)} Hz`;
}

/** Every check `verifyUnit` runs per driver, in order (for reports that list passes too). */
export const CHECKS: readonly CheckName[] = [
  "dead-driver",
  "swapped-drivers",
  "polarity",
  "frequency-response",
  "sensitivity",
  "thd",
  "rub-buzz",
  "air-leak",
  "fine-response",
  "narrow-resonance",
];

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** Context of a JUnit report. */
export interface JunitContext {
  /** Station name (the report's `hostname` and `station` property). */
  readonly station: string;
  /** ISO 8601 time of the verdict. */
  readonly timestamp: string;
  /** Seconds the verification took. */
  readonly timeSeconds?: number;
}

/**
 * A JUnit XML report of a verdict for line software: one test case per driver
 * and check (`classname` = serial.driver, `name` = check), a `<failure>` with
 * the plain-word reason for each violated one; properties carry serial,
 * model, station and the limits' SHA-256.
 */
export function verdictToJunit(result: VerifyResult, context: JunitContext): string {
  const drivers = Object.keys(result.metrics.drivers);
  const cases: string[] = [];
  let failures = 0;
  for (const d of drivers) {
    const fineJudged = result.metrics.drivers[d]?.worstFineMarginDb !== undefined;
    for (const check of CHECKS) {
      if (!fineJudged && (check === "fine-response" || check === "narrow-resonance")) continue;
      const hits = result.violations.filter((v) => v.driver === d && v.check === check);
      const name = `classname="${xml(`${result.serial}.${d}`)}" name="${check}"`;
      if (hits.length === 0) {
        cases.push(`    <testcase ${name}/>`);
      } else {
        failures++;
        const body = hits.map((h) => h.reason).join("\n");
        cases.push(
          `    <testcase ${name}>\n      <failure type="${check}" message="${
            xml(hits[0]!.reason)
          }">${xml(body)}</failure>\n    </testcase>`,
        );
      }
    }
  }
  return junitDocument(
    result.serial,
    context,
    cases,
    failures,
    0,
    { serial: result.serial, model: result.model, limitsSha256: result.limitsSha256 },
  );
}

/** A JUnit XML report of a measurement that could not be judged (one `<error>` case). */
export function invalidToJunit(serial: string, message: string, context: JunitContext): string {
  const c = `    <testcase classname="${
    xml(serial)
  }" name="measurement">\n      <error type="invalid-measurement" message="${
    xml(message)
  }"/>\n    </testcase>`;
  return junitDocument(serial, context, [c], 0, 1, { serial });
}

function junitDocument(
  serial: string,
  context: JunitContext,
  cases: readonly string[],
  failures: number,
  errors: number,
  properties: Record<string, string>,
): string {
  const props = Object.entries({ ...properties, station: context.station })
    .map(([k, v]) => `      <property name="${xml(k)}" value="${xml(v)}"/>`).join("\n");
  const time = (context.timeSeconds ?? 0).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="spatialcal verify" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${time}">
  <testsuite name="${
    xml(`verify ${serial}`)
  }" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${time}" timestamp="${
    xml(context.timestamp)
  }" hostname="${xml(context.station)}">
    <properties>
${props}
    </properties>
${cases.join("\n")}
  </testsuite>
</testsuites>
`;
}

/** Options of {@linkcode checkBundlePrediction}. */
export interface BundleCheckOptions {
  /**
   * Largest allowed |deviation| in dB of the predicted channel separation from
   * the target curve, worst third-octave band over 300 Hz–6 kHz (default 3:
   * the ±3 dB the fit is specified to). Must be > 0.
   */
  readonly maxDeviationDb?: number;
  /** Name of the bundle folder for messages. */
  readonly bundleFile?: string;
  /**
   * The deviation its filters give, recomputed ({@linkcode recomputeBundleDeviation}): judged
   * instead of the stored `predicted` number, which an edited and re-hashed bundle could keep
   * while its filters are garbage. Without it the stored prediction is judged (only for a
   * bundle whose signature was checked).
   */
  readonly deviationDb?: number;
}

/**
 * The worst-band deviation of a bundle's channel separation from its target,
 * recomputed from its filters on the measurement set it was fitted from
 * (`evaluateBundle` at the set's first binaural position; the direct-sound
 * figure in a reverberant set, as the fit designs on gated responses). The
 * set must be the one `source.sha256` names.
 *
 * @param loaded The bundle as read (its files' hashes checked).
 * @param set The set it was fitted from.
 * @returns The deviation in dB (>= 0).
 * @throws {InputError} for another set (naming both SHA-256s) or a set that gives no separation.
 */
export async function recomputeBundleDeviation(
  loaded: LoadedBundle,
  set: MeasurementSet,
): Promise<number> {
  const manifest = join(set.folder, MANIFEST_FILE_NAME);
  const sha256 = await sha256Hex(await Deno.readFile(manifest));
  if (sha256 !== loaded.bundle.source.sha256) {
    throw new InputError(
      `Cannot check bundle "${loaded.folder}" on "${set.folder}" as it is not the set the bundle was fitted from: source.sha256 is ${loaded.bundle.source.sha256}, its manifest.json has ${sha256}`,
      { file: manifest, field: "source.sha256", value: sha256 },
    );
  }
  const evaluation = await evaluateBundle(loaded.bundle, loaded.filters, set, { beam: false });
  const s = evaluation.summary.separation as Record<string, unknown> | undefined;
  const deviation = s?.directSoundMaxAbsDeviationDb ?? s?.maxAbsDeviationDb;
  if (typeof deviation !== "number" || !Number.isFinite(deviation)) {
    throw new InputError(
      `Cannot check bundle "${loaded.folder}" as its filters give no channel separation on "${set.folder}" (it needs ear-left and ear-right captures of every driver): current value is ${
        JSON.stringify(deviation)
      }`,
      { file: set.folder, field: "captures", value: deviation },
    );
  }
  return deviation;
}

/**
 * The optional line check of a unit's own fitted filters: the bundle must
 * belong to this unit (same model and serial, else {@linkcode InputError}),
 * and the separation the fit predicts at the listening position
 * (`predicted.separation.maxAbsDeviationDb` of `deno task fit`) must stay
 * within `maxDeviationDb` of the target curve. A bundle that misses it is a
 * failed unit (its filters would not deliver the stereo image), not an
 * invalid measurement.
 *
 * @param bundle The unit's validated bundle (`readBundle` checked its files' hashes).
 * @param unit The unit being verified.
 * @param options The tolerance.
 * @returns The violations (empty when the prediction is inside the tolerance).
 * @throws {InputError} for another unit's bundle or a bundle without a separation prediction.
 */
export function checkBundlePrediction(
  bundle: FilterBundle,
  unit: UnitMeasurement,
  options: BundleCheckOptions = {},
): Violation[] {
  const file = options.bundleFile ?? "bundle";
  const maxDeviationDb = options.maxDeviationDb ?? 3;
  if (!(maxDeviationDb > 0 && Number.isFinite(maxDeviationDb))) {
    throw new RangeError(
      `Cannot check bundle as maxDeviationDb must be a positive number of dB: current value is ${maxDeviationDb}`,
    );
  }
  for (const field of ["model", "serial"] as const) {
    if (bundle.device[field] !== unit[field]) {
      throw new InputError(
        `Cannot check bundle "${file}" as it was fitted for ${field} "${
          bundle.device[field]
        }" but the unit is "${unit[field]}"`,
        { file, field: `device.${field}`, value: bundle.device[field] },
      );
    }
  }
  const bundleDrivers = bundle.device.drivers;
  if (bundleDrivers.join("\u0000") !== unit.drivers.join("\u0000")) {
    throw new InputError(
      `Cannot check bundle "${file}" as its filters drive ${
        bundleDrivers.join(", ")
      } but the unit's drivers are ${unit.drivers.join(", ")} (same ids, same order)`,
      { file, field: "device.drivers", value: bundleDrivers },
    );
  }
  const separation = (bundle.predicted as Record<string, unknown>).separation as
    | Record<string, unknown>
    | undefined;
  const deviation = options.deviationDb ?? separation?.maxAbsDeviationDb;
  if (typeof deviation !== "number" || !Number.isFinite(deviation) || deviation < 0) {
    throw new InputError(
      `Cannot check bundle "${file}" as predicted.separation.maxAbsDeviationDb must be a finite number >= 0: current value is ${
        JSON.stringify(deviation)
      }`,
      { file, field: "predicted.separation.maxAbsDeviationDb", value: deviation },
    );
  }
  if (deviation <= maxDeviationDb) return [];
  return [{
    check: "ctc-separation",
    driver: "all",
    value: deviation,
    limit: maxDeviationDb,
    reason: `the unit's fitted filters miss the target channel separation by up to ${
      fmt(deviation)
    } dB (allowed ${fmt(maxDeviationDb)} dB${
      options.deviationDb === undefined
        ? ""
        : `; recomputed from its filters, bundle.json predicted ${
          typeof separation?.maxAbsDeviationDb === "number"
            ? `${fmt(separation.maxAbsDeviationDb)} dB`
            : "nothing"
        }`
    }): refit the unit`,
  }];
}
