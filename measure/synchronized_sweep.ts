/**
 * Synchronized exponential sine sweeps (Novak et al. 2015) [1], [2].
 *
 * The sweep is `x(t) = A·sin(2π·f1·L·(e^{t/L} − 1))` for `0 <= t < T̂` with the
 * rate `L = round(f1·T / ln(f2/f1)) / f1`. Rounding `f1·L` to an integer
 * makes the n-th harmonic of the sweep equal to the sweep itself advanced by
 * `L·ln(n)` seconds [1, eq. 47–49]: after deconvolution each harmonic's
 * impulse response appears, phase-synchronized, at time `−L·ln(n)`. The actual
 * duration `T̂ = L·ln(f2/f1)` therefore differs slightly from the requested
 * one; the returned {@linkcode Sweep} carries both.
 *
 * The instantaneous frequency is `f(t) = f1·e^{t/L}` [1, eq. 6].
 *
 * References:
 * 1. A. Novak, P. Lotton, L. Simon, "Synchronized Swept-Sine: Theory,
 *    Application, and Implementation", J. Audio Eng. Soc. 63(10), 2015.
 * 2. A. Farina, "Simultaneous measurement of impulse response and distortion
 *    with a swept-sine technique", AES 108th Convention, 2000.
 *
 * @module
 */
import { dbToAmplitude } from "../dsp/db.ts";

/** The parameters a sweep is asked for. */
export interface SweepSpec {
  /** Start frequency f1 in Hz, > 0. */
  readonly startHz: number;
  /** End frequency f2 in Hz, > startHz and <= sampleRate / 2. */
  readonly endHz: number;
  /** Requested duration in seconds (0.1–120); the actual one is rounded. */
  readonly durationSeconds: number;
  /** Sample rate in Hz (8000–384000). */
  readonly sampleRate: number;
  /** Peak level in dBFS (−100 to 0: lower is below any converter's resolution). Default -12. */
  readonly levelDbfs?: number;
  /** Raised-cosine fade-in in seconds. Default: the time the sweep takes for its first 1/3 octave. */
  readonly fadeInSeconds?: number;
  /** Raised-cosine fade-out in seconds. Default: the time of its last 1/24 octave. */
  readonly fadeOutSeconds?: number;
}

/** The parameters a sweep was made with (JSON-serializable). */
export interface SweepParameters {
  /** Sweep method (manifest `sweep.method`); always `"synchronized-exponential"`. */
  readonly method: "synchronized-exponential";
  /** Start frequency f1 in Hz, > 0. */
  readonly startHz: number;
  /** End frequency f2 in Hz, > startHz and <= sampleRate / 2. */
  readonly endHz: number;
  /** Actual duration `L·ln(f2/f1)` in seconds. */
  readonly durationSeconds: number;
  /** The duration that was requested, in seconds. */
  readonly requestedDurationSeconds: number;
  /** Sample rate in Hz (8000–384000). */
  readonly sampleRate: number;
  /** Peak level in dBFS (<= 0). */
  readonly levelDbfs: number;
  /** Raised-cosine fade-in in seconds, in [0, durationSeconds / 2]. */
  readonly fadeInSeconds: number;
  /** Raised-cosine fade-out in seconds, in [0, durationSeconds / 2]. */
  readonly fadeOutSeconds: number;
  /** The rate parameter L in seconds (`f(t) = f1·e^{t/L}`). */
  readonly rateSeconds: number;
  /** Number of samples of the sweep. */
  readonly lengthSamples: number;
}

/** A generated sweep: its parameters and its samples (peak = 10^(levelDbfs/20)). */
export interface Sweep extends SweepParameters {
  /** The sweep, `lengthSamples` long, full scale = 1.0, fades applied. */
  readonly samples: Float64Array;
}

/** The range of sample rates accepted, in Hz. */
export const SAMPLE_RATE_RANGE_HZ = [8000, 384000] as const;
/** The range of sweep durations accepted, in seconds. */
export const SWEEP_DURATION_RANGE_SECONDS = [0.1, 120] as const;
/** The lowest sweep level accepted, dBFS: a quieter sweep is lost below a converter's resolution. */
export const MIN_SWEEP_LEVEL_DBFS: number = -100;

/**
 * Check a sweep specification and fill in defaults, without generating samples.
 *
 * @throws {RangeError} naming the parameter, rule and value.
 */
