/**
 * Production-line limits: the `spatialcal.limits` file format, the per-driver
 * features a line check measures, and the fractional-octave band analysis they
 * share.
 *
 * A unit on the line is measured once per driver with a reference microphone
 * in a test box. From each driver's linear impulse response h and its harmonic
 * responses h_k (k = 2..K) we take:
 *
 * - band levels `L_b = 10·log10(mean_{f in band b} |H(f)|²)` in 1/b-octave
 *   bands (IEC 61260-1 base-10 bands, `dsp/bands.ts`): the smoothed response;
 * - sensitivity: the power average of `L_b` over the driver's passband above
 *   its lowest octave (a band-averaged level, dB re unity gain);
 * - low-frequency level: the power average over the passband's lowest octave
 *   (air leaks lower it relative to the sensitivity);
 * - THD: `100·sqrt(Σ_{k=2..5} E_k / E_1)`, E the energy of each response
 *   (energy over the sweep, i.e. the level-weighted average over frequency;
 *   Farina 2000);
 * - rub & buzz: `10·log10(Σ_{k>=10} E_k / E_1)`, the high-order harmonic
 *   energy relative to the fundamental;
 * - noise floor: the level of the IR's last quarter (dB re 1);
 * - the waveform itself, for polarity and for swapped-driver checks against
 *   the golden reference IR (normalized correlation).
 *
 * Finer screening (version 2): per driver, levels in 1/24-octave bands (the
 * FFT bins inside each band power-averaged: per-bin below ~600 Hz at 8192
 * points, light smoothing above) over the passband, judged two ways against
 * the golden units' own spread:
 * - fine response: `L24_b − sensitivity` (the shape, the unit's level
 *   removed) inside `μ_b ± (k·σ_b + guard)`;
 * - narrow resonance: `L24_b − T_b` inside `μ_b ± (k·σ_b + guard)`, where the
 *   local trend `T_b` is the least-squares line (level against log frequency)
 *   through the bands within ±trendOctaves/2 of b but more than
 *   {@linkcode FINE_TREND_GAP_OCTAVES} away from it. The trend follows the
 *   response's broad shape, slopes included (near a passband edge, with
 *   fewer than 3 bands on one side, the mean of the window's bands instead:
 *   a line would extrapolate), but is blind to a peak or dip
 *   a few fine bands wide (a +3 dB resonance of Q 10 is about 0.14 octave
 *   wide, 3–4 bands of 1/24 octave), so the residual isolates what a loose
 *   part adds, whatever the unit's tolerances do to the broad response. (A
 *   running median, tried first, follows a peak on a steep slope half-way:
 *   a +3 dB resonance at 1.1 kHz on the tweeter's 12 dB/octave flank read
 *   as +1 dB.)
 *
 * A limits file is JSON with `format: "spatialcal.limits"`. Version 1 has no
 * fine limits; version 2 adds the optional `driverLimits.<id>.fine` and the
 * optional `rules.fineK/fineGuardDb/resonanceK/resonanceGuardDb` and nothing
 * else. This reader reads both; a version-1 reader refuses a version-2 file
 * with "version must be 1: current value is 2" instead of silently skipping
 * checks it does not know. Its `sha256` is the SHA-256 of the canonical JSON
 * (keys sorted, no spaces) of the file without the `sha256` (and `signature`)
 * field, so a reader detects any change, the fine limits included.
 *
 * References:
 * 1. A. Farina, "Simultaneous measurement of impulse response and distortion
 *    with a swept-sine technique", AES 108th Convention, 2000.
 * 2. IEC 61260-1:2014, fractional-octave-band filters.
 * 3. D. C. Montgomery, "Introduction to Statistical Quality Control", 7th ed.,
 *    Wiley 2012, sec. 8.2 (process capability, Cpk).
 *
 * @module
 */
import { fractionalOctaveBands, type OctaveFraction } from "../dsp/bands.ts";
import { powerToDb } from "../dsp/db.ts";
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";
import { join } from "node:path";
import { sha256Hex } from "../io/atomic.ts";
import { canonicalJsonSha256 } from "../io/canonical_json.ts";
import { InputError } from "../io/errors.ts";
import { ownJsonFile, type OwnOutput } from "../io/own_output.ts";
import type { DocumentSignature } from "./signature.ts";
import {
  irFileName,
  MANIFEST_FILE_NAME,
  readMeasurementSet,
  writeMeasurementSet,
} from "../io/manifest.ts";
import {
  MAX_JSON_BYTES,
  parseJsonBounded,
  readRegularFile,
  readRegularTextFile,
} from "../io/read_file.ts";

/** The `format` string of a limits file. */
export const LIMITS_FORMAT = "spatialcal.limits";
/** A limits file as `--force` may replace it (see `io/own_output.ts`). */
export const LIMITS_OUTPUT: OwnOutput = ownJsonFile("a limits file", LIMITS_FORMAT);
/** The version of the limits format this code writes (2: with fine limits). */
export const LIMITS_VERSION = 2;
/** The versions this code reads: 1 (no fine limits) and 2. */
export const READABLE_LIMITS_VERSIONS: readonly number[] = [1, 2];
/** Levels below this (dB) are treated as "no signal" (a floor for logs of zero). */
export const FLOOR_DB: number = -200;

/** One driver's captures at the reference microphone. */
export interface DriverCapture {
  /** Driver id (`"woofer"`). */
  readonly driver: string;
  /** Linear impulse response, sample 0 = DAC instant, acoustic delay kept. */
  readonly ir: Float64Array;
  /** Harmonic responses, index 0 = order 2. May be empty. */
  readonly harmonics: readonly Float64Array[];
  /** Peak of the raw recording in dBFS, if known. */
  readonly peakDbfs?: number;
  /** Capture warnings (clipping, dropouts, low SNR) in plain words. */
  readonly warnings?: readonly string[];
}

/**
 * How a unit was measured on the station: the reference mic's position and
 * the sweep. Limits are only valid for the setup they were made with.
 */
