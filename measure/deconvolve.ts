/**
 * Deconvolution of a sweep recording into the linear impulse response, the
 * harmonic impulse responses and capture-quality figures.
 *
 * The kernel divides the recording's spectrum by the sweep's own spectrum
 * with a frequency-dependent regularization (Kirkeby et al. 1998 [3]):
 * `H(f) = Y(f)·conj(X(f)) / (|X(f)|² + ε(f))`, `ε(f) = 1e-12·max|X|²` inside
 * [startHz, endHz] rising smoothly (raised cosine over one octave on a log
 * frequency axis) to `max|X|²` outside, so that out-of-band noise is not
 * amplified. Inside the band this is exact (relative error ≈ ε/|X|²), unlike
 * the asymptotic analytic inverse of [1, eq. 43], whose approximation error
 * is far above −100 dB near the band edges. The division is circular on the
 * smallest 2·3·5-smooth grid (`nextFastSize`; for float32 a multiple of 32,
 * as PFFFT needs) with `N >= max(M, irLength) + L·ln(K)·fs + 4 ms`, M the
 * recording's length: it holds the whole recording (so the sweep's response
 * is not cut) and the harmonic windows, which land at `−L·ln(n)` [1, eq. 49],
 * i.e. near the end of the circular buffer, where they are cut out as in
 * Farina's method [2], without anything of the recording folding onto them.
 * (The smallest 5-smooth grid holding only M folds the recording's last
 * `L·ln(K)·fs + 4 ms − (N − M)` samples onto the harmonic windows; measured,
 * that moved the IRs by −110 dB and the harmonics by −50 dB re the power-of-two
 * grids used before, against −131 dB and below for this rule. A test checks
 * circular against zero-padded
 * division to −100 dB). The sweep's inverse spectrum is computed once per
 * sweep and grid size; one spectrum and one time buffer per grid size are
 * reused for every channel and call, and each channel's IR and harmonic
 * windows are cut out before the next channel is divided.
 *
 * Sample 0 of the returned impulse responses is the sweep's first sample.
 * With `loopbackChannel`, the latency found on that electrical reference is
 * removed from every channel, so sample 0 is the instant the sweep's first
 * sample reaches the DAC and acoustic propagation delay is kept (DESIGN.md).
 *
 * References:
 * 1. A. Novak, P. Lotton, L. Simon, "Synchronized Swept-Sine: Theory,
 *    Application, and Implementation", J. Audio Eng. Soc. 63(10), 2015.
 * 2. A. Farina, "Simultaneous measurement of impulse response and distortion
 *    with a swept-sine technique", AES 108th Convention, 2000.
 * 3. O. Kirkeby, P. A. Nelson, H. Hamada, F. Orduña-Bustamante, "Fast
 *    deconvolution of multichannel systems using regularization", IEEE Trans.
 *    Speech Audio Process. 6(2), 1998.
 *
 * @module
 */
import { nextFastSize, type RealFftPlan, realFftPlan, type Spectrum } from "../dsp/fft.ts";
import { realFftPlanFloat32 } from "../dsp/fft_float32.ts";
import { findNonFinite, type Signal } from "../dsp/signal.ts";
import { amplitudeToDb, peakAmplitude, powerToDb } from "../dsp/db.ts";
import { harmonicAdvanceSeconds, type Sweep } from "./synchronized_sweep.ts";
import { detectClipping, detectDropouts, peakToNoiseDb, sweepLoudSpan } from "./capture_quality.ts";
import { type HarmonicDistortion, harmonicDistortion } from "./harmonics.ts";

/** Options of {@linkcode deconvolve}. */
export interface DeconvolveOptions {
  /** Index of the recording channel that carries the electrical loopback reference. */
  readonly loopbackChannel?: number;
  /**
   * Length of the returned linear impulse responses in samples. Default: the
   * recorded tail after the sweep (recording length − sweep length), at least
   * 0.1 s.
   */
  readonly irLengthSamples?: number;
  /** Highest harmonic order to separate (2–16). Default 5. 1 separates none. */
  readonly harmonicCount?: number;
  /** Peak-to-noise ratio in dB below which a capture gets a low-SNR warning. Default 40. */
  readonly minSnrDb?: number;
  /**
   * Precision of the long FFTs: `"float64"` (default, the mixed-radix FFT of `dsp/fft.ts`:
   * exact to ~−300 dB)
   * or `"float32"` (PFFFT with WebAssembly SIMD, about 2× faster, round-off floor
   * ≈ −130 dB re the signal, below any acoustic measurement's noise).
   */
  readonly fftPrecision?: "float64" | "float32";
  /**
   * Without a loopback channel: refuse (RangeError) a channel whose response peaks before the
   * recording's first sample by more than 6 dB over its largest response after it — a
   * recording that starts after the sweep. Default false (such a channel then only gets a
   * poor IR). With a loopback channel the loopback is always checked this way.
   */
  readonly requireCausal?: boolean;
}