export function sweepParameters(spec: SweepSpec): SweepParameters {
  const { startHz, endHz, durationSeconds, sampleRate } = spec;
  const levelDbfs = spec.levelDbfs ?? -12;
  const fail = (rule: string, value: unknown): never => {
    throw new RangeError(`Cannot create sweep as ${rule}: current value is ${value}`);
  };
  if (
    !Number.isFinite(sampleRate) || sampleRate < SAMPLE_RATE_RANGE_HZ[0] ||
    sampleRate > SAMPLE_RATE_RANGE_HZ[1]
  ) {
    fail(
      `sampleRate must be between ${SAMPLE_RATE_RANGE_HZ[0]} and ${SAMPLE_RATE_RANGE_HZ[1]} Hz`,
      sampleRate,
    );
  }
  if (!Number.isFinite(startHz) || startHz <= 0) fail("startHz must be > 0", startHz);
  if (!Number.isFinite(endHz) || endHz > sampleRate / 2) {
    fail(`endHz must be <= sampleRate / 2 (${sampleRate / 2} Hz)`, endHz);
  }
  if (endHz <= startHz) fail(`endHz must be > startHz (${startHz} Hz)`, endHz);
  if (
    !Number.isFinite(durationSeconds) || durationSeconds < SWEEP_DURATION_RANGE_SECONDS[0] ||
    durationSeconds > SWEEP_DURATION_RANGE_SECONDS[1]
  ) {
    fail(
      `durationSeconds must be between ${SWEEP_DURATION_RANGE_SECONDS[0]} and ${
        SWEEP_DURATION_RANGE_SECONDS[1]
      } s`,
      durationSeconds,
    );
  }
  if (!Number.isFinite(levelDbfs) || levelDbfs > 0 || levelDbfs < MIN_SWEEP_LEVEL_DBFS) {
    fail(`levelDbfs must be between ${MIN_SWEEP_LEVEL_DBFS} and 0 dBFS`, levelDbfs);
  }
  const octaves = Math.log(endHz / startHz);
  // [1, eq. 47]: f1·L must be an integer for the harmonics to be synchronized.
  const cycles = Math.max(1, Math.round((startHz * durationSeconds) / octaves));
  const rateSeconds = cycles / startHz;
  const actualDuration = rateSeconds * octaves;
  const lengthSamples = Math.ceil(actualDuration * sampleRate);
  const fadeInSeconds = spec.fadeInSeconds ?? rateSeconds * Math.log(2) / 3;
  const fadeOutSeconds = spec.fadeOutSeconds ?? rateSeconds * Math.log(2) / 24;
  for (
    const [name, value] of [["fadeInSeconds", fadeInSeconds], [
      "fadeOutSeconds",
      fadeOutSeconds,
    ]] as const
  ) {
    if (!Number.isFinite(value) || value < 0 || value > actualDuration / 2) {
      fail(
        `${name} must be between 0 and half the sweep (${(actualDuration / 2).toFixed(3)} s)`,
        value,
      );
    }
  }
  return {
    method: "synchronized-exponential",
    startHz,
    endHz,
    durationSeconds: actualDuration,
    requestedDurationSeconds: durationSeconds,
    sampleRate,
    levelDbfs,
    fadeInSeconds,
    fadeOutSeconds,
    rateSeconds,
    lengthSamples,
  };
}

/**
 * Generate a synchronized exponential sweep.
 *
 * `x[n] = A·w[n]·sin(2π·f1·L·(e^{n/(fs·L)} − 1))`, `A = 10^(levelDbfs/20)`,
 * `w` a raised-cosine fade-in and fade-out [1, eq. 46–47].
 *
 * @param spec The sweep parameters (see {@linkcode SweepSpec}).
 * @returns The sweep with its actual parameters.
 * @throws {RangeError} when a parameter is out of range, e.g.
 *   `Cannot create sweep as endHz must be <= sampleRate / 2 (24000 Hz): current value is 30000`.
 *
 * @example
 * ```ts
 * import { synchronizedSweep } from "./synchronized_sweep.ts";
 * const sweep = synchronizedSweep({ startHz: 20, endHz: 20000, durationSeconds: 2, sampleRate: 48000 });
 * console.log(sweep.durationSeconds); // ≈ 2.07 (rounded so that f1·L is an integer)
 * ```
 */
export function synchronizedSweep(spec: SweepSpec): Sweep {
  const p = sweepParameters(spec);
  const amplitude = dbToAmplitude(p.levelDbfs);
  const samples = new Float64Array(p.lengthSamples);
  const phaseScale = 2 * Math.PI * p.startHz * p.rateSeconds;
  const fadeIn = Math.round(p.fadeInSeconds * p.sampleRate);
  const fadeOut = Math.round(p.fadeOutSeconds * p.sampleRate);
  for (let n = 0; n < samples.length; n++) {
    const t = n / p.sampleRate;
    let w = 1;
    if (n < fadeIn) w = 0.5 - 0.5 * Math.cos((Math.PI * n) / fadeIn);
    const fromEnd = samples.length - 1 - n;
    if (fromEnd < fadeOut) w *= 0.5 - 0.5 * Math.cos((Math.PI * fromEnd) / fadeOut);
    samples[n] = amplitude * w * Math.sin(phaseScale * Math.expm1(t / p.rateSeconds));
  }
  return { ...p, samples };
}

/**
 * Instantaneous frequency of a sweep at time `tSeconds`: `f(t) = f1·e^{t/L}` [1, eq. 6].
 */
export function sweepFrequencyAt(sweep: SweepParameters, tSeconds: number): number {
  return sweep.startHz * Math.exp(tSeconds / sweep.rateSeconds);
}

/**
 * Time in seconds by which the n-th harmonic's impulse response precedes the
 * linear one after deconvolution: `L·ln(n)` [1, eq. 49].
 */
export function harmonicAdvanceSeconds(sweep: SweepParameters, order: number): number {
  return sweep.rateSeconds * Math.log(order);
}

/** The parameters of a sweep without its samples, for `sweep.json`. */
export function sweepToJson(sweep: SweepParameters | Sweep): SweepParameters {
  const { samples: _samples, ...parameters } = sweep as Sweep;
  return parameters;
}