export interface StationSetup {
  /**
   * Reference-mic position in the device frame: `azimuthDeg` and
   * `elevationDeg` in degrees (DESIGN.md conventions), `distanceMeters` in
   * metres. Must match the limits' within 0.5° and 0.01 m.
   */
  readonly position: {
    readonly azimuthDeg: number;
    readonly elevationDeg: number;
    readonly distanceMeters: number;
  };
  /**
   * The sweep: `startHz`, `endHz` in Hz, `durationSeconds` in s, `levelDbfs`
   * in dBFS. When both sides have one, frequencies must match
   * within 0.01 Hz, the level within 0.01 dB and the duration within 1 %. Absent when unknown.
   */
  readonly sweep?: {
    /**
     * The stimulus, as the measurement set's `sweep.method` names it
     * (`"synchronized-exponential"`, `"multiple-exponential"`); compared
     * when both sides have one. Absent when unknown.
     */
    readonly method?: string;
    readonly startHz: number;
    readonly endHz: number;
    readonly durationSeconds: number;
    readonly levelDbfs: number;
  };
}

/** One unit's line measurement: what golden and verify work on. */
export interface UnitMeasurement {
  /** The station setup, when known (compared with the limits' setup). */
  readonly setup?: StationSetup;
  /** Model name (`"studio5"`). */
  readonly model: string;
  /** The unit's serial. */
  readonly serial: string;
  /** Sample rate of every capture in Hz. */
  readonly sampleRate: number;
  /** Driver ids of the model, in the device's order. */
  readonly drivers: readonly string[];
  /** One capture per driver measured (reference microphone). */
  readonly captures: readonly DriverCapture[];
  /** Where the measurement came from (a set folder and its manifest's SHA-256), if from a file. */
  readonly source?: { readonly path: string; readonly sha256: string };
}

/** The band layout and analysis parameters shared by golden and verify. */
export interface AnalysisParameters {
  /** Bandwidth designator: 3 (1/3 octave) or 6 (1/6 octave). */
  readonly bandsPerOctave: 3 | 6;
  /** Lowest frequency covered by bands in Hz, > 0. */
  readonly bandMinHz: number;
  /** Highest frequency covered by bands in Hz, > bandMinHz. */
  readonly bandMaxHz: number;
  /** FFT size used for band levels. */
  readonly fftSize: number;
  /** Samples of the golden reference IR kept for polarity and swap checks. */
  readonly referenceIrSamples: number;
}

/** What one driver's capture gives. */
export interface DriverFeatures {
  /** Band levels in dB re unity gain, one per band centre. */
  readonly bandLevelsDb: Float64Array;
  /** THD in percent: `100·√(E_2 + … + E_5)/√E_1` from the harmonic IRs' energies (0 when none). */
  readonly thdPercent: number;
  /** High-order (>= 10) harmonic energy re the fundamental, dB ({@linkcode FLOOR_DB} when none measured). */
  readonly rubBuzzDb: number;
  /** Level of the IR's last quarter, dB re 1. */
  readonly noiseFloorDb: number;
  /** Total IR energy in dB re 1. */
  readonly energyDb: number;
  /** Sign of the largest-magnitude IR sample. */
  readonly peakSign: 1 | -1;
}

/** A two-sided statistic with limits. */
export interface TwoSidedLimit {
  /** Mean over the golden units, dB. */
  readonly meanDb: number;
  /** Sample standard deviation over the golden units (n − 1), floored at `minSigmaDb`, dB. */
  readonly sigmaDb: number;
  /** Lower limit `mean − (k·σ + guardDb)`, dB. */
  readonly lowerDb: number;
  /** Upper limit `mean + (k·σ + guardDb)`, dB; >= lowerDb. */
  readonly upperDb: number;
}

/** A one-sided (ceiling) statistic. */
export interface CeilingLimit {
  /** Mean over the golden units, dB. */
  readonly meanDb: number;
  /** Sample standard deviation over the golden units (n − 1), floored at `minSigmaDb`, dB. */
  readonly sigmaDb: number;
  /** Upper limit `mean + k·σ + guardDb`, dB. */
  readonly ceilingDb: number;
}

/** One band's limits. */
export interface BandLimit extends TwoSidedLimit {
  /** Band centre in Hz (one of the analysis bands); levels in dB re unity gain. */
  readonly centerHz: number;
}

/** Limits of one driver. */
export interface DriverLimits {
  /** The driver's passband (bands whose golden mean is within `passbandDropDb` of its peak), Hz. */
  readonly passbandHz: readonly [number, number];
  /** Response limits in each passband band. */
  readonly bands: readonly BandLimit[];
  /** Sensitivity: band-averaged level over the passband above its lowest octave. */
  readonly sensitivity: TwoSidedLimit;
  /** The lowest octave of the passband, Hz, where air leaks show. */
  readonly lowOctaveHz: readonly [number, number];
  /** Golden mean of the power-averaged level over `lowOctaveHz`, dB. */
  readonly lowOctaveMeanDb: number;
  /** Low-frequency loss re golden, after removing the sensitivity difference. Ceiling in dB. */
  readonly airLeak: CeilingLimit;
  /** THD as `20·log10(THD%/100)` in dB. */
  readonly thd: CeilingLimit;
  /** Rub & buzz (harmonics >= 10 re fundamental) in dB. */
  readonly rubBuzz: CeilingLimit;
  /** Expected polarity: the sign of the golden reference IR's largest peak. */
  readonly polarity: 1 | -1;
  /** Mean of the golden units' IRs, first `referenceIrSamples` samples. */
  readonly referenceIr: readonly number[];
  /** Golden noise floor (dB re 1): mean and maximum over units. */
  readonly noiseFloor: { readonly meanDb: number; readonly maxDb: number };
  /** Golden mean sensitivity re `sensitivity.meanDb` below which the driver counts as dead, dB. */
  readonly deadBelowDb: number;
  /** Fine (1/24-octave) response and narrow-resonance limits (version 2; absent in version 1). */
  readonly fine?: FineLimits;
}

/** Per-band two-sided limits as parallel arrays (one entry per fine band), dB. */
export interface BandArrayLimits {
  /** Golden units' mean per band, dB. */
  readonly meanDb: readonly number[];
  /** Golden units' standard deviation per band, dB. */
  readonly sigmaDb: readonly number[];
  /** Lowest passing value per band, dB. */
  readonly lowerDb: readonly number[];
  /** Highest passing value per band, dB. */
  readonly upperDb: readonly number[];
}

