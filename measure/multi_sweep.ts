/**
 * Multiple exponential sweeps (Majdak et al. 2007) [1]: every driver of a
 * device measured in one pass.
 *
 * All drivers play the same synchronized exponential sweep (Novak et al.
 * 2015) [2], driver m starting `m·τ` samples after driver 0. One
 * deconvolution of the single recording by the sweep then gives a time line
 * on which driver m's linear impulse response sits at `m·τ` and its k-th
 * harmonic response at `m·τ − L·ln(k)·fs` [2, eq. 49], `L` the sweep's rate.
 * The offset `τ` is the smallest that keeps, for every driver, the linear IR
 * window (`irLengthSamples`) and the windows of harmonics 2..K disjoint from
 * every other driver's windows:
 *
 *   τ = ceil(L·ln(K)·fs) + preSamples + irLengthSamples            [1, sec. 3]
 *
 * so the stimulus lasts `(M − 1)·τ/fs + T` seconds instead of `M·(T + tail)`
 * for M sequential sweeps. Harmonic k's window is cut short where harmonic
 * k − 1 begins (`L·ln(k/(k−1))` seconds later).
 *
 * Deconvolution is a regularized spectral division (Kirkeby et al. 1998) [3]
 * over one FFT long enough that driver 0's harmonics, which fall before time
 * zero, wrap to the end of the buffer without touching the last driver.
 *
 * References:
 * 1. P. Majdak, P. Balazs, B. Laback, "Multiple exponential sweep method for
 *    fast measurement of head-related transfer functions", J. Audio Eng. Soc.
 *    55(7/8), 2007.
 * 2. A. Novak, P. Lotton, L. Simon, "Synchronized Swept-Sine: Theory,
 *    Application, and Implementation", J. Audio Eng. Soc. 63(10), 2015.
 * 3. O. Kirkeby, P. A. Nelson, H. Hamada, F. Orduna-Bustamante, "Fast
 *    deconvolution of multichannel systems using regularization", IEEE Trans.
 *    Speech Audio Process. 6(2), 1998.
 * 4. A. Farina, "Simultaneous measurement of impulse response and distortion
 *    with a swept-sine technique", AES 108th Convention, 2000.
 *
 * @module
 */
import { amplitudeToDb, peakAmplitude } from "../dsp/db.ts";
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";
import type { AudioDevice } from "./audio_device.ts";
import { type Sweep, type SweepSpec, synchronizedSweep } from "./synchronized_sweep.ts";

/** What a multiple-sweep stimulus is asked for. */
export interface MultiSweepSpec extends SweepSpec {
  /** Number of drivers played in the one pass (1–64). */
  readonly driverCount: number;
  /** Length of each linear impulse response in samples (64–65536). Default 4096. */
  readonly irLengthSamples?: number;
  /** Highest harmonic order K kept apart (2–64). Default 20 (rub & buzz needs orders >= 10). */
  readonly harmonicCount?: number;
  /** Samples kept before each window for pre-ringing (0–4096). Default 64. */
  readonly preSamples?: number;
  /** Largest system latency to allow for, in samples (0–1e6). Default 8192. */
  readonly maxLatencySamples?: number;
}

/** A planned one-pass stimulus. */
export interface MultiSweepPlan {
  /** The sweep every driver plays. */
  readonly sweep: Sweep;
  /** Number of drivers played in the one pass (1–64). */
  readonly driverCount: number;
  /** Length of each linear impulse response in samples (64–65536). */
  readonly irLengthSamples: number;
  /** Highest harmonic order K kept apart (2–64). */
  readonly harmonicCount: number;
  /** Samples kept before each window for pre-ringing (0–4096). */
  readonly preSamples: number;
  /** Largest system latency allowed for, in samples (0–1e6). */
  readonly maxLatencySamples: number;
  /** Start of each driver's sweep in the stimulus, in samples (`m·τ`). */
  readonly offsetsSamples: readonly number[];
  /** The offset τ between consecutive drivers, in samples. */
  readonly offsetStepSamples: number;
  /** Stimulus length in samples (`(M−1)·τ + sweep length`). */
  readonly lengthSamples: number;
  /** Samples to record after the stimulus (latency + IR length). */
  readonly tailSamples: number;
  /** Total seconds of the one pass: stimulus + tail. */
  readonly totalSeconds: number;
  /** Total seconds of M sequential sweeps, each with its own tail. */
  readonly sequentialSeconds: number;
}

