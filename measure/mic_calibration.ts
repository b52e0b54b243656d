/**
 * Microphone calibration: sensitivity from a calibrator recording, dB SPL
 * from dBFS, and the correction of an impulse response for the mic's own
 * frequency response.
 *
 * Levels in dBFS follow AES17: a full-scale sine (peak 1) is 0 dBFS, so a
 * signal of RMS `r` is at `20·log10(r·√2)` dBFS. A mic's sensitivity
 * `sensitivityDbfs` is the level in dBFS that a 94 dB SPL tone (1.0024 Pa
 * RMS, re 20 µPa) gives on its channel; then any level `L` dBFS on that channel is
 *
 * ```text
 * L_SPL = L − sensitivityDbfs + 94        (dB re 20 µPa)
 * ```
 *
 * @module
 */
import { amplitudeToDb, rms } from "../dsp/db.ts";
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";
import { minimumPhaseSpectrum } from "../dsp/minimum_phase.ts";
import type { MicResponse } from "../io/mic_response_file.ts";
import type { MicCalibrationEntry } from "../io/manifest.ts";
import { detectClipping } from "./capture_quality.ts";

/** The level of the reference calibrator tone, dB SPL (1.0024 Pa RMS; the usual setting of IEC 60942 calibrators). */
export const CALIBRATOR_SPL_DB = 94;

/**
 * Convert a level in dBFS on a mic's channel to dB SPL.
 *
 * @param levelDbfs Level in dBFS (AES17).
 * @param sensitivityDbfs The mic's dBFS for 94 dB SPL.
 * @returns The sound pressure level in dB re 20 µPa.
 *
 * @example
 * ```ts
 * import { dbfsToDbSpl } from "./mic_calibration.ts";
 * dbfsToDbSpl(-30, -20); // 84
 * ```
 */
export function dbfsToDbSpl(levelDbfs: number, sensitivityDbfs: number): number {
  return levelDbfs - sensitivityDbfs + CALIBRATOR_SPL_DB;
}

/** Result of {@linkcode micSensitivityFromCalibrator}. */
export interface CalibratorReading {
  /** The mic's sensitivity: dBFS for 94 dB SPL. */
  readonly sensitivityDbfs: number;
  /** The recorded tone's level in dBFS (AES17), over the steady middle 80 %. */
  readonly levelDbfs: number;
  /** The tone's frequency in Hz (from its zero crossings). */
  readonly frequencyHz: number;
  /** "May be unreliable" conditions: clipping, a signal that is not a steady tone. */
  readonly warnings: readonly string[];
}

/**
 * Measure a mic's sensitivity from a recording of an acoustic calibrator
 * (a steady tone at a known SPL, usually 94 dB at 1 kHz): the RMS of the
 * middle 80 % of the recording (leaving out the calibrator's switch-on and
 * the mic's removal) gives `levelDbfs`, and
 * `sensitivityDbfs = levelDbfs − (splDb − 94)`.
 *
 * @param samples The recorded channel (at least 0.1 s).
 * @param sampleRate Its sample rate in Hz.
 * @param splDb The calibrator's level in dB SPL (94 or 114 usually), 60..150.
 * @returns Sensitivity, level, tone frequency and warnings.
 * @throws {RangeError} for a recording shorter than 0.1 s, a silent one, or an SPL out of range.
 *
 * @example
 * ```ts
 * import { micSensitivityFromCalibrator } from "./mic_calibration.ts";
 * const x = new Float64Array(48000).map((_, n) => 0.1 * Math.sin(2 * Math.PI * 1000 * n / 48000));
 * micSensitivityFromCalibrator(x, 48000, 94).sensitivityDbfs; // ≈ -20
 * ```
 */
