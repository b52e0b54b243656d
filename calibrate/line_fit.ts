/**
 * Per-unit filters on the line: estimate a unit's lab plant (binaural and
 * arc responses) from its station capture and a reference unit measured
 * both ways, then fit on that estimate.
 *
 * Model. The station's reference microphone hears each driver d of the unit
 * as `U_d(f)` and of the reference unit as `R_d(f)`. Their ratio
 * `D_d = U_d / R_d` is taken as a property of the driver alone (its
 * sensitivity, resonance, Q, a loose part; the electronics' delay), the same
 * in every direction. So every lab response of the reference unit to driver
 * d — each ear at the listening position, each arc direction — is multiplied
 * by `Ĉ_d`, a smoothed, stable realization of `D_d`:
 * - magnitude: `|U_d|²` and `|R_d|²` each power-smoothed over
 *   `smoothingFraction` octaves (default 1/24: a Q 10 resonance, 0.14 octave
 *   wide, survives), ratio in dB clamped to ±`maxCorrectionDb`; where the
 *   reference driver is more than `passbandDropDb` below its peak (out of its
 *   band, where the ratio is noise) the ratio fades to its in-band power mean;
 * - delay: the lag of the largest cross-correlation of the two IRs, refined by
 *   a parabola through its neighbours (sub-sample), within ±`maxDelaySamples`;
 * - realization: the minimum-phase spectrum of that magnitude (real cepstrum,
 *   `dsp/minimum_phase.ts`: causal and stable, no pre-ringing) times the pure
 *   delay, applied to each lab IR on an FFT grid long enough that nothing wraps.
 *
 * What it cannot see: anything the station microphone, at one direction,
 * does not — a change in a driver's directivity (a tilted or displaced driver,
 * a dented waveguide, an obstruction in one direction), a change between
 * drivers' relative positions (the 0.5 mm position tolerances move the
 * interference pattern at the ears), and the unit's enclosure reflections
 * toward the head. The reference unit's own departures from the estimated
 * unit in those respects stay in the estimate.
 *
 * @module
 */
import { join } from "node:path";
import { realFftPlan, type Spectrum } from "../dsp/fft.ts";
import { nextPowerOfTwo } from "../dsp/fft.ts";
import { smoothSpectrum } from "../dsp/smoothing.ts";
import { minimumPhaseSpectrum } from "../dsp/minimum_phase.ts";
import {
  type MeasurementSet,
  type MeasurementSetManifest,
  readMeasurementSet,
  writeMeasurementSet,
} from "../io/manifest.ts";
import { InputError } from "../io/errors.ts";
import type { UnitMeasurement } from "./limits.ts";

/** Options of {@linkcode stationCorrection} and {@linkcode estimateUnitSet}. */
export interface LineFitOptions {
  /** Smoothing of both station responses, octaves (b of 1/b). Default 24. */
  readonly smoothingFraction?: number;
  /** Largest |correction| in dB. Default 12. */
  readonly maxCorrectionDb?: number;
  /** Below the reference driver's peak by more than this, the correction fades to its in-band mean. Default 30. */
  readonly passbandDropDb?: number;
  /** Largest |delay| estimated, samples. Default 48. */
  readonly maxDelaySamples?: number;
  /** FFT size of the correction. Default 8192 (and at least twice the station IR). */
  readonly fftSize?: number;
  /**
   * Delays smaller than this (samples) are not applied: a sub-sample change at the station
   * mic is mostly geometry toward that one direction (see "cannot see"), not the driver's.
   * Default 0 (every delay applied).
   */
  readonly minDelaySamples?: number;
}

/** One driver's estimated deviation from the reference unit. */
export interface DriverCorrection {
  readonly driver: string;
  /** Delay of the unit re the reference unit, samples (sub-sample). */
  readonly delaySamples: number;
  /** In-band power-mean level difference, dB. */
  readonly levelDb: number;
  /** Largest |magnitude correction| in dB after smoothing and clamping. */
  readonly maxAbsDb: number;
  /** The correction on a real-FFT grid of `fftSize` (N/2 + 1 bins), minimum phase times the delay. */
  readonly spectrum: Spectrum;
  /** Its FFT size. */
  readonly fftSize: number;
}

function power(X: Spectrum): Float64Array {
  const p = new Float64Array(X.re.length);
  for (let k = 0; k < p.length; k++) p[k] = X.re[k]! * X.re[k]! + X.im[k]! * X.im[k]!;
  return p;
}