/**
 * A recording to deconvolve: a {@linkcode Signal}, or the same with `Float32Array` channels
 * (as `readWavCompact` reads a float32 WAV, in half the memory).
 */
export interface Recording {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** One array per channel, all of equal length. */
  readonly channels: readonly (Float64Array | Float32Array)[];
}

/** Quality figures of one recorded channel. */
export interface ChannelQuality {
  /** Peak-to-noise ratio of the impulse response in dB (peak² / mean noise power in its last quarter). */
  readonly snrDb: number;
  /** Peak level of the recording in dBFS. */
  readonly peakDbfs: number;
  /** Mean noise power of the impulse response's last quarter, in dB re 1. */
  readonly noiseFloorDb: number;
  /** First sample where |h| comes within 20 dB of its peak (direct-sound arrival). */
  readonly onsetSamples: number;
  /**
   * Total harmonic distortion in percent (see {@linkcode HarmonicDistortion}); `NaN` when the
   * harmonics cannot be separated (`harmonicsSeparable` false).
   */
  readonly thdPercent: number;
  /**
   * Whether the response arrives inside the linear window that the harmonic separation needs
   * (`harmonicCount >= 2`). False for a pre-roll without a loopback channel or more latency than
   * the window (L·ln((K+1)/K) minus 4 ms): the harmonic windows would then hold the linear
   * response and THD would read hundreds of percent. Channels without a clear peak count as
   * separable.
   */
  readonly harmonicsSeparable: boolean;
  /**
   * This channel's warnings in plain words: clipping, dropouts (runs of exact zeros while the
   * sweep, located at this channel's IR onset, is within 20 dB of its peak), low SNR (not
   * checked on the loopback channel).
   */
  readonly warnings: readonly string[];
}

/** Result of {@linkcode deconvolve}. */
export interface Deconvolution {
  /** Linear impulse responses, one channel per recorded channel (normalized to the sweep's amplitude). */
  readonly ir: Signal;
  /** `harmonics[c]` has one channel per order 2..K for recorded channel c; sample `harmonicPreSamples` is the harmonic's nominal arrival. */
  readonly harmonics: readonly Signal[];
  /** Samples kept before each harmonic's nominal arrival in `harmonics`: round(0.004·sampleRate), i.e. 4 ms. */
  readonly harmonicPreSamples: number;
  /** THD versus frequency per channel. */
  readonly distortion: readonly HarmonicDistortion[];
  /** Quality figures per recorded channel, in channel order. */
  readonly quality: readonly ChannelQuality[];
  /** Latency removed, in samples (from the loopback channel), or null without one. */
  readonly latencySamples: number | null;
  /**
   * All channel warnings, each prefixed with its 1-based channel number as the CLI reports it
   * (`"channel 1: …"`, channel 1 = first channel = `quality[0]`, unlike the 0-based
   * `loopbackChannel` option).
   */
  readonly warnings: readonly string[];
}

/** Time kept before each harmonic's nominal arrival, for the band-limited pre-ringing. */
const HARMONIC_PRE_SECONDS = 0.004;

/**
 * Refuse a channel whose response does not start where the harmonic
 * separation needs it: the peak of the deconvolved response `h` (circular)
 * must lie in `[shift - pre, shift + harmonicLength)`. A recording that
 * started after the sweep puts the peak before `shift` (the sweep's start is
 * missing); a pre-roll without a loopback channel, or more latency than the
 * harmonic windows allow, puts it after the linear window, where harmonic
 * windows catch the linear response and THD reads hundreds or thousands of
 * percent. Channels without a clear peak (peak-to-RMS below 20 dB: silence or
 * noise) are not judged here.
 *
 * @returns `undefined`, or how many samples after the sweep's start a late response arrives.
 * @throws {RangeError} for a recording that started after the sweep, naming the channel
 *   (1-based), where the peak is and what to do.
 */
