/**
 * Open-loop measurement: the device plays the stimulus from a file on its own
 * clock (test firmware, a USB or network stream) while the lab's interface
 * records. There is no loopback and no shared clock: the stimulus starts at an
 * unknown instant of the recording and its samples arrive at a rate that
 * differs from the recorder's by tens of ppm. Deconvolving such a recording as
 * if it were closed loop smears the phase of every IR above a few kHz and
 * reads the smear as distortion.
 *
 * The stimulus ({@linkcode openLoopStimulus}) therefore carries two
 * identical **markers** — short exponential chirps played on every channel —
 * one before and one after the sweeps, each followed by a silent gap for the
 * room's decay:
 *
 * ```text
 * | marker | gap | sweep 1 + tail | sweep 2 + tail | … | marker | gap |
 * 0                                                   D
 * ```
 *
 * (one sweep per driver in sequence, slot k on channel k). The layout is
 * written to `sweep.json` (`openLoop`, see {@linkcode layoutToJson}).
 *
 * The analysis ({@linkcode estimateClock}, {@linkcode deconvolveOpenLoop}):
 * 1. **locate**: the reference channel is cross-correlated with the marker
 *    (FFT); the strongest peak and its partner `D` samples away (±1000 ppm)
 *    are the two markers' arrivals, refined to a fraction of a sample by
 *    band-limited interpolation of the correlation to 1/32 sample and a
 *    parabola through its peak [2];
 * 2. **clock ratio**: the two recorded markers passed through the same room
 *    and device, so they are the same waveform shifted by the recorded marker
 *    distance `D·r`. Its fraction of a sample is the slope of the phase of
 *    their cross-spectrum, `arg(Y2·conj(Y1)) = −2πf·δ/fs` (exact for a pure
 *    shift, whatever the room), estimated by weighted least squares in
 *    half-octave bands of the marker; the bands' spread gives the standard
 *    error. `r = recorded / stimulus samples`, and
 *    `driftPpm = (1/r − 1)·1e6`: the device's clock relative to the
 *    recorder's (positive: the device runs fast and the stimulus arrives
 *    compressed);
 * 3. **resample**: the recording is read on the stimulus clock with the
 *    project's band-limited resampler ({@linkcode resampleAt}),
 *    `z[m] = rec(p1 + (m − pre)·r)`, p1 the first marker's arrival: sample
 *    `pre` of each deconvolved IR is that arrival (`pre` = {@linkcode openLoopPreSamples}, room for what arrives before the strongest arrival;
 *    0 with a loopback channel as reference, where the arrival is the DAC
 *    instant as in a closed-loop measurement);
 * 4. **deconvolve** each sweep slot as usual ({@linkcode deconvolve}); the IRs, found on the
 *    stimulus clock, are re-expressed on the recorder's (the lab's reference): the room
 *    responded in real time, and on the stimulus clock its response is time-scaled by the
 *    drift (a 1 s reverberation tail moves by 10 samples at 200 ppm).
 *
 * Without open loop (the recording shares the stimulus's clock and starts
 * with it) the same layout is cut at its nominal sample positions, and the
 * markers are still measured: a drift they reveal is warned about.
 *
 * References:
 * 1. C. H. Knapp, G. C. Carter, "The generalized correlation method for
 *    estimation of time delay", IEEE Trans. ASSP 24(4), 1976 (delay as the
 *    phase slope of the cross-spectrum).
 * 2. J. O. Smith, "Spectral Audio Signal Processing", 2011, "Quadratic
 *    Interpolation of Spectral Peaks" (parabolic peak interpolation).
 *
 * @module
 */
import { nextFastSize, realFftPlan } from "../dsp/fft.ts";
import { resampleAt } from "../dsp/resample.ts";
import { dbToAmplitude } from "../dsp/db.ts";
import { InputError } from "../io/errors.ts";
import {
  type Deconvolution,
  deconvolve,
  type DeconvolveOptions,
  type Recording,
} from "./deconvolve.ts";
import type { Sweep } from "./synchronized_sweep.ts";
import type { AudioDevice, DeviceRecording } from "./audio_device.ts";