/** Lag (samples, sub-sample) by which `b` is late against `a`: the peak of their cross-correlation. */
export function relativeDelay(a: Float64Array, b: Float64Array, maxLag: number): number {
  const n = Math.min(a.length, b.length);
  const corr = (lag: number) => {
    let s = 0;
    for (let i = Math.max(0, -lag); i < n && i + lag < n; i++) s += a[i]! * b[i + lag]!;
    return s;
  };
  let best = 0, bestValue = -Infinity;
  const values = new Map<number, number>();
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const v = corr(lag);
    values.set(lag, v);
    if (v > bestValue) {
      bestValue = v;
      best = lag;
    }
  }
  const l = values.get(best - 1) ?? corr(best - 1), r = values.get(best + 1) ?? corr(best + 1);
  const denom = l - 2 * bestValue + r;
  const frac = denom < 0 ? (0.5 * (l - r)) / denom : 0;
  return best + Math.max(-0.5, Math.min(0.5, frac));
}

/**
 * The correction of one driver from its station IRs (see the module documentation).
 *
 * @param driver The driver id.
 * @param reference The reference unit's station IR of the driver.
 * @param unit The unit's station IR of the driver.
 */
export function stationCorrection(
  driver: string,
  reference: Float64Array,
  unit: Float64Array,
  options: LineFitOptions = {},
): DriverCorrection {
  const fraction = options.smoothingFraction ?? 24;
  const maxDb = options.maxCorrectionDb ?? 12;
  const drop = options.passbandDropDb ?? 30;
  const maxLag = options.maxDelaySamples ?? 48;
  const size = Math.max(
    options.fftSize ?? 8192,
    nextPowerOfTwo(2 * Math.max(reference.length, unit.length)),
  );
  const plan = realFftPlan(size);
  const pr = smoothSpectrum(power(plan.forward(reference)), { fraction });
  const pu = smoothSpectrum(power(plan.forward(unit)), { fraction });
  const bins = pr.length;
  let peak = 0;
  for (let k = 1; k < bins; k++) peak = Math.max(peak, pr[k]!);
  const floor = peak * Math.pow(10, -drop / 10);
  // In-band power-mean ratio: what the correction fades to out of band.
  let sumU = 0, sumR = 0;
  for (let k = 1; k < bins; k++) {
    if (pr[k]! >= floor) {
      sumU += pu[k]!;
      sumR += pr[k]!;
    }
  }
  const levelDb = sumR > 0 && sumU > 0 ? 10 * Math.log10(sumU / sumR) : 0;
  const clamp = (db: number) => Math.max(-maxDb, Math.min(maxDb, db));
  const meanDb = clamp(levelDb);
  const magnitude = new Float64Array(bins);
  let maxAbsDb = 0;
  for (let k = 0; k < bins; k++) {
    const ratioDb = pr[k]! > 0 && pu[k]! > 0 ? clamp(10 * Math.log10(pu[k]! / pr[k]!)) : meanDb;
    // Weight 1 in band, fading to 0 over 10 dB below the floor.
    const levelRe = pr[k]! > 0 ? 10 * Math.log10(pr[k]! / floor) : -Infinity;
    const w = Math.max(0, Math.min(1, (levelRe + 10) / 10));
    const db = k === 0 ? meanDb : w * ratioDb + (1 - w) * meanDb;
    maxAbsDb = Math.max(maxAbsDb, Math.abs(db));
    magnitude[k] = Math.pow(10, db / 20);
  }
  const minimum = minimumPhaseSpectrum(magnitude);
  // The excess delay: measured against the reference already corrected in minimum phase, so
  // the group delay of the magnitude change (a shifted resonance) is not counted twice.
  const refSpectrum = plan.forward(reference);
  const cre = new Float64Array(bins), cim = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    cre[k] = refSpectrum.re[k]! * minimum.re[k]! - refSpectrum.im[k]! * minimum.im[k]!;
    cim[k] = refSpectrum.re[k]! * minimum.im[k]! + refSpectrum.im[k]! * minimum.re[k]!;
  }
  const corrected = plan.inverse({ re: cre, im: cim });
  const measuredDelay = relativeDelay(corrected, unit, maxLag);
  const delay = Math.abs(measuredDelay) < (options.minDelaySamples ?? 0) ? 0 : measuredDelay;
  const re = new Float64Array(bins), im = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    const phi = (-2 * Math.PI * k * delay) / size;
    const c = Math.cos(phi), s = Math.sin(phi);
    re[k] = minimum.re[k]! * c - minimum.im[k]! * s;
    im[k] = minimum.re[k]! * s + minimum.im[k]! * c;
  }
  return { driver, delaySamples: delay, levelDb, maxAbsDb, spectrum: { re, im }, fftSize: size };
}

/**
 * Apply a correction to one IR: its spectrum on a grid of at least
 * `ir.length + fftSize` points (the correction interpolated from its own
 * grid through its impulse response), back to `ir.length` samples.
 */