function checkArrival(
  h: Float64Array,
  c: number,
  shift: number,
  pre: number,
  harmonicLength: number | undefined,
  fs: number,
): number | undefined {
  let peak = 0, at = 0, energy = 0;
  for (let i = 0; i < h.length; i++) {
    const a = Math.abs(h[i]!);
    energy += a * a;
    if (a > peak) {
      peak = a;
      at = i;
    }
  }
  const rms = Math.sqrt(energy / h.length);
  if (!(peak > 10 * rms)) return undefined; // 20 dB: no clear arrival to judge
  let d = (at - shift) % h.length;
  if (d < 0) d += h.length;
  if (d > h.length / 2) d -= h.length; // signed offset from the sweep's start, circularly
  const ms = (n: number) => `${Math.round(Math.abs(n) / fs * 1000)} ms`;
  if (d < -pre) {
    throw new RangeError(
      `Cannot deconvolve channel ${c + 1} as its response peaks ${-d} samples (${
        ms(d)
      }) before the sweep's start: the recording started after the sweep, so its beginning is missing; start recording before playback`,
    );
  }
  return harmonicLength !== undefined && d >= harmonicLength ? d : undefined;
}

/**
 * Deconvolve a sweep recording (see the module documentation for the method).
 *
 * @param sweep The sweep that was played (from {@linkcode synchronizedSweep}).
 * @param recording What was recorded, starting at (or before) the sweep's first sample; at least as long as the sweep.
 * @param options See {@linkcode DeconvolveOptions}.
 * @returns Impulse responses, harmonics, distortion and quality per channel.
 * @throws {RangeError} on sample-rate mismatch, a recording shorter than the sweep, NaN samples, bad options.
 *
 * @example
 * ```ts
 * import { synchronizedSweep } from "./synchronized_sweep.ts";
 * import { deconvolve } from "./deconvolve.ts";
 * const sweep = synchronizedSweep({ startHz: 20, endHz: 20000, durationSeconds: 1, sampleRate: 48000 });
 * const rec = new Float64Array(sweep.samples.length + 4800);
 * rec.set(sweep.samples.map((v) => 0.5 * v), 10); // a 10-sample delay, gain 0.5
 * const { ir } = deconvolve(sweep, { sampleRate: 48000, channels: [rec] });
 * // ir.channels[0] peaks at sample 10 with ≈ 0.5
 * ```
 */