/** The marker chirp. */
export interface MarkerSpec {
  /** Always `"exponential-chirp"`. */
  readonly method: "exponential-chirp";
  /** Start frequency in Hz. */
  readonly startHz: number;
  /** End frequency in Hz. */
  readonly endHz: number;
  /** Duration in seconds. */
  readonly durationSeconds: number;
  /** Peak level in dBFS. */
  readonly levelDbfs: number;
  /** Silence after each marker, in seconds (for the room's decay). */
  readonly gapSeconds: number;
}

/** Where everything sits in an open-loop stimulus, in stimulus samples. */
export interface OpenLoopLayout {
  /** The marker. */
  readonly marker: MarkerSpec;
  /** First sample of each marker (two: before and after the sweeps). */
  readonly markerStartsSamples: readonly number[];
  /** First sample of each sweep slot; slot k plays on channel k. */
  readonly sweepStartsSamples: readonly number[];
  /** Samples per slot: the sweep and its tail. */
  readonly slotSamples: number;
  /** Total stimulus length in samples. */
  readonly lengthSamples: number;
}

/** The clock and start found in a recording by {@linkcode estimateClock}. */
export interface ClockEstimate {
  /** Recorder sample (fractional) where the first marker arrives (its correlation peak). */
  readonly firstMarkerSamples: number;
  /** Recorded samples per stimulus sample. */
  readonly ratio: number;
  /** The device's clock relative to the recorder's, ppm: `(1/ratio − 1)·1e6`. */
  readonly driftPpm: number;
  /** Standard error of `driftPpm` (spread of the marker's bands). */
  readonly driftUncertaintyPpm: number;
  /** The recording channel (0-based) the markers were measured on. */
  readonly channel: number;
}

/**
 * Default marker: 0.1 s, 300 Hz to 16 kHz (or 0.4·fs), at the sweep's level, followed by a gap
 * of `gapSeconds` (default 0.5 s; it must hold the room's decay, or the marker's reverberation
 * leaks into the first sweep: the layout uses the sweeps' tail, at least 0.5 s).
 */
export function defaultMarker(
  sampleRate: number,
  levelDbfs: number,
  gapSeconds = 0.5,
): MarkerSpec {
  return {
    method: "exponential-chirp",
    startHz: 300,
    endHz: Math.min(16000, 0.4 * sampleRate),
    durationSeconds: 0.1,
    levelDbfs,
    gapSeconds,
  };
}

/** The marker's samples: an exponential chirp with raised-cosine fades of 10 % each end. */
export function markerSamples(marker: MarkerSpec, sampleRate: number): Float64Array {
  const n = Math.round(marker.durationSeconds * sampleRate);
  const x = new Float64Array(n);
  const T = marker.durationSeconds;
  const k = Math.log(marker.endHz / marker.startHz);
  const a = dbToAmplitude(marker.levelDbfs);
  const fade = Math.max(1, Math.round(0.1 * n));
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const phase = 2 * Math.PI * marker.startHz * T / k * Math.expm1(t * k / T);
    let w = 1;
    if (i < fade) w = 0.5 - 0.5 * Math.cos(Math.PI * i / fade);
    if (n - 1 - i < fade) w *= 0.5 - 0.5 * Math.cos(Math.PI * (n - 1 - i) / fade);
    x[i] = a * w * Math.sin(phase);
  }
  return x;
}

/**
 * The layout of an open-loop stimulus (see the module documentation).
 *
 * @param sweep The sweep of every slot.
 * @param slots Number of sweep slots (drivers in sequence), >= 1.
 * @param tailSeconds Silence after each sweep, >= 0.
 * @param marker The marker (default {@linkcode defaultMarker} with a gap of the tail, >= 0.5 s).
 */