export function micSensitivityFromCalibrator(
  samples: Float64Array,
  sampleRate: number,
  splDb: number,
): CalibratorReading {
  if (!(splDb >= 60 && splDb <= 150)) {
    throw new RangeError(
      `Cannot measure mic sensitivity as splDb must be 60..150 dB SPL: current value is ${splDb}`,
    );
  }
  if (samples.length < 0.1 * sampleRate) {
    throw new RangeError(
      `Cannot measure mic sensitivity as the calibrator recording must last at least 0.1 s (${
        Math.ceil(0.1 * sampleRate)
      } samples): current value is ${samples.length}`,
    );
  }
  const steady = samples.subarray(
    Math.floor(0.1 * samples.length),
    Math.ceil(0.9 * samples.length),
  );
  const r = rms(steady);
  if (!(r > 0)) {
    throw new RangeError(
      "Cannot measure mic sensitivity as the calibrator recording is silent: current value is RMS 0",
    );
  }
  const levelDbfs = amplitudeToDb(r * Math.SQRT2);
  let crossings = 0, first = -1, last = -1;
  for (let i = 1; i < steady.length; i++) {
    if (steady[i - 1]! < 0 && steady[i]! >= 0) {
      crossings++;
      if (first < 0) first = i;
      last = i;
    }
  }
  const frequencyHz = crossings > 1 ? ((crossings - 1) * sampleRate) / (last - first) : 0;
  const warnings: string[] = [];
  const clip = detectClipping(samples);
  if (clip.count > 0) {
    warnings.push(`clipping: ${clip.count} samples at or above ${clip.thresholdDbfs} dBFS`);
  }
  // A steady sine has crest factor √2 (3.01 dB); noise or a broken calibrator do not.
  let peak = 0;
  for (const v of steady) peak = Math.max(peak, Math.abs(v));
  const crestDb = amplitudeToDb(peak / r);
  if (Math.abs(crestDb - 3.01) > 1) {
    warnings.push(
      `not a steady tone: crest factor ${crestDb.toFixed(1)} dB (a sine has 3.0 dB)`,
    );
  }
  return {
    sensitivityDbfs: levelDbfs - (splDb - CALIBRATOR_SPL_DB),
    levelDbfs,
    frequencyHz,
    warnings,
  };
}

/**
 * The mic's response interpolated at `frequencyHz`: dB linear in log
 * frequency between points, the end points' values held beyond the file's
 * range (below its first and above its last frequency, and at 0 Hz).
 * Phase (degrees) likewise, when the file gives it.
 */
export function micResponseAt(
  response: MicResponse,
  frequencyHz: number,
): { levelDb: number; phaseDeg: number | undefined } {
  const f = response.frequenciesHz;
  const n = f.length;
  const at = (values: Float64Array | undefined): number | undefined => {
    if (values === undefined) return undefined;
    if (!(frequencyHz > f[0]!)) return values[0]!;
    if (frequencyHz >= f[n - 1]!) return values[n - 1]!;
    let lo = 0, hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (f[mid]! <= frequencyHz) lo = mid;
      else hi = mid;
    }
    const t = Math.log(frequencyHz / f[lo]!) / Math.log(f[hi]! / f[lo]!);
    return values[lo]! + t * (values[hi]! - values[lo]!);
  };
  return { levelDb: at(response.levelsDb)!, phaseDeg: at(response.phasesDeg) };
}

/**
 * Remove a mic's own frequency response from an impulse response: divide its
 * spectrum by the mic's response ({@linkcode micResponseAt}). With phase in
 * the file the given phase is divided out; without, the mic is taken as
 * minimum phase (as pressure microphones are to a good approximation) and the
 * minimum-phase response of the magnitude is divided out, so the result stays
 * causal. The division runs on a grid of at least twice the IR's length and
 * the result is cut to the IR's length.
 *
 * @param ir The impulse response (as measured through the mic).
 * @param sampleRate Its sample rate in Hz.
 * @param response The mic's calibration.
 * @returns The corrected impulse response (same length).
 *
 * @example
 * ```ts
 * import { correctMicResponse } from "./mic_calibration.ts";
 * const flat = { frequenciesHz: Float64Array.of(10, 20000), levelsDb: Float64Array.of(6, 6) };
 * correctMicResponse(Float64Array.of(1, 0, 0, 0), 48000, flat)[0]; // ≈ 0.5
 * ```
 */