export function applyCorrection(
  ir: Float64Array,
  correction: DriverCorrection,
  cache: Map<string, Spectrum> = new Map(),
): Float64Array {
  // The correction's IR: minimum phase (energy at the start) after a small delay; a negative
  // delay wraps to the end of the period, so it is rotated forward by `shift` before convolving.
  const shift = Math.ceil(Math.max(0, -correction.delaySamples)) + 4;
  const size = nextPowerOfTwo(ir.length + correction.fftSize);
  const plan = realFftPlan(size);
  const key = `${correction.driver}/${size}`;
  let H = cache.get(key);
  if (H === undefined) {
    const h = realFftPlan(correction.fftSize).inverse(correction.spectrum);
    const rotated = new Float64Array(size);
    for (let n = 0; n < correction.fftSize; n++) {
      rotated[n] = h[(n - shift + correction.fftSize) % correction.fftSize]!;
    }
    H = plan.forward(rotated);
    cache.set(key, H);
  }
  const X = plan.forward(ir);
  const re = new Float64Array(X.re.length), im = new Float64Array(X.re.length);
  for (let k = 0; k < re.length; k++) {
    re[k] = X.re[k]! * H.re[k]! - X.im[k]! * H.im[k]!;
    im[k] = X.re[k]! * H.im[k]! + X.im[k]! * H.re[k]!;
  }
  const y = plan.inverse({ re, im });
  // Undo the rotation: output sample n is y[n + shift].
  const out = new Float64Array(ir.length);
  for (let n = 0; n < ir.length; n++) out[n] = y[n + shift] ?? 0;
  return out;
}

/** The inverse of a correction: `1/Ĉ` (minimum phase inverted, the delay turned into an advance). */
export function inverseCorrection(c: DriverCorrection): DriverCorrection {
  const bins = c.spectrum.re.length;
  const re = new Float64Array(bins), im = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    const a = c.spectrum.re[k]!, b = c.spectrum.im[k]!;
    const m = a * a + b * b;
    re[k] = m > 0 ? a / m : 0;
    im[k] = m > 0 ? -b / m : 0;
  }
  return {
    driver: c.driver,
    delaySamples: -c.delaySamples,
    levelDb: -c.levelDb,
    maxAbsDb: c.maxAbsDb,
    spectrum: { re, im },
    fftSize: c.fftSize,
  };
}

/** Each driver's correction from two station measurements of the same model (see the module documentation). */
export function stationCorrections(
  referenceStation: UnitMeasurement,
  unit: UnitMeasurement,
  drivers: readonly string[],
  options: LineFitOptions = {},
): Map<string, DriverCorrection> {
  const out = new Map<string, DriverCorrection>();
  for (const d of drivers) {
    const r = referenceStation.captures.find((c) => c.driver === d);
    const u = unit.captures.find((c) => c.driver === d);
    if (!r || !u) {
      throw new InputError(
        `Cannot estimate the deviation of unit ${unit.serial} as driver "${d}" needs a station capture of both the reference unit and the unit: current value is ${
          !r ? "missing in the reference station measurement" : "missing in the unit's"
        }`,
        { file: unit.source?.path ?? unit.serial, field: "captures", value: d },
      );
    }
    out.set(d, stationCorrection(d, r.ir, u.ir, options));
  }
  return out;
}

/**
 * The fast path: the reference's own filters with each driver's feed divided
 * by its correction, `h'_{i,d} = h_{i,d} * Ĉ_d⁻¹`, so that the estimated plant
 * `Ĉ_d·P_d` driven by `h'` gives what the reference plant gave with `h`. It is
 * exact for every response constraint of the design (separation, beam
 * pattern, nulls: they are linear in `P_d·h_d`) and approximate for what
 * weighs filter energy (regularization, white-noise gain) and for the FIR
 * length (the product is cut back to `taps` samples, keeping the window
 * around the modelling delay). Milliseconds instead of a fit.
 *
 * @param filters `filters[input][driver]` of the reference bundle (driver order `drivers`).
 * @param drivers The bundle's driver order.
 * @param corrections Each driver's correction ({@linkcode stationCorrections}).
 * @returns The corrected filters, float32-rounded, `taps` samples each.
 */
export function correctBundleFilters(
  filters: Readonly<Record<string, readonly Float64Array[]>>,
  drivers: readonly string[],
  corrections: ReadonlyMap<string, DriverCorrection>,
): Record<string, Float64Array[]> {
  const cache = new Map<string, Spectrum>();
  const inverse = new Map(
    drivers.map((d) => [d, inverseCorrection(corrections.get(d)!)] as const),
  );
  const out: Record<string, Float64Array[]> = {};
  for (const [input, perDriver] of Object.entries(filters)) {
    out[input] = perDriver.map((h, i) =>
      applyCorrection(h as Float64Array, inverse.get(drivers[i]!)!, cache).map(Math.fround)
    );
  }
  return out;
}