/** A driver's fine limits (see the module documentation). */
export interface FineLimits {
  /** Bands per octave of the fine grid (24). */
  readonly bandsPerOctave: 12 | 24;
  /** Width of the running median that gives the broad response, octaves (> 0). */
  readonly trendOctaves: number;
  /** Centres of the fine bands inside the passband, Hz, ascending. */
  readonly centerHz: readonly number[];
  /** `L24 − sensitivity` per band. */
  readonly shape: BandArrayLimits;
  /** `L24 − running median` per band. */
  readonly residual: BandArrayLimits;
}

/** The k-factors and guard bands the limits were made with. */
export interface LimitRules {
  /** Band limits: mean ± (k·σ + guardDb). */
  readonly bandK: number;
  /** Guard added to the band limits' half-width, dB. */
  readonly bandGuardDb: number;
  /** Sensitivity limits: mean ± (k·σ + guardDb). */
  readonly sensitivityK: number;
  /** Guard added to the sensitivity limits' half-width, dB. */
  readonly sensitivityGuardDb: number;
  /** Distortion ceilings (THD, rub & buzz): mean + k·σ + guardDb. */
  readonly distortionK: number;
  /** Guard added to the distortion ceilings, dB. */
  readonly distortionGuardDb: number;
  /** Air-leak ceiling: mean + k·σ + guardDb. */
  readonly airLeakK: number;
  /** Guard added to the air-leak ceiling, dB. */
  readonly airLeakGuardDb: number;
  /** Bands within this many dB of a driver's peak form its passband. */
  readonly passbandDropDb: number;
  /** A driver this many dB below its golden sensitivity is dead. */
  readonly deadDropDb: number;
  /** A unit whose noise floor is this many dB above the golden maximum is too noisy to judge. */
  readonly noiseMarginDb: number;
  /** A driver is swapped when another driver's golden correlates better by this much (0–1). */
  readonly swapMargin: number;
  /** Fine response limits: mean ± (k·σ + guardDb) (version 2). */
  readonly fineK?: number;
  /** Guard added to the fine response limits' half-width, dB (version 2). */
  readonly fineGuardDb?: number;
  /** Narrow-resonance limits: mean ± (k·σ + guardDb) (version 2). */
  readonly resonanceK?: number;
  /** Guard added to the narrow-resonance limits' half-width, dB (version 2). */
  readonly resonanceGuardDb?: number;
}

/** A limits file (`format: "spatialcal.limits"`, version 1 or 2). */
export interface Limits {
  /** Always {@linkcode LIMITS_FORMAT}. */
  readonly format: typeof LIMITS_FORMAT;
  /** 1 (no fine limits) or 2 ({@linkcode LIMITS_VERSION}, fine limits allowed). */
  readonly version: 1 | 2;
  /** Creation time, ISO 8601. */
  readonly createdAt: string;
  /** Model name the limits apply to, non-empty. */
  readonly model: string;
  /** Sample rate of the golden captures in Hz, > 0. */
  readonly sampleRate: number;
  /** Driver ids in the device's order, non-empty. */
  readonly drivers: readonly string[];
  /** Band layout and FFT size the features were computed with. */
  readonly analysis: AnalysisParameters;
  /** k-factors and guard bands the limits were made with. */
  readonly rules: LimitRules;
  /** The golden units: serials and, when read from files, set paths and SHA-256s. */
  readonly golden: {
    readonly unitCount: number;
    readonly serials: readonly string[];
    readonly sets: readonly { readonly path: string; readonly sha256: string }[];
  };
  /** Limits per driver id; one entry for every id in `drivers`. */
  readonly driverLimits: Readonly<Record<string, DriverLimits>>;
  /** The station setup the golden units were measured with (absent when unknown). */
  readonly setup?: StationSetup;
  /** Process capability per check on the golden units (Montgomery 2012). */
  readonly cpk: Readonly<Record<string, number>>;
  /** SHA-256 (hex) of the canonical JSON of everything but this field and `signature`. */
  readonly sha256: string;
  /** The lab's Ed25519 signature of everything else, sha256 included (`signature.ts`). */
  readonly signature?: DocumentSignature;
}

/** The default analysis: 1/3-octave bands 40 Hz–18 kHz, 8192-point FFT, 1024-sample reference IR. */
export const DEFAULT_ANALYSIS: AnalysisParameters = {
  bandsPerOctave: 3,
  bandMinHz: 40,
  bandMaxHz: 18000,
  fftSize: 8192,
  referenceIrSamples: 1024,
};

/** Band centres and edges (Hz) of an analysis. */
export function analysisBands(analysis: AnalysisParameters): {
  centerHz: Float64Array;
  lowerHz: Float64Array;
  upperHz: Float64Array;
} {
  const b = fractionalOctaveBands({
    fraction: analysis.bandsPerOctave as OctaveFraction,
    minHz: analysis.bandMinHz,
    maxHz: analysis.bandMaxHz,
  });
  return { centerHz: b.centerHz, lowerHz: b.lowerHz, upperHz: b.upperHz };
}

function energy(x: ArrayLike<number>, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) {
    const v = x[i] as number;
    e += v * v;
  }
  return e;
}

function safeDb(power: number): number {
  return power > 0 ? Math.max(FLOOR_DB, powerToDb(power)) : FLOOR_DB;
}

/**
 * Band levels `L_b = 10·log10(mean |H(f)|²)` over the FFT bins inside each
 * band (the nearest bin when a band holds none).
 *
 * @param ir Impulse response (zero-padded or truncated to `fftSize`).
 * @param sampleRate Sample rate in Hz.
 * @param analysis Band layout and FFT size.
 * @returns One level in dB re unity gain per band.
 */
export function bandLevelsDb(
  ir: ArrayLike<number>,
  sampleRate: number,
  analysis: AnalysisParameters,
): Float64Array {
  const size = Math.max(analysis.fftSize, 4);
  const plan = realFftPlan(nextPowerOfTwo(size));
  const X = plan.forward(ir);
  const bands = analysisBands(analysis);
  const binHz = sampleRate / plan.size;
  const out = new Float64Array(bands.centerHz.length);
  for (let b = 0; b < out.length; b++) {
    let lo = Math.ceil(bands.lowerHz[b]! / binHz);
    let hi = Math.min(plan.binCount - 1, Math.floor(bands.upperHz[b]! / binHz));
    if (hi < lo) lo = hi = Math.min(plan.binCount - 1, Math.round(bands.centerHz[b]! / binHz));
    let p = 0;
    for (let k = lo; k <= hi; k++) p += X.re[k]! * X.re[k]! + X.im[k]! * X.im[k]!;
    out[b] = safeDb(p / (hi - lo + 1));
  }
  return out;
}