export function openLoopLayout(
  sweep: Sweep,
  slots: number,
  tailSeconds: number,
  marker: MarkerSpec = defaultMarker(sweep.sampleRate, sweep.levelDbfs, Math.max(0.5, tailSeconds)),
): OpenLoopLayout {
  if (!Number.isInteger(slots) || slots < 1 || slots > 64) {
    throw new RangeError(
      `Cannot lay out an open-loop stimulus as the number of sweep slots must be an integer 1..64: current value is ${slots}`,
    );
  }
  if (
    !(marker.startHz > 0 && marker.endHz > marker.startHz && marker.endHz <= sweep.sampleRate / 2)
  ) {
    throw new RangeError(
      `Cannot lay out an open-loop stimulus as the marker must run from > 0 Hz up to at most ${
        sweep.sampleRate / 2
      } Hz: current value is ${marker.startHz}–${marker.endHz} Hz`,
    );
  }
  if (!(marker.durationSeconds >= 0.01 && marker.durationSeconds <= 2)) {
    throw new RangeError(
      `Cannot lay out an open-loop stimulus as the marker's duration must be 0.01..2 s: current value is ${marker.durationSeconds}`,
    );
  }
  if (!(marker.gapSeconds >= 0 && marker.gapSeconds <= 10)) {
    throw new RangeError(
      `Cannot lay out an open-loop stimulus as the marker's gap must be 0..10 s: current value is ${marker.gapSeconds}`,
    );
  }
  const fs = sweep.sampleRate;
  const head = Math.round(marker.durationSeconds * fs) + Math.round(marker.gapSeconds * fs);
  const slotSamples = sweep.samples.length + Math.round(tailSeconds * fs);
  const sweepStartsSamples = Array.from({ length: slots }, (_, k) => head + k * slotSamples);
  const second = head + slots * slotSamples;
  return {
    marker,
    markerStartsSamples: [0, second],
    sweepStartsSamples,
    slotSamples,
    lengthSamples: second + head,
  };
}

/**
 * The stimulus channels of a layout: the markers on every channel, slot k's sweep on
 * channel `slotChannels[k]` (default k).
 *
 * @param sweep The sweep.
 * @param layout The layout.
 * @param channels Number of channels (default: one per slot).
 * @param slotChannels Channel of each slot (default: slot k on channel k).
 */
export function openLoopStimulus(
  sweep: Sweep,
  layout: OpenLoopLayout,
  channels: number = layout.sweepStartsSamples.length,
  slotChannels: readonly number[] = layout.sweepStartsSamples.map((_, k) => k),
): Float64Array[] {
  const marker = markerSamples(layout.marker, sweep.sampleRate);
  const out = Array.from({ length: channels }, () => new Float64Array(layout.lengthSamples));
  for (const x of out) for (const s of layout.markerStartsSamples) x.set(marker, s);
  layout.sweepStartsSamples.forEach((s, k) => out[slotChannels[k]!]!.set(sweep.samples, s));
  return out;
}

/** The layout as written in `sweep.json` under `openLoop`. */
export function layoutToJson(layout: OpenLoopLayout): Record<string, unknown> {
  return {
    marker: { ...layout.marker },
    markerStartsSamples: [...layout.markerStartsSamples],
    sweepStartsSamples: [...layout.sweepStartsSamples],
    slotSamples: layout.slotSamples,
    lengthSamples: layout.lengthSamples,
  };
}

/**
 * Read `openLoop` of a `sweep.json` back: the layout is regenerated from the marker, the number
 * of slots and the tail, and every written position must match it.
 *
 * @param json The whole parsed `sweep.json`.
 * @param sweep Its sweep (from `sweepFromJson`).
 * @param file File name for errors.
 * @returns The layout, or undefined when the file has no `openLoop`.
 * @throws {InputError} naming the file, field and value.
 */