/** What {@linkcode estimateUnitSet} did. */
export interface UnitEstimate {
  /** The estimated set, opened. */
  readonly set: MeasurementSet;
  /** Per-driver corrections (delay, level, largest |dB|). */
  readonly corrections: readonly Omit<DriverCorrection, "spectrum">[];
  /** Compute time of the corrections and their application, ms (no file writing). */
  readonly computeMs: number;
}

/**
 * Write the estimated lab set of `unit` (see the module documentation): the
 * reference lab set's captures, each driver's IR corrected by the unit's
 * station deviation from the reference unit, under the unit's serial.
 *
 * @param referenceLab The reference unit's full lab set (binaural and/or arc captures).
 * @param referenceStation The reference unit measured on the station.
 * @param unit The unit measured on the same station.
 * @param out Folder of the estimated set (written atomically).
 * @throws {InputError} when the two station measurements or the lab set do not match (model,
 *   sample rate, drivers, setup).
 */
export async function estimateUnitSet(
  referenceLab: MeasurementSet,
  referenceStation: UnitMeasurement,
  unit: UnitMeasurement,
  out: string,
  options: LineFitOptions & { readonly force?: boolean } = {},
): Promise<UnitEstimate> {
  const m = referenceLab.manifest;
  const refuse = (field: string, why: string, value: unknown): never => {
    throw new InputError(`Cannot estimate the lab plant of unit ${unit.serial} as ${why}`, {
      file: referenceLab.folder,
      field,
      value,
    });
  };
  if (m.device.model !== unit.model || referenceStation.model !== unit.model) {
    refuse(
      "device.model",
      `the reference unit is model "${m.device.model}" (station: "${referenceStation.model}") but the unit is "${unit.model}": current value is "${m.device.model}"`,
      m.device.model,
    );
  }
  if (m.sampleRate !== unit.sampleRate || referenceStation.sampleRate !== unit.sampleRate) {
    refuse(
      "sampleRate",
      `the reference lab set (${m.sampleRate} Hz), its station measurement (${referenceStation.sampleRate} Hz) and the unit (${unit.sampleRate} Hz) must share one sample rate: current value is ${m.sampleRate}`,
      m.sampleRate,
    );
  }
  const t0 = performance.now();
  const corrections = new Map<string, DriverCorrection>();
  for (const d of m.device.drivers.map((x) => x.id)) {
    const r = referenceStation.captures.find((c) => c.driver === d);
    const u = unit.captures.find((c) => c.driver === d);
    if (!r || !u) {
      refuse(
        "captures",
        `driver "${d}" needs a station capture of both the reference unit and the unit: current value is ${
          !r ? "missing in the reference station measurement" : "missing in the unit's"
        }`,
        d,
      );
    }
    corrections.set(d, stationCorrection(d, r!.ir, u!.ir, options));
  }
  let computeMs = performance.now() - t0;
  const audio = new Map<string, { sampleRate: number; channels: readonly Float64Array[] }>();
  const cache = new Map<string, Spectrum>();
  for (const c of m.captures) {
    const ir = (await referenceLab.readIr(c)).channels[0]!;
    const t1 = performance.now();
    audio.set(c.ir, {
      sampleRate: m.sampleRate,
      channels: [applyCorrection(ir, corrections.get(c.driver)!, cache)],
    });
    computeMs += performance.now() - t1;
  }
  // Only the IRs are carried over: recordings and harmonics belong to the reference unit.
  const manifest: MeasurementSetManifest = {
    ...m,
    createdAt: new Date().toISOString(),
    device: { ...m.device, serial: unit.serial },
    rig: {
      backend: "file",
      description:
        `estimated lab plant: reference unit ${m.device.serial} ("${referenceLab.folder}") corrected by unit ${unit.serial}'s station deviation (calibrate/line_fit.ts)`,
    },
    captures: m.captures.map((c) => {
      const { recording: _r, harmonics: _h, ...rest } = c as typeof c & {
        recording?: string;
        harmonics?: string;
      };
      return rest;
    }),
  };
  await writeMeasurementSet(out, manifest, audio, { force: options.force ?? false });
  return {
    set: await readMeasurementSet(out),
    corrections: [...corrections.values()].map(({ spectrum: _s, ...rest }) => rest),
    computeMs,
  };
}

/**
 * The reference folder of `verify --fit-from REF`: `REF/lab` (full lab set), `REF/station` (its
 * station measurement) and, optional, `REF/bundle` (its bundle fitted on `REF/lab`).
 */
export function referenceFolders(ref: string): { lab: string; station: string; bundle: string } {
  return { lab: join(ref, "lab"), station: join(ref, "station"), bundle: join(ref, "bundle") };
}