/** Default bands per octave of the fine response and narrow-resonance checks. */
export const FINE_BANDS_PER_OCTAVE = 24;
/** Default width of the local trend of the narrow-resonance check, octaves. */
export const FINE_TREND_OCTAVES = 1;
/** Bands this close to the judged one (octaves) are left out of its trend. */
export const FINE_TREND_GAP_OCTAVES = 0.125;

/** Fine band centres (Hz) of an analysis: its band range at `bandsPerOctave`. */
export function fineBandCenters(
  analysis: AnalysisParameters,
  bandsPerOctave: number = FINE_BANDS_PER_OCTAVE,
): Float64Array {
  return analysisBands({ ...analysis, bandsPerOctave: bandsPerOctave as 3 }).centerHz;
}

/**
 * The fine features of one driver on the bands of `fine`: the shape
 * (`L − sensitivityDb`) and the narrow-resonance residual (`L` minus its
 * local trend over `fine.trendOctaves`, see the module documentation), one
 * value per `fine.centerHz`.
 *
 * @param levelsDb Fine band levels over the analysis' whole band range ({@linkcode fineLevelsDb}).
 * @param allCentersHz The centres of `levelsDb`.
 * @param centerHz The fine bands judged (a contiguous run of `allCentersHz`).
 * @param bandsPerOctave The fine grid's bands per octave.
 * @param trendOctaves The local trend's width in octaves.
 * @param sensitivityDb The unit's driver sensitivity (coarse bands), dB.
 */
export function fineFeatures(
  levelsDb: ArrayLike<number>,
  allCentersHz: ArrayLike<number>,
  centerHz: readonly number[],
  bandsPerOctave: number,
  trendOctaves: number,
  sensitivityDb: number,
): { shape: Float64Array; residual: Float64Array } {
  const n = centerHz.length;
  const shape = new Float64Array(n), residual = new Float64Array(n);
  if (n === 0) return { shape, residual };
  let first = 0;
  let best = Infinity;
  for (let i = 0; i < allCentersHz.length; i++) {
    const d = Math.abs(Math.log((allCentersHz[i] as number) / centerHz[0]!));
    if (d < best) {
      best = d;
      first = i;
    }
  }
  const half = Math.max(1, Math.round((trendOctaves * bandsPerOctave) / 2));
  const gap = Math.round(FINE_TREND_GAP_OCTAVES * bandsPerOctave);
  const last = first + n - 1;
  for (let j = 0; j < n; j++) {
    const b = first + j;
    const level = levelsDb[b] as number;
    shape[j] = level - sensitivityDb;
    // Least-squares line through the window's bands outside the gap, within the judged run
    // (the passband: outside it the response falls away). x = band index (∝ log frequency).
    let sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0, below = 0, above = 0;
    for (let k = Math.max(first, b - half); k <= Math.min(last, b + half); k++) {
      if (Math.abs(k - b) <= gap) continue;
      const x = k - b, y = levelsDb[k] as number;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      m++;
      if (x < 0) below++;
      else above++;
    }
    const det = m * sxx - sx * sx;
    // The line's value at x = 0 (the band itself), interpolated only: near a passband edge,
    // with fewer than 3 bands on one side, a line would extrapolate (a peak in the fitted
    // bands then reads as a deep dip), so the trend is the window's mean there.
    const line = below >= 3 && above >= 3 && det > 1e-9;
    const trend = line ? (sy * sxx - sx * sxy) / det : m > 0 ? sy / m : level;
    residual[j] = level - trend;
  }
  return { shape, residual };
}

/** Levels in fine bands (`bandsPerOctave`) over the analysis' band range (see {@linkcode bandLevelsDb}). */
export function fineLevelsDb(
  ir: ArrayLike<number>,
  sampleRate: number,
  analysis: AnalysisParameters,
  bandsPerOctave: number = FINE_BANDS_PER_OCTAVE,
): Float64Array {
  return bandLevelsDb(ir, sampleRate, { ...analysis, bandsPerOctave: bandsPerOctave as 3 });
}

/**
 * The lowest harmonic order counted as rub & buzz. A capture must carry the
 * harmonic IRs of orders 2 up to at least this one to be judged for THD and
 * rub & buzz (the line station's multiple sweeps keep orders up to 30; a
 * `measure` set keeps 2..5 at most).
 */
export const RUB_BUZZ_MIN_ORDER = 10;

/**
 * The features of one driver's capture (see the module documentation).
 *
 * @param capture The driver's IR and harmonic IRs.
 * @param sampleRate Sample rate in Hz.
 * @param analysis Band layout and FFT size.
 */
export function driverFeatures(
  capture: DriverCapture,
  sampleRate: number,
  analysis: AnalysisParameters,
): DriverFeatures {
  const { ir, harmonics } = capture;
  const e1 = energy(ir);
  let thd = 0;
  for (let k = 2; k <= Math.min(5, harmonics.length + 1); k++) thd += energy(harmonics[k - 2]!);
  let rb = 0;
  for (let k = RUB_BUZZ_MIN_ORDER; k <= harmonics.length + 1; k++) rb += energy(harmonics[k - 2]!);
  const quarter = Math.floor(ir.length * 3 / 4);
  let peak = 0, peakIndex = 0;
  for (let i = 0; i < ir.length; i++) {
    const v = Math.abs(ir[i]!);
    if (v > peak) {
      peak = v;
      peakIndex = i;
    }
  }
  return {
    bandLevelsDb: bandLevelsDb(ir, sampleRate, analysis),
    thdPercent: e1 > 0 ? 100 * Math.sqrt(thd / e1) : 0, // [1]
    rubBuzzDb: e1 > 0 && harmonics.length >= RUB_BUZZ_MIN_ORDER - 1 ? safeDb(rb / e1) : FLOOR_DB,
    noiseFloorDb: safeDb(energy(ir, quarter) / Math.max(1, ir.length - quarter)),
    energyDb: safeDb(e1),
    peakSign: (ir[peakIndex] ?? 0) < 0 ? -1 : 1,
  };
}