export function layoutFromJson(
  json: unknown,
  sweep: Sweep,
  file: string,
): OpenLoopLayout | undefined {
  const o = (json as Record<string, unknown>).openLoop;
  if (o === undefined) return undefined;
  const fail = (field: string, rule: string, value: unknown): never => {
    throw new InputError(
      `Cannot read sweep parameters "${file}" as openLoop.${field} ${rule}: current value is ${
        JSON.stringify(value)
      }`,
      { file, field: `openLoop.${field}`, value },
    );
  };
  if (typeof o !== "object" || o === null) fail("", "must be an object", o);
  const l = o as Record<string, unknown>;
  const m = l.marker as Record<string, unknown> | undefined;
  if (typeof m !== "object" || m === null) fail("marker", "must be an object", m);
  if (m!.method !== "exponential-chirp") {
    fail("marker.method", 'must be "exponential-chirp"', m!.method);
  }
  const num = (field: string): number => {
    const v = m![field];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      fail(`marker.${field}`, "must be a number", v);
    }
    return v as number;
  };
  const starts = l.sweepStartsSamples;
  if (!Array.isArray(starts) || starts.length < 1) {
    fail("sweepStartsSamples", "must be a non-empty array", starts);
  }
  const tail = (l.slotSamples as number) - sweep.samples.length;
  if (!Number.isInteger(tail) || tail < 0) {
    fail("slotSamples", `must be >= the sweep's length (${sweep.samples.length})`, l.slotSamples);
  }
  let layout: OpenLoopLayout;
  try {
    layout = openLoopLayout(sweep, (starts as unknown[]).length, tail / sweep.sampleRate, {
      method: "exponential-chirp",
      startHz: num("startHz"),
      endHz: num("endHz"),
      durationSeconds: num("durationSeconds"),
      levelDbfs: num("levelDbfs"),
      gapSeconds: num("gapSeconds"),
    });
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`Cannot read sweep parameters "${file}": ${(error as Error).message}`, {
      file,
      field: "openLoop",
      value: undefined,
      cause: error,
    });
  }
  for (const field of ["markerStartsSamples", "sweepStartsSamples", "lengthSamples"] as const) {
    if (JSON.stringify(l[field]) !== JSON.stringify(layout[field])) {
      fail(
        field,
        `must equal the regenerated layout's (${JSON.stringify(layout[field])})`,
        l[field],
      );
    }
  }
  return layout;
}

/** Options of {@linkcode estimateClock}. */
export interface EstimateClockOptions {
  /** Recording channel (0-based) to measure the markers on. Default 0. */
  readonly channel?: number;
  /** Largest clock difference searched, ppm. Default 1000. */
  readonly maxPpm?: number;
}

/**
 * Find the two markers in a recording and estimate the clock ratio (see the module
 * documentation).
 *
 * @param layout The stimulus layout.
 * @param recording The recording (any start, any clock within `maxPpm`).
 * @param options Channel and search range.
 * @returns The estimate, or a RangeError naming what is missing.
 * @throws {RangeError} when the recording does not hold both markers.
 */