export function deconvolve(
  sweep: Sweep,
  recording: Recording,
  options: DeconvolveOptions = {},
): Deconvolution {
  validate(sweep, recording, options);
  const fs = sweep.sampleRate;
  const M = recording.channels[0]!.length;
  const K = options.harmonicCount ?? 5;
  const minSnrDb = options.minSnrDb ?? 40;
  const irLength = options.irLengthSamples ??
    Math.max(M - sweep.samples.length, Math.round(0.1 * fs));
  const advanceK = K >= 2 ? Math.ceil(harmonicAdvanceSeconds(sweep, K) * fs) : 0;
  const pre = Math.round(HARMONIC_PRE_SECONDS * fs);
  const float32 = options.fftPrecision === "float32";
  // The smallest fast (5-smooth) grid holding the recording and the IR and harmonic windows
  // apart; PFFFT needs a multiple of 32.
  const size = nextFastSize(Math.max(M, irLength) + advanceK + pre, float32 ? 32 : 2);
  const planFor = float32 ? realFftPlanFloat32 : realFftPlan;
  const plan = planFor(size);
  const inverse = cachedInverseSpectrum(sweep, size, float32, planFor);
  const invAmplitude = 1 / (peakAmplitude(sweep.samples) || 1);
  // Dropouts are looked for only where the sweep is within 20 dB of its peak (see sweepLoudSpan).
  const loud = sweepLoudSpan(sweep, 20);
  // One spectrum and one time buffer, reused for every channel (and every call of this size).
  const work = workspace(size, plan.binCount);
  const Y = work.spectrum, h = work.h;
  const gr = inverse.re, gi = inverse.im;
  const binCount = plan.binCount;
  let held = -1; // the channel whose division the shared buffer holds
  /** h = IFFT(FFT(channel c)·G)/amplitude, in the shared buffer. */
  const divide = (c: number): Float64Array => {
    if (held === c) return h;
    plan.forwardInto(recording.channels[c]!, Y);
    const yre = Y.re, yim = Y.im;
    for (let k = 0; k < binCount; k++) {
      const yr = yre[k]!, yi = yim[k]!, ar = gr[k]!, ai = gi[k]!;
      yre[k] = (yr * ar - yi * ai) * invAmplitude;
      yim[k] = (yr * ai + yi * ar) * invAmplitude;
    }
    plan.inverseInto(Y, h);
    held = c;
    return h;
  };

  if (options.requireCausal && options.loopbackChannel === undefined) {
    recording.channels.forEach((_, c) => checkCausal(divide(c), c, size - advanceK));
  }
  let latency: number | null = null;
  if (options.loopbackChannel !== undefined) {
    latency = loopbackLatency(
      divide(options.loopbackChannel),
      options.loopbackChannel,
      size - advanceK,
    );
  }
  const shift = latency ?? 0;
  const harmonicLength = K >= 2
    ? Math.max(
      64,
      Math.min(irLength, Math.floor(sweep.rateSeconds * Math.log((K + 1) / K) * fs) - pre),
    )
    : 0;

  const irs: Float64Array[] = [];
  const harmonics: Signal[] = [];
  const distortion: HarmonicDistortion[] = [];
  const quality: ChannelQuality[] = [];
  const warnings: string[] = [];
  recording.channels.forEach((_, c) => {
    const h = divide(c);
    const lateBy = checkArrival(h, c, shift, pre, K >= 2 ? harmonicLength : undefined, fs);
    const ir = circularSlice(h, shift, irLength);
    irs.push(ir);
    const orders: Float64Array[] = [];
    for (let n = 2; n <= K; n++) {
      const start = shift - Math.round(harmonicAdvanceSeconds(sweep, n) * fs) - pre;
      orders.push(circularSlice(h, start, harmonicLength + pre));
    }
    harmonics.push({ sampleRate: fs, channels: orders });
    const linearWindow = circularSlice(h, shift - pre, harmonicLength + pre);
    const hd = harmonicDistortion(linearWindow, orders, {
      sampleRate: fs,
      startHz: sweep.startHz,
      endHz: sweep.endHz,
      preSamples: pre,
      lengthSamples: harmonicLength,
    });
    distortion.push(hd);
    const channelWarnings: string[] = [];
    const clip = detectClipping(recording.channels[c]!);
    if (clip.count > 0) {
      channelWarnings.push(
        `clipping: ${clip.count} samples at or above ${clip.thresholdDbfs} dBFS (first at sample ${clip.firstIndex})`,
      );
    }
    const pnr = peakToNoiseDb(ir);
    // Where the sweep sounds in this channel: IR sample 0 is recording sample `shift` (the
    // loopback latency, or 0), and the direct sound arrives at the IR's onset. Without a
    // loopback this is the pre-roll; with one, the acoustic propagation delay. A channel that
    // is silent throughout has its onset at 0 and is reported as one run.
    const arrival = shift + pnr.onsetSamples;
    const drop = detectDropouts(
      recording.channels[c]!,
      arrival + loud.startSamples,
      loud.lengthSamples,
    );
    if (drop.count > 0) {
      channelWarnings.push(
        `dropout: ${drop.count} run(s) of digital silence during the sweep (longest ${drop.longestSamples} samples at sample ${drop.firstIndex})`,
      );
    }
    if (c !== options.loopbackChannel && pnr.snrDb < minSnrDb) {
      channelWarnings.push(
        `low SNR: peak-to-noise ratio ${pnr.snrDb.toFixed(1)} dB < ${minSnrDb} dB`,
      );
    }
    if (lateBy !== undefined) {
      channelWarnings.push(
        `THD not measured: the response arrives ${lateBy} samples after the sweep's start, beyond the ${harmonicLength}-sample window the harmonic separation allows (a pre-roll without a loopback channel, or too much latency)`,
      );
    }
    quality.push({
      snrDb: pnr.snrDb,
      peakDbfs: amplitudeToDb(peakAmplitude(recording.channels[c]!)),
      noiseFloorDb: powerToDb(pnr.noisePower),
      onsetSamples: pnr.onsetSamples,
      thdPercent: lateBy === undefined ? hd.thdPercent : NaN,
      harmonicsSeparable: lateBy === undefined,
      warnings: channelWarnings,
    });
    for (const w of channelWarnings) warnings.push(`channel ${c + 1}: ${w}`);
  });

  return {
    ir: { sampleRate: fs, channels: irs },
    harmonics,
    harmonicPreSamples: pre,
    distortion,
    quality,
    latencySamples: latency,
    warnings,
  };
}