/** THD in percent as dB (`20·log10(p/100)`), floored at {@linkcode FLOOR_DB}. */
export function thdPercentToDb(percent: number): number {
  return percent > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(percent / 100)) : FLOOR_DB;
}

/** `10·log10(mean 10^(L/10))` over `levels[from..to]` (inclusive indices). */
export function powerAverageDb(levels: ArrayLike<number>, from: number, to: number): number {
  let p = 0;
  for (let i = from; i <= to; i++) p += Math.pow(10, (levels[i] as number) / 10);
  return safeDb(p / Math.max(1, to - from + 1));
}

/**
 * Normalized correlation `Σ a·b / sqrt(Σa²·Σb²)` over the first `length`
 * samples, the best (largest magnitude) over lags −maxLag..maxLag.
 * 0 when either is silent.
 */
export function normalizedCorrelation(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  length: number,
  maxLag = 2,
): number {
  const n = Math.min(length, a.length, b.length);
  const ea = energy(a, 0, n), eb = energy(b, 0, n);
  if (ea === 0 || eb === 0) return 0;
  let best = 0;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = Math.max(0, lag); i < n && i - lag < n; i++) {
      s += (a[i] as number) * (b[i - lag] as number);
    }
    const r = s / Math.sqrt(ea * eb);
    if (Math.abs(r) > Math.abs(best)) best = r;
  }
  return best;
}

/** JSON with object keys sorted, no whitespace: the input of the limits hash (home: `io/`). */
export { canonicalJson } from "../io/canonical_json.ts";

/** SHA-256 hex of the canonical JSON of `limits` without its `sha256` and `signature` fields. */
export async function limitsContentSha256(limits: Omit<Limits, "sha256">): Promise<string> {
  const { sha256: _ignored, signature: _signature, ...rest } = limits as Limits;
  return await canonicalJsonSha256(rest);
}

function bad(file: string, field: string, rule: string, value: unknown): never {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  throw new InputError(
    `Cannot read limits "${file}" as ${field} ${rule}: current value is ${shown}`,
    { file, field, value },
  );
}

function isNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function checkTwoSided(file: string, field: string, v: unknown): void {
  const o = v as Record<string, unknown> | undefined;
  if (!o || typeof o !== "object") bad(file, field, "must be an object", v);
  for (const key of ["meanDb", "sigmaDb", "lowerDb", "upperDb"]) {
    if (!isNumber(o[key])) bad(file, `${field}.${key}`, "must be a finite number", o[key]);
  }
  if ((o.lowerDb as number) > (o.upperDb as number)) {
    bad(file, `${field}.lowerDb`, `must be <= upperDb (${o.upperDb})`, o.lowerDb);
  }
}

function checkCeiling(file: string, field: string, v: unknown): void {
  const o = v as Record<string, unknown> | undefined;
  if (!o || typeof o !== "object") bad(file, field, "must be an object", v);
  for (const key of ["meanDb", "sigmaDb", "ceilingDb"]) {
    if (!isNumber(o[key])) bad(file, `${field}.${key}`, "must be a finite number", o[key]);
  }
}

function checkFine(file: string, field: string, v: unknown): void {
  const o = v as Record<string, unknown> | undefined;
  if (!o || typeof o !== "object" || Array.isArray(o)) bad(file, field, "must be an object", v);
  if (o.bandsPerOctave !== 12 && o.bandsPerOctave !== 24) {
    bad(file, `${field}.bandsPerOctave`, "must be 12 or 24", o.bandsPerOctave);
  }
  if (!isNumber(o.trendOctaves) || !(o.trendOctaves > 0 && o.trendOctaves <= 4)) {
    bad(file, `${field}.trendOctaves`, "must be a number in (0, 4]", o.trendOctaves);
  }
  const c = o.centerHz;
  if (!Array.isArray(c) || c.length === 0 || c.length > 1000 || !c.every(isNumber)) {
    bad(file, `${field}.centerHz`, "must be a non-empty array of at most 1000 numbers", typeof c);
  }
  const centers = c as number[];
  centers.forEach((hz, i) => {
    if (!(hz > 0) || (i > 0 && !(hz > centers[i - 1]!))) {
      bad(file, `${field}.centerHz[${i}]`, "must be positive and ascending", hz);
    }
  });
  for (const part of ["shape", "residual"]) {
    const p = o[part] as Record<string, unknown> | undefined;
    if (!p || typeof p !== "object") bad(file, `${field}.${part}`, "must be an object", p);
    for (const key of ["meanDb", "sigmaDb", "lowerDb", "upperDb"]) {
      const a = p[key];
      if (!Array.isArray(a) || a.length !== centers.length || !a.every(isNumber)) {
        bad(
          file,
          `${field}.${part}.${key}`,
          `must be an array of ${centers.length} finite numbers (one per centerHz)`,
          Array.isArray(a) ? `${a.length} entries` : typeof a,
        );
      }
    }
    const lo = p.lowerDb as number[], hi = p.upperDb as number[];
    lo.forEach((l, i) => {
      if (l > hi[i]!) {
        bad(file, `${field}.${part}.lowerDb[${i}]`, `must be <= upperDb (${hi[i]})`, l);
      }
    });
  }
}

/**
 * Bounds of the numbers that size computations (FFT lengths, arrays, sweeps):
 * a finite but absurd value (`fftSize: 1e12`) would otherwise exhaust memory
 * or crash deep inside the analysis. Called once the types are checked.
 */