export function estimateClock(
  layout: OpenLoopLayout,
  recording: Recording,
  options: EstimateClockOptions = {},
): ClockEstimate {
  const fs = recording.sampleRate;
  const channel = options.channel ?? 0;
  const maxPpm = options.maxPpm ?? 1000;
  const x = recording.channels[channel];
  if (x === undefined) {
    throw new RangeError(
      `Cannot locate the markers as channel ${
        channel + 1
      } is not in the recording (${recording.channels.length} channel(s))`,
    );
  }
  const marker = markerSamples(layout.marker, fs);
  const D = layout.markerStartsSamples[1]! - layout.markerStartsSamples[0]!;
  const slack = Math.ceil(D * maxPpm * 1e-6) + 2;
  if (x.length < D + marker.length) {
    throw new RangeError(
      `Cannot locate the markers as the recording (${x.length} samples) is shorter than the stimulus's marker span (${
        D + marker.length
      } samples): record from before playback until after the last marker`,
    );
  }
  // 1. Cross-correlation with the marker (FFT).
  const size = nextFastSize(x.length + marker.length);
  const plan = realFftPlan(size);
  const X = plan.forward(x), M = plan.forward(marker);
  for (let k = 0; k < plan.binCount; k++) {
    const xr = X.re[k]!, xi = X.im[k]!, mr = M.re[k]!, mi = M.im[k]!;
    X.re[k] = xr * mr + xi * mi;
    X.im[k] = xi * mr - xr * mi;
  }
  const c = plan.inverse(X);
  const n = x.length;
  // The pair (p1, p2 within D ± slack) with the largest |c[p1]| + |c[p2]|: a sliding maximum
  // of |c| over the partner window (monotone deque), so a loud sweep or reflection alone
  // cannot be taken for a marker.
  const last = n - 1 - (D - slack);
  if (last < 0) {
    throw new RangeError(
      "Cannot locate the markers as the recording holds only one of them: record from before playback until after the last marker",
    );
  }
  const deque = new Int32Array(n);
  let head = 0, tail = 0, next = D - slack; // next index of c to push into the window
  let p1 = 0, p2 = 0, best = -1;
  for (let i = 0; i <= last; i++) {
    const to = Math.min(n - 1, i + D + slack);
    for (; next <= to; next++) {
      const v = Math.abs(c[next]!);
      while (tail > head && Math.abs(c[deque[tail - 1]!]!) <= v) tail--;
      deque[tail++] = next;
    }
    while (deque[head]! < i + D - slack) head++;
    const score = Math.abs(c[i]!) + Math.abs(c[deque[head]!]!);
    if (score > best) {
      best = score;
      p1 = i;
      p2 = deque[head]!;
    }
  }
  const rms = Math.sqrt(c.reduce((s, v) => s + v * v, 0) / c.length);
  const clear1 = Math.abs(c[p1]!) > 10 * rms, clear2 = Math.abs(c[p2]!) > 10 * rms;
  let anyClear = false;
  for (let i = 0; i < n && !anyClear; i++) anyClear = Math.abs(c[i]!) > 10 * rms;
  if (!(clear1 && clear2) && anyClear) {
    throw new RangeError(
      `Cannot locate the markers on channel ${
        channel + 1
      } as the recording holds only one of them: record from before playback until after the last marker`,
    );
  }
  if (!(clear1 && clear2)) {
    throw new RangeError(
      `Cannot locate the markers on channel ${
        channel + 1
      } as their correlation peaks stand less than 20 dB above the correlation's RMS: is this a recording of the stimulus in the sweep.json?`,
    );
  }
  // Sub-sample peak: the correlation band-limited-interpolated to 1/32 sample around the peak
  // (resampleAt), then a parabola through the three finest values. Interpolating first makes
  // the estimate shift-equivariant (a parabola through integer lags is biased by up to a few
  // hundredths of a sample, depending on the fractional start — measured 0.03 samples between
  // captures, 0.4 dB of fitted separation).
  const FINE = 32;
  const refine = (i: number): number => {
    const fine = resampleAt(c, { start: i - 2, step: 1 / FINE, length: 4 * FINE + 1 });
    let j = 1, top = -1;
    for (let k = 1; k < fine.length - 1; k++) {
      const a = Math.abs(fine[k]!);
      if (a > top) {
        top = a;
        j = k;
      }
    }
    const a = Math.abs(fine[j - 1]!), b = Math.abs(fine[j]!), d = Math.abs(fine[j + 1]!);
    const den = a - 2 * b + d;
    return i - 2 + (j + (den === 0 ? 0 : 0.5 * (a - d) / den)) / FINE;
  };
  const f1 = refine(p1), f2 = refine(p2);
  // 2. The fractional part of the marker distance from the cross-spectrum's phase slope.
  const pre = Math.round(0.005 * fs);
  const w = Math.min(
    marker.length + Math.round(layout.marker.gapSeconds * fs),
    n - Math.round(f2) + pre,
  );
  const s1 = Math.round(f1) - pre, s2 = Math.round(f2) - pre;
  const seg = (s: number) => {
    const y = new Float64Array(w);
    for (let i = 0; i < w; i++) {
      const j = s + i;
      if (j >= 0 && j < n) y[i] = x[j]!;
    }
    return y;
  };
  const fftSize = nextFastSize(2 * w);
  const fplan = realFftPlan(fftSize);
  const Y1 = fplan.forward(seg(s1)), Y2 = fplan.forward(seg(s2));
  const bands: { delta: number; weight: number }[] = [];
  const lo = layout.marker.startHz * 1.1, hi = layout.marker.endHz / 1.1;
  for (let fa = lo; fa < hi; fa *= Math.SQRT2) {
    const fb = Math.min(hi, fa * Math.SQRT2);
    let num = 0, den = 0;
    for (
      let k = Math.ceil(fa * fftSize / fs);
      k <= Math.floor(fb * fftSize / fs);
      k++
    ) {
      const re = Y2.re[k]! * Y1.re[k]! + Y2.im[k]! * Y1.im[k]!;
      const im = Y2.im[k]! * Y1.re[k]! - Y2.re[k]! * Y1.im[k]!;
      const mag = Math.hypot(re, im);
      const omega = 2 * Math.PI * k / fftSize; // rad per sample
      const phase = Math.atan2(im, re);
      num += mag * omega * phase;
      den += mag * omega * omega;
    }
    if (den > 0) bands.push({ delta: -num / den, weight: den });
  }
  const W = bands.reduce((s, b) => s + b.weight, 0);
  const delta = bands.reduce((s, b) => s + b.weight * b.delta, 0) / W;
  const spread = bands.length > 1
    ? Math.sqrt(
      bands.reduce((s, b) => s + b.weight * (b.delta - delta) ** 2, 0) / W / (bands.length - 1),
    )
    : NaN;
  const recorded = s2 - s1 + delta;
  const ratio = recorded / D;
  return {
    firstMarkerSamples: f1 - layout.markerStartsSamples[0]! * ratio,
    ratio,
    driftPpm: (1 / ratio - 1) * 1e6,
    driftUncertaintyPpm: spread / D / ratio * 1e6,
    channel,
  };
}