export function correctMicResponse(
  ir: Float64Array,
  sampleRate: number,
  response: MicResponse,
): Float64Array {
  const size = Math.max(64, nextPowerOfTwo(2 * ir.length));
  const plan = realFftPlan(size);
  const bins = plan.binCount;
  const magnitude = new Float64Array(bins);
  const phase = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    const r = micResponseAt(response, (k * sampleRate) / size);
    magnitude[k] = Math.pow(10, -r.levelDb / 20);
    phase[k] = r.phaseDeg === undefined ? 0 : (-r.phaseDeg * Math.PI) / 180;
  }
  let re: Float64Array, im: Float64Array;
  if (response.phasesDeg === undefined) {
    // The inverse of a minimum-phase response is minimum phase: build it from 1/|M|.
    ({ re, im } = minimumPhaseSpectrum(magnitude));
  } else {
    re = magnitude.map((m, k) => m * Math.cos(phase[k]!));
    im = magnitude.map((m, k) => m * Math.sin(phase[k]!));
    im[0] = 0;
    im[bins - 1] = 0;
  }
  const X = plan.forward(ir);
  const yr = new Float64Array(bins), yi = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    yr[k] = X.re[k]! * re[k]! - X.im[k]! * im[k]!;
    yi[k] = X.re[k]! * im[k]! + X.im[k]! * re[k]!;
  }
  return plan.inverse({ re: yr, im: yi }).slice(0, ir.length);
}

/** A mic input's calibration, as a device (or a capture list) knows it. */
export interface InputCalibration {
  /** The mic's level in dBFS (AES17) for 94 dB SPL. */
  readonly sensitivityDbfs?: number;
  /** Its frequency-response calibration: the file's name, its SHA-256 and its points. */
  readonly response?: {
    readonly file: string;
    readonly sha256: string;
    readonly points: MicResponse;
  };
}

/** What the manifest records of a calibration (`mics[].calibration`), or undefined for none. */
export function calibrationEntry(
  calibration: InputCalibration | undefined,
): MicCalibrationEntry | undefined {
  if (calibration === undefined) return undefined;
  const entry: MicCalibrationEntry = {
    ...(calibration.sensitivityDbfs === undefined
      ? {}
      : { sensitivityDbfs: calibration.sensitivityDbfs }),
    ...(calibration.response === undefined ? {} : {
      responseFile: calibration.response.file,
      responseSha256: calibration.response.sha256,
    }),
  };
  return Object.keys(entry).length > 0 ? entry : undefined;
}

/**
 * Apply a mic's calibration to one derived impulse response: divide out its
 * response ({@linkcode correctMicResponse}) and, with a sensitivity, give the
 * levels in dB SPL: `fullScaleLevelDbSpl` (SPL at the mic for a 0 dBFS sine at
 * 1 kHz on the driver, `94 − S + 20·log10|H(1 kHz)|`) and `peakDbSpl` (from
 * `peakDbfs`, when given), rounded to 0.01 dB.
 *
 * @param ir The impulse response as measured through the mic.
 * @param sampleRate Its sample rate in Hz.
 * @param calibration The mic's calibration (none: the IR is returned as is).
 * @param peakDbfs The recording's peak, if there was a recording.
 * @returns The corrected IR and the capture fields to add.
 */
export function applyMicCalibration(
  ir: Float64Array,
  sampleRate: number,
  calibration: InputCalibration | undefined,
  peakDbfs?: number,
): { ir: Float64Array; levels: { fullScaleLevelDbSpl?: number; peakDbSpl?: number } } {
  if (calibration === undefined) return { ir, levels: {} };
  const h = calibration.response === undefined
    ? ir
    : correctMicResponse(ir, sampleRate, calibration.response.points);
  const s = calibration.sensitivityDbfs;
  if (s === undefined) return { ir: h, levels: {} };
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    ir: h,
    levels: {
      fullScaleLevelDbSpl: round(dbfsToDbSpl(amplitudeToDb(magnitudeAt(h, 1000, sampleRate)), s)),
      ...(peakDbfs === undefined ? {} : { peakDbSpl: round(dbfsToDbSpl(peakDbfs, s)) }),
    },
  };
}

/** |Σ h[n]·e^(−j2πfn/fs)|: the magnitude of h's spectrum at one frequency. */
function magnitudeAt(h: Float64Array, frequencyHz: number, sampleRate: number): number {
  let re = 0, im = 0;
  const w = (2 * Math.PI * frequencyHz) / sampleRate;
  for (let n = 0; n < h.length; n++) {
    re += h[n]! * Math.cos(w * n);
    im -= h[n]! * Math.sin(w * n);
  }
  return Math.hypot(re, im);
}