function checkLimitsBounds(file: string, o: Record<string, unknown>): void {
  const within = (field: string, v: number, low: number, high: number, integer = false) => {
    if (!(v >= low && v <= high) || (integer && !Number.isInteger(v))) {
      bad(file, field, `must be ${integer ? "an integer " : ""}in [${low}, ${high}]`, v);
    }
  };
  const fs = o.sampleRate as number;
  within("sampleRate", fs, 1000, 768000, true);
  const a = o.analysis as Record<string, number>;
  const fft = a.fftSize!;
  if (!(fft >= 256 && fft <= 2 ** 20 && Number.isInteger(Math.log2(fft)))) {
    bad(file, "analysis.fftSize", "must be a power of two in [256, 1048576]", fft);
  }
  within("analysis.referenceIrSamples", a.referenceIrSamples!, 1, fft, true);
  within("analysis.bandMinHz", a.bandMinHz!, 1, fs / 2);
  within("analysis.bandMaxHz", a.bandMaxHz!, a.bandMinHz!, fs / 2);
  const drivers = o.drivers as unknown[];
  if (drivers.length > 256) bad(file, "drivers", "must hold at most 256 drivers", drivers.length);
  const sweep = (o.setup as { sweep?: Record<string, number> } | undefined)?.sweep;
  if (sweep !== undefined) {
    within("setup.sweep.startHz", sweep.startHz!, 1, fs / 2);
    within("setup.sweep.endHz", sweep.endHz!, sweep.startHz!, fs / 2);
    within("setup.sweep.durationSeconds", sweep.durationSeconds!, 0.01, 60);
    within("setup.sweep.levelDbfs", sweep.levelDbfs!, -100, 0);
  }
  const position = (o.setup as { position?: Record<string, number> } | undefined)?.position;
  if (position !== undefined) {
    within("setup.position.distanceMeters", position.distanceMeters!, 0.01, 100);
  }
}

/**
 * Parse and check a limits file's text: JSON, format, version, every field
 * the checks read, and the SHA-256 of the content.
 *
 * @param text The file's text.
 * @param file The file name for messages.
 * @returns The limits.
 * @throws {InputError} naming the file, field, rule and value (a corrupt or edited file, another format or version).
 */
export async function parseLimits(text: string, file: string): Promise<Limits> {
  const raw = parseJsonBounded(text, { file, what: "limits" });
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    bad(
      file,
      "the top level",
      "must be a JSON object",
      Array.isArray(raw) ? `an array of ${raw.length}` : raw === null ? "null" : `a ${typeof raw}`,
    );
  }
  const o = raw as Record<string, unknown>;
  if (o.format !== LIMITS_FORMAT) bad(file, "format", `must be "${LIMITS_FORMAT}"`, o.format);
  if (!READABLE_LIMITS_VERSIONS.includes(o.version as number)) {
    bad(
      file,
      "version",
      `must be ${READABLE_LIMITS_VERSIONS.join(" or ")} (this reader's versions)`,
      o.version,
    );
  }
  if (typeof o.model !== "string" || o.model === "") {
    bad(file, "model", "must be a non-empty string", o.model);
  }
  if (!isNumber(o.sampleRate) || o.sampleRate <= 0) {
    bad(file, "sampleRate", "must be a positive number", o.sampleRate);
  }
  if (
    !Array.isArray(o.drivers) || o.drivers.length === 0 ||
    !o.drivers.every((d) => typeof d === "string")
  ) {
    bad(file, "drivers", "must be a non-empty array of driver ids", JSON.stringify(o.drivers));
  }
  const a = o.analysis as Record<string, unknown> | undefined;
  if (!a || typeof a !== "object") bad(file, "analysis", "must be an object", a);
  if (a.bandsPerOctave !== 3 && a.bandsPerOctave !== 6) {
    bad(file, "analysis.bandsPerOctave", "must be 3 or 6", a.bandsPerOctave);
  }
  for (const key of ["bandMinHz", "bandMaxHz", "fftSize", "referenceIrSamples"]) {
    if (!isNumber(a[key]) || (a[key] as number) <= 0) {
      bad(file, `analysis.${key}`, "must be a positive number", a[key]);
    }
  }
  const r = o.rules as Record<string, unknown> | undefined;
  if (!r || typeof r !== "object") bad(file, "rules", "must be an object", r);
  for (
    const key of [
      "bandK",
      "bandGuardDb",
      "sensitivityK",
      "sensitivityGuardDb",
      "distortionK",
      "distortionGuardDb",
      "airLeakK",
      "airLeakGuardDb",
      "passbandDropDb",
      "deadDropDb",
      "noiseMarginDb",
      "swapMargin",
    ]
  ) {
    if (!isNumber(r[key])) bad(file, `rules.${key}`, "must be a finite number", r[key]);
  }
  for (const key of ["fineK", "fineGuardDb", "resonanceK", "resonanceGuardDb"]) {
    if (r[key] !== undefined && o.version === 1) {
      bad(file, `rules.${key}`, "is a version-2 field, so version must be 2", o.version);
    }
    if (r[key] !== undefined && !isNumber(r[key])) {
      bad(file, `rules.${key}`, "must be a finite number", r[key]);
    }
  }
  if (o.setup !== undefined) {
    const st = o.setup as Record<string, unknown>;
    const pos = (st && typeof st === "object" ? st.position : undefined) as
      | Record<string, unknown>
      | undefined;
    if (!pos || typeof pos !== "object") bad(file, "setup.position", "must be an object", pos);
    for (const key of ["azimuthDeg", "elevationDeg", "distanceMeters"]) {
      if (!isNumber(pos[key])) {
        bad(file, `setup.position.${key}`, "must be a finite number", pos[key]);
      }
    }
    if (st.sweep !== undefined) {
      const sw = st.sweep as Record<string, unknown>;
      for (const key of ["startHz", "endHz", "durationSeconds", "levelDbfs"]) {
        if (!sw || !isNumber(sw[key])) {
          bad(file, `setup.sweep.${key}`, "must be a finite number", sw?.[key]);
        }
      }
      if (sw.method !== undefined && (typeof sw.method !== "string" || sw.method === "")) {
        bad(file, "setup.sweep.method", "must be a non-empty string", sw.method);
      }
    }
  }
  const ids = o.drivers as string[];
  ids.forEach((d, i) => {
    if (ids.indexOf(d) !== i) bad(file, `drivers[${i}]`, "must name each driver once", d);
  });
  const dl = o.driverLimits as Record<string, unknown> | undefined;
  if (!dl || typeof dl !== "object") bad(file, "driverLimits", "must be an object", dl);
  for (const id of Object.keys(dl)) {
    if (!ids.includes(id)) {
      bad(file, `driverLimits.${id}`, `must be one of drivers (${ids.join(", ")})`, "present");
    }
  }
  for (const id of o.drivers as string[]) {
    const d = dl[id] as Record<string, unknown> | undefined;
    const f = `driverLimits.${id}`;
    if (!d || typeof d !== "object") bad(file, f, "must be an object (one per driver)", d);
    if (!Array.isArray(d.bands) || d.bands.length === 0) {
      bad(file, `${f}.bands`, "must be a non-empty array", d.bands);
    }
    (d.bands as unknown[]).forEach((b, i) => {
      checkTwoSided(file, `${f}.bands[${i}]`, b);
      if (!isNumber((b as Record<string, unknown>).centerHz)) {
        bad(file, `${f}.bands[${i}].centerHz`, "must be a finite number", (b as never)["centerHz"]);
      }
    });
    checkTwoSided(file, `${f}.sensitivity`, d.sensitivity);
    checkCeiling(file, `${f}.airLeak`, d.airLeak);
    checkCeiling(file, `${f}.thd`, d.thd);
    checkCeiling(file, `${f}.rubBuzz`, d.rubBuzz);
    for (const key of ["passbandHz", "lowOctaveHz"]) {
      const v = d[key];
      if (!Array.isArray(v) || v.length !== 2 || !v.every(isNumber)) {
        bad(file, `${f}.${key}`, "must be [lowHz, highHz]", JSON.stringify(v));
      }
    }
    if (d.polarity !== 1 && d.polarity !== -1) {
      bad(file, `${f}.polarity`, "must be 1 or -1", d.polarity);
    }
    if (!Array.isArray(d.referenceIr) || !d.referenceIr.every(isNumber)) {
      bad(file, `${f}.referenceIr`, "must be an array of numbers", typeof d.referenceIr);
    }
    // The polarity and swap checks compare the unit with this waveform: it must be all there.
    const reference = d.referenceIr as number[];
    if (reference.length !== a.referenceIrSamples) {
      bad(
        file,
        `${f}.referenceIr`,
        `must hold analysis.referenceIrSamples (${a.referenceIrSamples}) samples`,
        `${reference.length} samples`,
      );
    }
    let peak = 0;
    for (const v of reference) if (Math.abs(v) > Math.abs(peak)) peak = v;
    if (peak === 0) bad(file, `${f}.referenceIr`, "must not be silent", "all zero");
    if (d.polarity !== (peak < 0 ? -1 : 1)) {
      bad(
        file,
        `${f}.polarity`,
        `must be the sign of referenceIr's largest sample (${peak < 0 ? -1 : 1})`,
        d.polarity,
      );
    }
    const nf = d.noiseFloor as Record<string, unknown> | undefined;
    if (!nf || !isNumber(nf.meanDb) || !isNumber(nf.maxDb)) {
      bad(file, `${f}.noiseFloor`, "must be { meanDb, maxDb }", JSON.stringify(nf));
    }
    if (!isNumber(d.lowOctaveMeanDb)) {
      bad(file, `${f}.lowOctaveMeanDb`, "must be a finite number", d.lowOctaveMeanDb);
    }
    if (!isNumber(d.deadBelowDb)) {
      bad(file, `${f}.deadBelowDb`, "must be a finite number", d.deadBelowDb);
    }
    if (d.fine !== undefined) {
      if (o.version === 1) bad(file, `${f}.fine`, "is a version-2 field, so version must be 2", 1);
      checkFine(file, `${f}.fine`, d.fine);
    }
  }
  checkLimitsBounds(file, o);
  if (typeof o.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(o.sha256)) {
    bad(file, "sha256", "must be 64 lowercase hex digits", o.sha256);
  }
  const actual = await limitsContentSha256(o as unknown as Limits);
  if (actual !== o.sha256) {
    bad(
      file,
      "sha256",
      `must match the SHA-256 of the content (${actual}); the file was changed or damaged`,
      o.sha256,
    );
  }
  return o as unknown as Limits;
}