/** Options of {@linkcode deconvolveOpenLoop}. */
export interface OpenLoopOptions extends DeconvolveOptions {
  /**
   * True: the recording's start is unknown and its clock is the recorder's: locate, estimate
   * the clock, resample, deconvolve. False: the recording starts with the stimulus on the same
   * clock (closed loop); the markers are only measured, to warn about a drift. Default true.
   */
  readonly openLoop?: boolean;
  /** Channel (0-based) to measure the markers on. Default: the loopback channel, else 0. */
  readonly referenceChannel?: number;
  /**
   * Samples each IR keeps before the first marker's arrival on the reference channel (open
   * loop). Default 0 when the reference is the loopback channel, else
   * {@linkcode openLoopPreSamples}.
   */
  readonly preSamples?: number;
}

/** Result of {@linkcode deconvolveOpenLoop}. */
export interface OpenLoopDeconvolution {
  /** One deconvolution per sweep slot (driver), each of every recorded channel. */
  readonly slots: readonly Deconvolution[];
  /** The clock and start found (null: closed loop and the markers could not be measured). */
  readonly clock: ClockEstimate | null;
  /** Warnings: the slots' (prefixed `slot k:` when there are several) and drift. */
  readonly warnings: readonly string[];
}

/**
 * Samples an open-loop IR keeps before the first marker's arrival: 20 ms (room for what arrives
 * before the strongest arrival), at most a quarter of the window the harmonic separation gives
 * the linear response (`L·ln((K+1)/K) − 4 ms`, K the highest order; 1 for K < 2), so that the
 * response stays inside it (e.g. 960 samples for a 2 s sweep at 48 kHz, 264 for a 1 s one).
 */
export function openLoopPreSamples(sweep: Sweep, harmonicCount = 5): number {
  const fs = sweep.sampleRate;
  const twenty = Math.round(0.02 * fs);
  if (harmonicCount < 2) return twenty;
  const window =
    Math.floor(sweep.rateSeconds * Math.log((harmonicCount + 1) / harmonicCount) * fs) -
    Math.round(0.004 * fs);
  return Math.max(0, Math.min(twenty, Math.floor(window / 4)));
}

/** |drift| above which a closed-loop deconvolution warns (and above 3 standard errors), ppm. */
export const DRIFT_WARNING_PPM = 0.5;

/**
 * Deconvolve a recording of an open-loop stimulus (see the module documentation).
 *
 * @param sweep The sweep of the layout.
 * @param layout The stimulus layout (`sweep.json` `openLoop`).
 * @param recording The recording.
 * @param options {@linkcode OpenLoopOptions}.
 * @returns The slots' deconvolutions, the clock estimate and warnings.
 * @throws {RangeError} when the markers cannot be found (open loop) or as `deconvolve`.
 */