/** One driver's responses separated from the one-pass recording. */
export interface MultiSweepDriverResult {
  /** Linear impulse response, `irLengthSamples` long, sample 0 = DAC instant. */
  readonly ir: Float64Array;
  /** Harmonic impulse responses for orders 2..K (index 0 = order 2); lengths vary. */
  readonly harmonics: readonly Float64Array[];
  /** `100·sqrt(Σ_{k=2..min(5,K)} E_k / E_1)`, E the energy of each response [4]. */
  readonly thdPercent: number;
}

/** The separated recording. */
export interface MultiSweepResult {
  /** One result per driver, in the order of the plan's `offsetsSamples`. */
  readonly drivers: readonly MultiSweepDriverResult[];
  /** Latency used, in samples (given, or found on the loopback channel). */
  readonly latencySamples: number;
  /** Peak of the recording in dBFS. */
  readonly peakDbfs: number;
  /** Conditions that make the result unreliable, in plain words. */
  readonly warnings: readonly string[];
}

const fail = (rule: string, value: unknown): never => {
  throw new RangeError(`Cannot plan multiple sweeps as ${rule}: current value is ${value}`);
};

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer between ${min} and ${max}`, value);
  }
}

/** Harmonic advance `L·ln(k)·fs` in samples (not rounded) [2, eq. 49]. */
function advanceSamples(sweep: Sweep, order: number): number {
  return sweep.rateSeconds * Math.log(order) * sweep.sampleRate;
}

/**
 * Plan a one-pass stimulus: one synchronized sweep per driver, driver m
 * delayed by `m·τ`, `τ = ceil(L·ln(K)·fs) + preSamples + irLengthSamples` [1].
 *
 * @param spec Sweep parameters (see `synchronizedSweep`) plus the driver
 *   count, IR length, highest harmonic order and latency allowance.
 * @returns The plan, with the one-pass and the sequential duration in seconds.
 * @throws {RangeError} naming the parameter, rule and value.
 *
 * @example
 * ```ts
 * import { multiSweepPlan } from "./multi_sweep.ts";
 * const plan = multiSweepPlan({ startHz: 20, endHz: 20000, durationSeconds: 1, sampleRate: 48000, driverCount: 5 });
 * console.log(plan.totalSeconds < plan.sequentialSeconds); // true
 * ```
 */
export function multiSweepPlan(spec: MultiSweepSpec): MultiSweepPlan {
  const irLengthSamples = spec.irLengthSamples ?? 4096;
  const harmonicCount = spec.harmonicCount ?? 20;
  const preSamples = spec.preSamples ?? 64;
  const maxLatencySamples = spec.maxLatencySamples ?? 8192;
  checkInteger("driverCount", spec.driverCount, 1, 64);
  checkInteger("irLengthSamples", irLengthSamples, 64, 65536);
  checkInteger("harmonicCount", harmonicCount, 2, 64);
  checkInteger("preSamples", preSamples, 0, 4096);
  checkInteger("maxLatencySamples", maxLatencySamples, 0, 1e6);
  const sweep = synchronizedSweep(spec);
  const top = advanceSamples(sweep, harmonicCount);
  if (advanceSamples(sweep, 2) < preSamples + 16) {
    fail(
      `the sweep must be slow enough that harmonic 2 lies more than preSamples + 16 samples before the linear IR (L·ln2·fs = ${
        advanceSamples(sweep, 2).toFixed(1)
      }); lengthen durationSeconds`,
      spec.durationSeconds,
    );
  }
  const step = Math.ceil(top) + preSamples + irLengthSamples; // [1, sec. 3]
  const offsetsSamples = Array.from({ length: spec.driverCount }, (_, m) => m * step);
  const lengthSamples = (spec.driverCount - 1) * step + sweep.samples.length;
  const tailSamples = maxLatencySamples + irLengthSamples;
  const fs = sweep.sampleRate;
  return {
    sweep,
    driverCount: spec.driverCount,
    irLengthSamples,
    harmonicCount,
    preSamples,
    maxLatencySamples,
    offsetsSamples,
    offsetStepSamples: step,
    lengthSamples,
    tailSamples,
    totalSeconds: (lengthSamples + tailSamples) / fs,
    sequentialSeconds: spec.driverCount * (sweep.samples.length + tailSamples) / fs,
  };
}

/**
 * The stimulus of a plan: one array per driver, each `lengthSamples` long,
 * holding the sweep at that driver's offset and zeros elsewhere.
 */
export function multiSweepStimulus(plan: MultiSweepPlan): Float64Array[] {
  return plan.offsetsSamples.map((offset) => {
    const x = new Float64Array(plan.lengthSamples);
    x.set(plan.sweep.samples, offset);
    return x;
  });
}

/** Options for {@linkcode separateMultiSweep}. */
export interface SeparateMultiSweepOptions {
  /** Known system latency in samples. */
  readonly latencySamples?: number;
  /**
   * A loopback recording (the DAC output wired back, of driver 0 or of the
   * sum of all drivers): the latency is the first deconvolved peak on it.
   */
  readonly loopback?: Float64Array;
}

/** 0 inside [lowHz, highHz], 1 beyond half an octave outside, raised cosine between. */
function outOfBandWeight(f: number, lowHz: number, highHz: number): number {
  const octaves = f < lowHz
    ? Math.log2(lowHz / Math.max(f, 1e-9))
    : f > highHz
    ? Math.log2(f / highHz)
    : 0;
  if (octaves >= 0.5) return 1;
  return 0.5 - 0.5 * Math.cos(2 * Math.PI * octaves);
}

/** Regularized deconvolution `D = Y·conj(X) / (|X|² + ε(f))` over `size` samples [3]. */
function deconvolveCircular(
  sweep: Sweep,
  recording: Float64Array,
  size: number,
): Float64Array {
  const plan = realFftPlan(size);
  const X = plan.forward(sweep.samples);
  const Y = plan.forward(recording);
  let maxPower = 0;
  for (let k = 0; k < plan.binCount; k++) {
    const p = X.re[k]! * X.re[k]! + X.im[k]! * X.im[k]!;
    if (p > maxPower) maxPower = p;
  }
  const binHz = sweep.sampleRate / size;
  const re = new Float64Array(plan.binCount);
  const im = new Float64Array(plan.binCount);
  for (let k = 0; k < plan.binCount; k++) {
    const f = k * binHz;
    // In band a tiny ε keeps the division exact; out of band a large one
    // suppresses noise where the sweep has no energy [3]. ε rises over half
    // an octave beyond each edge (raised cosine) so the band edges do not ring.
    const eps = maxPower * (1e-10 + outOfBandWeight(f, sweep.startHz, sweep.endHz));
    const xr = X.re[k]!, xi = X.im[k]!;
    const yr = Y.re[k]!, yi = Y.im[k]!;
    const d = xr * xr + xi * xi + eps;
    re[k] = (yr * xr + yi * xi) / d;
    im[k] = (yi * xr - yr * xi) / d;
  }
  return plan.inverse({ re, im });
}

function slice(d: Float64Array, start: number, length: number): Float64Array {
  const out = new Float64Array(Math.max(0, length));
  const n = d.length;
  for (let i = 0; i < out.length; i++) out[i] = d[(((start + i) % n) + n) % n]!;
  return out;
}

function energy(x: Float64Array): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
  return e;
}

/**
 * Find the latency on a loopback recording: the first sample of the
 * deconvolved loopback whose magnitude reaches half its peak.
 */
export function loopbackLatencySamples(plan: MultiSweepPlan, loopback: Float64Array): number {
  const size = nextPowerOfTwo(loopback.length + plan.sweep.samples.length);
  const d = deconvolveCircular(plan.sweep, loopback, size);
  const limit = Math.min(d.length, plan.maxLatencySamples + 1);
  const peak = peakAmplitude(d.subarray(0, limit));
  if (peak === 0) {
    throw new RangeError(
      "Cannot find latency as the loopback channel is silent: current peak is 0",
    );
  }
  for (let i = 0; i < limit; i++) if (Math.abs(d[i]!) >= 0.5 * peak) return i;
  return 0;
}

/**
 * Separate a one-pass recording into each driver's linear and harmonic
 * impulse responses [1], [2].
 *
 * @param plan The plan the stimulus was made from.
 * @param recording The microphone channel, at least `lengthSamples` long.
 * @param options Latency in samples, or a loopback channel to find it on.
 * @returns Per-driver IRs (`irLengthSamples`), harmonics 2..K and THD.
 * @throws {RangeError} when the recording is too short or the latency is out of range.
 */
export function separateMultiSweep(
  plan: MultiSweepPlan,
  recording: Float64Array,
  options: SeparateMultiSweepOptions = {},
): MultiSweepResult {
  if (recording.length < plan.lengthSamples) {
    throw new RangeError(
      `Cannot separate multiple sweeps as the recording must be at least the stimulus length (${plan.lengthSamples} samples): current value is ${recording.length}`,
    );
  }
  const latencySamples = options.latencySamples ??
    (options.loopback ? loopbackLatencySamples(plan, options.loopback) : 0);
  if (
    !Number.isInteger(latencySamples) || latencySamples < 0 ||
    latencySamples > plan.maxLatencySamples
  ) {
    throw new RangeError(
      `Cannot separate multiple sweeps as latencySamples must be an integer between 0 and maxLatencySamples (${plan.maxLatencySamples}): current value is ${latencySamples}`,
    );
  }
  const { sweep, harmonicCount: K, preSamples, irLengthSamples } = plan;
  const top = Math.ceil(advanceSamples(sweep, K)) + preSamples;
  const last = plan.offsetsSamples[plan.offsetsSamples.length - 1]!;
  // Driver 0's harmonics wrap to the end: leave room for them after the last IR.
  const size = nextPowerOfTwo(
    Math.max(
      recording.length + sweep.samples.length,
      last + latencySamples + irLengthSamples + top,
    ),
  );
  const d = deconvolveCircular(sweep, recording, size);
  const warnings: string[] = [];
  const peak = peakAmplitude(recording);
  const peakDbfs = amplitudeToDb(peak);
  if (peak >= 0.999) warnings.push(`the recording clips (peak ${peakDbfs.toFixed(2)} dBFS)`);
  const drivers = plan.offsetsSamples.map((offset) => {
    const start = offset + latencySamples;
    const ir = slice(d, start, irLengthSamples);
    const harmonics: Float64Array[] = [];
    for (let k = 2; k <= K; k++) {
      const a = Math.round(advanceSamples(sweep, k));
      const gap = Math.floor(advanceSamples(sweep, k) - advanceSamples(sweep, k - 1));
      const length = Math.min(irLengthSamples, gap - preSamples);
      harmonics.push(slice(d, start - a, Math.max(1, length)));
    }
    const e1 = energy(ir);
    let ed = 0;
    for (let k = 2; k <= Math.min(5, K); k++) ed += energy(harmonics[k - 2]!);
    const thdPercent = e1 > 0 ? 100 * Math.sqrt(ed / e1) : 0; // [4]
    return { ir, harmonics, thdPercent };
  });
  return { drivers, latencySamples, peakDbfs, warnings };
}

/** Options for {@linkcode measureMultiSweep}. */
export interface MeasureMultiSweepOptions {
  /** Input channel id of the microphone. Default: the first `reference` input. */
  readonly micInput?: string;
  /** Input channel id of the loopback. Default: the first `loopback` input, if any. */
  readonly loopbackInput?: string;
  /** Driver ids to play, in order. Default: all the device's outputs. */
  readonly drivers?: readonly string[];
}

/** A one-pass measurement of a device. */
export interface MultiSweepMeasurement extends MultiSweepResult {
  /** The plan the stimulus was made from. */
  readonly plan: MultiSweepPlan;
  /** Driver ids, in the order of `drivers`. */
  readonly driverIds: readonly string[];
  /** The microphone id used. */
  readonly micInput: string;
  /** Wall-clock time of the separation (after the capture), ms. */
  readonly separationMs: number;
}

/**
 * Measure every driver of a device in one pass: plan, play and record, and
 * separate. The spec's `driverCount` is taken from the driver list.
 *
 * @throws {RangeError} when the device has no reference microphone, or a named channel is missing.
 */
export async function measureMultiSweep(
  device: AudioDevice,
  spec: Omit<MultiSweepSpec, "driverCount">,
  options: MeasureMultiSweepOptions = {},
): Promise<MultiSweepMeasurement> {
  const driverIds = options.drivers ?? device.outputs.map((o) => o.id);
  for (const id of driverIds) {
    if (!device.outputs.some((o) => o.id === id)) {
      throw new RangeError(
        `Cannot measure multiple sweeps as driver "${id}" is not an output of ${device.name}: outputs are ${
          device.outputs.map((o) => o.id).join(", ")
        }`,
      );
    }
  }
  const micInput = options.micInput ?? device.inputs.find((i) => i.role === "reference")?.id;
  if (micInput === undefined || !device.inputs.some((i) => i.id === micInput)) {
    throw new RangeError(
      `Cannot measure multiple sweeps as the device needs a reference microphone input: inputs are ${
        device.inputs.map((i) => `${i.id} (${i.role})`).join(", ")
      }`,
    );
  }
  const loopbackInput = options.loopbackInput ??
    device.inputs.find((i) => i.role === "loopback")?.id;
  const plan = multiSweepPlan({ ...spec, driverCount: driverIds.length });
  const inputs = loopbackInput === undefined ? [micInput] : [micInput, loopbackInput];
  const rec = await device.playRecord({
    outputs: driverIds,
    stimulus: multiSweepStimulus(plan),
    inputs,
    tailSamples: plan.tailSamples,
  });
  const mic = rec.signal.channels[0]!;
  const loopback = loopbackInput === undefined ? undefined : rec.signal.channels[1]!;
  const t0 = performance.now();
  const result = separateMultiSweep(plan, mic, loopback ? { loopback } : {});
  const separationMs = performance.now() - t0;
  return {
    ...result,
    warnings: [...rec.warnings, ...result.warnings],
    plan,
    driverIds,
    micInput,
    separationMs,
  };
}