/**
 * Read and check a limits file (see {@linkcode parseLimits}).
 *
 * @throws {InputError} when the file cannot be read or is not valid limits.
 */
export async function readLimits(path: string): Promise<Limits> {
  const text = await readRegularTextFile(path, { what: "limits", maxBytes: MAX_JSON_BYTES });
  return await parseLimits(text, path);
}

/** Serialize limits as the file's text (2-space JSON, newline at the end). */
export function limitsToJson(limits: Limits): string {
  return JSON.stringify(limits, null, 2) + "\n";
}

/** Options of {@linkcode readUnitMeasurement}. */
export interface ReadUnitMeasurementOptions {
  /** The mic whose captures are used. Default: the set's first mic with role `reference`. */
  readonly mic?: string;
}

/**
 * Read a measurement set as a line measurement: for each driver, its capture
 * at the reference microphone (the first, if several positions), with its
 * harmonics when the set stored them. The source SHA-256 is that of
 * `manifest.json`.
 *
 * @param folder The set's folder.
 * @param options Which mic to use.
 * @throws {InputError} for an unreadable set or one without a reference microphone.
 */
export async function readUnitMeasurement(
  folder: string,
  options: ReadUnitMeasurementOptions = {},
): Promise<UnitMeasurement> {
  const set = await readMeasurementSet(folder);
  const m = set.manifest;
  const manifestPath = join(folder, MANIFEST_FILE_NAME);
  const mic = options.mic ?? m.mics.find((x) => x.role === "reference")?.id;
  if (mic === undefined || !m.mics.some((x) => x.id === mic)) {
    throw new InputError(
      `Cannot read measurement set "${folder}" for line checks as it needs a reference microphone: mics are ${
        m.mics.map((x) => `${x.id} (${x.role})`).join(", ")
      }`,
      { file: manifestPath, field: "mics", value: options.mic ?? null },
    );
  }
  const captures: DriverCapture[] = [];
  for (const d of m.device.drivers) {
    const entry = m.captures.find((c) => c.driver === d.id && c.mic === mic);
    if (!entry) continue;
    const ir = (await set.readIr(entry)).channels[0] ?? new Float64Array(0);
    const harmonics = entry.harmonics ? (await set.readAudio(entry.harmonics)).channels : [];
    captures.push({
      driver: d.id,
      ir,
      harmonics,
      ...(entry.peakDbfs === undefined ? {} : { peakDbfs: entry.peakDbfs }),
      warnings: entry.warnings ?? [],
    });
  }
  const sha256 = await sha256Hex(
    await readRegularFile(manifestPath, { what: "manifest", maxBytes: MAX_JSON_BYTES }),
  );
  const first = m.captures.find((c) => c.mic === mic);
  return {
    ...(first === undefined ? {} : {
      setup: {
        position: {
          azimuthDeg: first.position.azimuthDeg,
          elevationDeg: first.position.elevationDeg,
          distanceMeters: first.position.distanceMeters,
        },
        ...(m.sweep === undefined ? {} : {
          sweep: {
            method: m.sweep.method,
            startHz: m.sweep.startHz,
            endHz: m.sweep.endHz,
            durationSeconds: m.sweep.durationSeconds,
            levelDbfs: m.sweep.levelDbfs,
          },
        }),
      },
    }),
    model: m.device.model,
    serial: m.device.serial,
    sampleRate: m.sampleRate,
    drivers: m.device.drivers.map((d) => d.id),
    captures,
    source: { path: folder, sha256 },
  };
}