export function deconvolveOpenLoop(
  sweep: Sweep,
  layout: OpenLoopLayout,
  recording: Recording,
  options: OpenLoopOptions = {},
): OpenLoopDeconvolution {
  const fs = sweep.sampleRate;
  const openLoop = options.openLoop ?? true;
  const reference = options.referenceChannel ?? options.loopbackChannel ?? 0;
  const warnings: string[] = [];
  let clock: ClockEstimate | null = null;
  let z: readonly (Float64Array | Float32Array)[];
  if (openLoop) {
    clock = estimateClock(layout, recording, { channel: reference });
    const pre = options.preSamples ??
      (options.loopbackChannel === reference
        ? 0
        : openLoopPreSamples(sweep, options.harmonicCount ?? 5));
    const start = clock.firstMarkerSamples - pre * clock.ratio;
    z = recording.channels.map((x) =>
      resampleAt(x, { start, step: clock!.ratio, length: layout.lengthSamples })
    );
  } else {
    try {
      clock = estimateClock(layout, recording, { channel: reference });
    } catch {
      clock = null;
    }
    const warning = clock === null ? undefined : driftWarning(clock, "the markers");
    if (warning !== undefined) warnings.push(warning);
    z = recording.channels;
  }
  const slots = layout.sweepStartsSamples.map((s, k) => {
    const channels = z.map((x) => {
      const y = new Float64Array(layout.slotSamples);
      const part = x.subarray(Math.min(x.length, s), Math.min(x.length, s + layout.slotSamples));
      y.set(part);
      return y;
    });
    const { openLoop: _o, referenceChannel: _r, preSamples: _p, ...deconvolveOptions } = options;
    const d = deconvolve(sweep, { sampleRate: fs, channels }, {
      ...deconvolveOptions,
      ...(options.irLengthSamples === undefined
        ? {
          irLengthSamples: Math.max(
            layout.slotSamples - sweep.samples.length,
            Math.round(0.1 * fs),
          ),
        }
        : {}),
    });
    const prefix = layout.sweepStartsSamples.length > 1 ? `slot ${k + 1}: ` : "";
    for (const w of d.warnings) warnings.push(prefix + w);
    return openLoop ? onRecorderClock(d, clock!.ratio) : d;
  });
  return { slots, clock, warnings };
}

/**
 * The IRs of a deconvolution on the stimulus clock, re-expressed on the recorder's: the room and
 * the device responded in real time, which the recorder's clock measures, while the resampled
 * recording saw them time-scaled by `1/ratio` (`h_s(s) = h(s·ratio)·ratio` — a reverberation
 * tail 1 s long moves by 10 samples at 200 ppm). So `h[k] = h_s(k/ratio)/ratio`, sample 0
 * kept (band-limited, {@linkcode resampleAt}).
 */
function onRecorderClock(d: Deconvolution, ratio: number): Deconvolution {
  const rescale = (x: Float64Array) => {
    const y = resampleAt(x, { start: 0, step: 1 / ratio, length: x.length });
    for (let i = 0; i < y.length; i++) y[i] = y[i]! / ratio;
    return y;
  };
  return {
    ...d,
    ir: { sampleRate: d.ir.sampleRate, channels: d.ir.channels.map(rescale) },
    harmonics: d.harmonics.map((h) => ({
      sampleRate: h.sampleRate,
      channels: h.channels.map(rescale),
    })),
  };
}

/** Longest unknown start an open-loop capture allows for, in seconds. */
export const MAX_OPEN_LOOP_START_SECONDS = 2;

/**
 * One open-loop capture of one driver (the measurement session's step): the stimulus is one
 * sweep slot on `driver` between two markers played on every output of the device (so every
 * driver's capture at a position shares the same time reference: the markers' arrival), the
 * recording runs `MAX_OPEN_LOOP_START_SECONDS` longer for the unknown start, and it is
 * deconvolved open loop with the first input as reference.
 *
 * @returns The recording, the slot's deconvolution and the clock estimate.
 */
export async function captureOpenLoop(
  device: AudioDevice,
  sweep: Sweep,
  driver: string,
  step: {
    readonly inputs: readonly string[];
    readonly irLengthSamples: number;
    readonly tailSamples: number;
    readonly harmonicCount: number;
  },
): Promise<{ recording: DeviceRecording; result: Deconvolution; clock: ClockEstimate }> {
  const fs = sweep.sampleRate;
  const layout = openLoopLayout(sweep, 1, step.tailSamples / fs);
  const outputs = device.outputs.map((o) => o.id);
  const stimulus = openLoopStimulus(sweep, layout, outputs.length, [outputs.indexOf(driver)]);
  const recording = await device.playRecord({
    outputs,
    stimulus,
    inputs: [...step.inputs],
    tailSamples: Math.round((MAX_OPEN_LOOP_START_SECONDS + 0.25) * fs),
  });
  const r = deconvolveOpenLoop(sweep, layout, recording.signal, {
    irLengthSamples: step.irLengthSamples,
    harmonicCount: step.harmonicCount,
    referenceChannel: 0,
  });
  return { recording, result: r.slots[0]!, clock: r.clock! };
}