/**
 * The regularized inverse of a sweep's spectrum on a size-`fftSize` grid,
 * `G = conj(X) / (|X|² + ε(f))` (see the module documentation). `X` is the spectrum
 * of the sweep normalized to unit peak amplitude.
 */
export function sweepInverseSpectrum(
  sweep: Sweep,
  fftSize: number,
  planFor: (size: number) => RealFftPlan = realFftPlan,
): Spectrum {
  const plan = planFor(fftSize);
  const binCount = plan.binCount;
  const re = new Float64Array(binCount);
  const im = new Float64Array(binCount);
  // X of the sweep normalized to unit peak: the FFT of the samples, scaled afterwards.
  plan.forwardInto(sweep.samples, { re, im });
  const scale = 1 / (peakAmplitude(sweep.samples) || 1);
  let maxPower = 0;
  for (let k = 0; k < binCount; k++) {
    const xr = re[k]! * scale, xi = im[k]! * scale;
    re[k] = xr;
    im[k] = xi;
    const p = xr * xr + xi * xi;
    if (p > maxPower) maxPower = p;
  }
  const transitionOctaves = 1;
  const { startHz, endHz, sampleRate } = sweep;
  for (let k = 0; k < binCount; k++) {
    const f = (k * sampleRate) / fftSize;
    let weight: number; // 0 in band, 1 beyond the transition
    if (f >= startHz && f <= endHz) weight = 0;
    else if (f <= 0 || 2 * f <= startHz || f >= 2 * endHz) weight = 1;
    else {
      // Distance outside the band in octaves, raised cosine over the transition.
      const outside = Math.max(0, Math.log2(startHz / f), Math.log2(f / endHz));
      const t = Math.min(1, outside / transitionOctaves);
      weight = 0.5 - 0.5 * Math.cos(Math.PI * t);
    }
    const epsilon = maxPower * (1e-12 + weight);
    const xr = re[k]!, xi = im[k]!;
    const d = xr * xr + xi * xi + epsilon;
    re[k] = xr / d;
    im[k] = -xi / d;
  }
  return { re, im };
}

/** The reused buffers of one grid size: a spectrum and a time signal. */
interface Workspace {
  readonly spectrum: Spectrum;
  readonly h: Float64Array;
}

/** Buffers per grid size, kept for the few sizes a process uses (like the FFT plans). */
const workspaces = new Map<number, Workspace>();

function workspace(size: number, binCount: number): Workspace {
  let w = workspaces.get(size);
  if (!w) {
    if (workspaces.size >= 4) workspaces.delete(workspaces.keys().next().value!);
    w = {
      spectrum: { re: new Float64Array(binCount), im: new Float64Array(binCount) },
      h: new Float64Array(size),
    };
    workspaces.set(size, w);
  }
  return w;
}

/** Inverse spectra per sweep (a session deconvolves many captures of one sweep), per grid. */
const inverseCache = new WeakMap<Sweep, Map<string, Spectrum>>();

function cachedInverseSpectrum(
  sweep: Sweep,
  size: number,
  float32: boolean,
  planFor: (size: number) => RealFftPlan,
): Spectrum {
  let bySize = inverseCache.get(sweep);
  if (!bySize) {
    bySize = new Map();
    inverseCache.set(sweep, bySize);
  }
  const key = `${size}:${float32 ? 32 : 64}`;
  let spectrum = bySize.get(key);
  if (!spectrum) {
    spectrum = sweepInverseSpectrum(sweep, size, planFor);
    bySize.set(key, spectrum);
  }
  return spectrum;
}

function circularSlice(h: Float64Array, start: number, length: number): Float64Array {
  const n = h.length;
  const out = new Float64Array(length);
  let i = ((start % n) + n) % n;
  for (let j = 0; j < length; j++) {
    out[j] = h[i]!;
    i++;
    if (i === n) i = 0;
  }
  return out;
}

/** Refuse a channel whose response peaks (by > 6 dB) in the part of the buffer before sample 0. */
function checkCausal(h: Float64Array, channel: number, causalLength: number): void {
  let causal = 0, early = 0, earlyAt = -1;
  for (let i = 0; i < causalLength; i++) causal = Math.max(causal, Math.abs(h[i]!));
  for (let i = causalLength; i < h.length; i++) {
    const v = Math.abs(h[i]!);
    if (v > early) {
      early = v;
      earlyAt = i;
    }
  }
  if (earlyAt >= 0 && early > 2 * causal) {
    throw new RangeError(
      `Cannot deconvolve as channel ${channel + 1} responds ${
        h.length - earlyAt
      } samples before the recording's first sample: the recording starts after the sweep (record from before the sweep starts)`,
    );
  }
}