/** Options of {@linkcode writeUnitMeasurement}. */
export interface WriteUnitMeasurementOptions {
  /** Driver kinds by id. Default "unknown". */
  readonly kinds?: Readonly<Record<string, string>>;
  /** The mic position of the captures. Default: the unit's `setup.position`. */
  readonly position?: { azimuthDeg: number; elevationDeg: number; distanceMeters: number };
  /** The sweep used, for the manifest. Default: the unit's `setup.sweep` when it names its method. */
  readonly sweep?: {
    method: string;
    startHz: number;
    endHz: number;
    durationSeconds: number;
    levelDbfs: number;
  };
  /** The manifest's `rig`. Default `{ backend: "file" }`. */
  readonly rig?: { backend: string; description?: string };
  /** Replace an existing folder. Default false. */
  readonly force?: boolean;
  /** The manifest's creation time (ISO 8601). Default now. */
  readonly createdAt?: string;
}

/**
 * Write a line measurement as a measurement set (reference mic `ref`; one IR
 * WAV and one harmonics WAV per driver), atomically.
 *
 * @throws {InputError} when the folder exists and `force` is not set.
 * @throws {TypeError} when neither `options.position` nor the unit's setup gives the mic position.
 */
export async function writeUnitMeasurement(
  folder: string,
  unit: UnitMeasurement,
  options: WriteUnitMeasurementOptions = {},
): Promise<void> {
  const position = options.position ?? unit.setup?.position;
  if (position === undefined) {
    throw new TypeError(
      `Cannot write unit ${unit.serial} to "${folder}" as the mic position is unknown: give options.position or a unit with a setup`,
    );
  }
  const setupSweep = unit.setup?.sweep;
  const sweep = options.sweep ??
    (setupSweep?.method === undefined ? undefined : { ...setupSweep, method: setupSweep.method });
  const audio = new Map<string, { sampleRate: number; channels: readonly Float64Array[] }>();
  const captures = unit.captures.map((c) => {
    const ir = irFileName(c.driver, "ref", position);
    audio.set(ir, { sampleRate: unit.sampleRate, channels: [c.ir] });
    let harmonics: string | undefined;
    if (c.harmonics.length > 0) {
      harmonics = ir.replace(/\.wav$/, ".harmonics.wav");
      const n = Math.max(...c.harmonics.map((h) => h.length));
      const padded = c.harmonics.map((h) => {
        const x = new Float64Array(n);
        x.set(h);
        return x;
      });
      audio.set(harmonics, { sampleRate: unit.sampleRate, channels: padded });
    }
    return {
      driver: c.driver,
      mic: "ref",
      position,
      ir,
      ...(harmonics ? { harmonics } : {}),
      ...(c.peakDbfs === undefined ? {} : { peakDbfs: c.peakDbfs }),
      warnings: [...(c.warnings ?? [])],
    };
  });
  const manifest = {
    format: "spatialcal.measurement-set" as const,
    version: 1 as const,
    createdAt: options.createdAt ?? new Date().toISOString(),
    sampleRate: unit.sampleRate,
    device: {
      model: unit.model,
      serial: unit.serial,
      drivers: unit.drivers.map((id) => ({ id, kind: options.kinds?.[id] ?? "unknown" })),
    },
    rig: options.rig ?? { backend: "file" },
    ...(sweep ? { sweep } : {}),
    mics: [{ id: "ref", role: "reference" as const }],
    captures,
  };
  await writeMeasurementSet(folder, manifest, audio, { force: options.force ?? false });
}

/**
 * How two station setups differ, in words, or `undefined` when they agree
 * (position within 0.5° and 1 cm, the same sweep method, sweep band and level
 * within 0.01, duration within 1 %). A sweep (or its method) missing on
 * either side is not compared.
 */
export function setupDifference(limits: StationSetup, unit: StationSetup): string | undefined {
  const a = limits.position, b = unit.position;
  const where = (p: StationSetup["position"]) =>
    `az ${p.azimuthDeg}°, el ${p.elevationDeg}°, ${p.distanceMeters} m`;
  if (
    Math.abs(a.azimuthDeg - b.azimuthDeg) > 0.5 ||
    Math.abs(a.elevationDeg - b.elevationDeg) > 0.5 ||
    Math.abs(a.distanceMeters - b.distanceMeters) > 0.01
  ) {
    return `the limits were made with the mic at ${where(a)} but the unit was measured at ${
      where(b)
    }`;
  }
  const x = limits.sweep, y = unit.sweep;
  if (x?.method !== undefined && y?.method !== undefined && x.method !== y.method) {
    return `the limits were made with ${x.method} sweeps but the unit was measured with ${y.method} sweeps`;
  }
  if (x && y) {
    const sweep = (w: NonNullable<StationSetup["sweep"]>) =>
      `${w.startHz}–${w.endHz} Hz, ${w.durationSeconds.toFixed(3)} s, ${w.levelDbfs} dBFS`;
    if (
      Math.abs(x.startHz - y.startHz) > 0.01 || Math.abs(x.endHz - y.endHz) > 0.01 ||
      Math.abs(x.levelDbfs - y.levelDbfs) > 0.01 ||
      Math.abs(x.durationSeconds / y.durationSeconds - 1) > 0.01
    ) {
      return `the limits were made with a ${sweep(x)} sweep but the unit was measured with ${
        sweep(y)
      }`;
    }
  }
  return undefined;
}