/**
 * The clock drift a plain sweep (no markers) shows on an electrical loopback channel. A device
 * clock `s = 1 + ε` fast plays the exponential sweep's frequency f at `(L/s)·ln(f/(f1·s))`
 * instead of `L·ln(f/f1)`: the deconvolved loopback's group delay falls by `ε·L·ln(f/f1)`
 * (1.2 samples from 200 Hz to 16 kHz at 20 ppm for a 2 s sweep), where a shared clock keeps it
 * flat. The group delay of `Y·conj(X)` (loopback against the sweep) is measured per octave band
 * (phase differences of adjacent bins, weighted by magnitude) and regressed on `ln f`:
 * `ε = −slope/L`, with the regression's standard error.
 *
 * @param sweep The sweep that was played.
 * @param loopback The recorded loopback channel (starting at or before the sweep).
 * @returns `driftPpm` and its standard error, or undefined when fewer than 3 bands are usable.
 */
export function driftFromLoopback(
  sweep: Sweep,
  loopback: ArrayLike<number>,
): { driftPpm: number; driftUncertaintyPpm: number } | undefined {
  const fs = sweep.sampleRate;
  const size = nextFastSize(loopback.length + sweep.samples.length);
  const plan = realFftPlan(size);
  const Y = plan.forward(loopback), X = plan.forward(sweep.samples);
  const re = new Float64Array(plan.binCount), im = new Float64Array(plan.binCount);
  for (let k = 0; k < plan.binCount; k++) {
    re[k] = Y.re[k]! * X.re[k]! + Y.im[k]! * X.im[k]!;
    im[k] = Y.im[k]! * X.re[k]! - Y.re[k]! * X.im[k]!;
  }
  const xs: number[] = [], ys: number[] = [];
  const dOmega = 2 * Math.PI / size; // rad per sample per bin
  for (let lo = 2 * sweep.startHz; lo * 2 <= Math.min(sweep.endHz / 1.5, 0.45 * fs); lo *= 2) {
    let num = 0, den = 0;
    for (let k = Math.ceil(lo * size / fs); k < Math.floor(2 * lo * size / fs); k++) {
      // arg(C[k+1]·conj(C[k])) / Δω = −group delay
      const a = re[k + 1]! * re[k]! + im[k + 1]! * im[k]!;
      const b = im[k + 1]! * re[k]! - re[k + 1]! * im[k]!;
      const w = Math.hypot(re[k]!, im[k]!);
      num += w * -Math.atan2(b, a) / dOmega;
      den += w;
    }
    if (den > 0) {
      xs.push(Math.log(Math.SQRT2 * lo / sweep.startHz));
      ys.push(num / den);
    }
  }
  if (xs.length < 3) return undefined;
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n, my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxy / sxx; // samples per neper
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (ys[i]! - my - slope * (xs[i]! - mx)) ** 2;
  const se = Math.sqrt(rss / (n - 2) / sxx);
  const L = sweep.rateSeconds * fs; // in samples
  return { driftPpm: -slope / L * 1e6, driftUncertaintyPpm: se / L * 1e6 };
}

/**
 * The warning of a closed-loop deconvolution whose markers or loopback show a clock drift, or
 * undefined (|drift| <= {@linkcode DRIFT_WARNING_PPM} or within 3 standard errors).
 */
export function driftWarning(
  drift: { driftPpm: number; driftUncertaintyPpm: number },
  seenOn: string,
  advice = "pass --open-loop",
): string | undefined {
  if (
    !(Math.abs(drift.driftPpm) > DRIFT_WARNING_PPM) ||
    Math.abs(drift.driftPpm) < 3 * drift.driftUncertaintyPpm
  ) return undefined;
  return `clock drift: ${seenOn} show the device's clock ${drift.driftPpm.toFixed(2)} ± ${
    drift.driftUncertaintyPpm.toFixed(2)
  } ppm off the recorder's; the IRs' phase is wrong above a few kHz and THD reads high: ${advice}`;
}