function loopbackLatency(h: Float64Array, channel: number, searchLength: number): number {
  let best = 0, peak = 0;
  for (let i = 0; i < searchLength; i++) {
    const v = Math.abs(h[i]!);
    if (v > peak) {
      peak = v;
      best = i;
    }
  }
  // The electrical copy of the sweep peaks at the latency, >= 0. A recording that starts after
  // the sweep's first sample puts it before sample 0, i.e. at the end of the circular buffer
  // (where only much weaker harmonic responses belong).
  let early = 0, earlyAt = -1;
  for (let i = searchLength; i < h.length; i++) {
    const v = Math.abs(h[i]!);
    if (v > early) {
      early = v;
      earlyAt = i;
    }
  }
  if (earlyAt >= 0 && early > peak) {
    throw new RangeError(
      `Cannot remove latency as the recording starts ${
        h.length - earlyAt
      } samples after the sweep's first sample (loopback channel ${
        channel + 1
      } shows the sweep that long before the recording's start): record from before the sweep starts`,
    );
  }
  const { snrDb } = peakToNoiseDb(h.subarray(0, searchLength));
  if (!(peak > 0) || snrDb < 30) {
    throw new RangeError(
      `Cannot remove latency as loopback channel ${
        channel + 1
      } (loopbackChannel ${channel}) carries no clear copy of the sweep: peak-to-noise ratio is ${
        snrDb.toFixed(1)
      } dB (needs >= 30 dB)`,
    );
  }
  return best;
}

function validate(sweep: Sweep, recording: Recording, options: DeconvolveOptions): void {
  if (recording.sampleRate !== sweep.sampleRate) {
    throw new RangeError(
      `Cannot deconvolve as the recording's sampleRate (${recording.sampleRate} Hz) differs from the sweep's (${sweep.sampleRate} Hz)`,
    );
  }
  if (recording.channels.length === 0) {
    throw new RangeError("Cannot deconvolve as the recording has no channels: current value is 0");
  }
  const length = recording.channels[0]!.length;
  if (length < sweep.samples.length) {
    throw new RangeError(
      `Cannot deconvolve as the recording must be at least as long as the sweep (${sweep.samples.length} samples): current value is ${length}`,
    );
  }
  recording.channels.forEach((channel, c) => {
    if (channel.length !== length) {
      throw new RangeError(
        `Cannot deconvolve as every recording channel must have the same length: channel 0 has ${length}, channel ${c} has ${channel.length}`,
      );
    }
    const bad = findNonFinite(channel);
    if (bad >= 0) {
      throw new RangeError(
        `Cannot deconvolve as recording samples must be finite: channel ${c} sample ${bad} is ${
          channel[bad]
        }`,
      );
    }
  });
  const { loopbackChannel, irLengthSamples, harmonicCount, fftPrecision } = options;
  if (fftPrecision !== undefined && fftPrecision !== "float64" && fftPrecision !== "float32") {
    throw new RangeError(
      `Cannot deconvolve as fftPrecision must be "float64" or "float32": current value is ${
        JSON.stringify(fftPrecision)
      }`,
    );
  }
  if (
    loopbackChannel !== undefined &&
    (!Number.isInteger(loopbackChannel) || loopbackChannel < 0 ||
      loopbackChannel >= recording.channels.length)
  ) {
    throw new RangeError(
      `Cannot deconvolve as loopbackChannel must be a channel index 0..${
        recording.channels.length - 1
      }: current value is ${loopbackChannel}`,
    );
  }
  if (
    irLengthSamples !== undefined && (!Number.isInteger(irLengthSamples) || irLengthSamples < 16)
  ) {
    throw new RangeError(
      `Cannot deconvolve as irLengthSamples must be an integer >= 16: current value is ${irLengthSamples}`,
    );
  }
  if (
    harmonicCount !== undefined &&
    (!Number.isInteger(harmonicCount) || harmonicCount < 1 || harmonicCount > 16)
  ) {
    throw new RangeError(
      `Cannot deconvolve as harmonicCount must be an integer between 1 and 16: current value is ${harmonicCount}`,
    );
  }
}
