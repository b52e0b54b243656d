/**
 * A measured head for the virtual lab: the HRIRs of a SOFA file (any
 * GeneralFIR or SimpleFreeFieldHRIR file of two ears and one source, such as
 * Debian's MIT KEMAR set) in place of the rigid sphere of `head.ts`.
 *
 * The sphere gives each ear's response relative to the free field at the
 * head centre with the head absent; a measured set is brought to the same
 * footing so that the simulator's own propagation (1/r, delay r/c from each
 * driver to the centre) stays in charge — the *distance compensation*:
 *
 * - Directions: each measurement's source direction in the head's frame
 *   (x = `ListenerView`, z = `ListenerUp`, y to the head's left) and its
 *   distance r_m = |SourcePosition − ListenerPosition|.
 * - Time origin: the instant the sound would reach the head centre,
 *   `c_m = r_m/c·fs + offset`. Files that keep the propagation delay have
 *   offset ≈ 0; files that trimmed it (MIT KEMAR's IRs start ~4 ms early)
 *   do not, so `offset` is estimated from the data: on the median plane
 *   (|y| of the direction < sin 5°) both ears hear the source when the
 *   centre would, so offset = median over those measurements of
 *   (mean ear onset − r_m/c·fs). Onset = the first crossing of 20 % of the
 *   IR's peak, interpolated linearly. Without median-plane measurements,
 *   the mean onset over all measurements and ears stands in.
 * - Level: the file's loudspeaker and microphone responses are unknown
 *   (MIT's set keeps a small loudspeaker's), so the set is diffuse-field
 *   equalized, as HRTF sets for rendering often are: H_m(f) =
 *   r_m·HRTF_m(f)·e^{+j2πf·c_m/fs}·Q(f), Q the minimum-phase filter of
 *   magnitude 1/sqrt(D(f)), D the power mean of |r_m·HRTF_m|² over
 *   measurements and both ears smoothed over third octaves. One causal
 *   filter for every direction and both ears: interaural differences and
 *   spectral cues stay the file's. Below 200 Hz the equalizer holds its
 *   200 Hz value (short HRIRs say little there). Being causal, it keeps the
 *   ear IRs causal: energy before the arrival is below −55 dB of the IR.
 * - Between directions: the three measurements nearest in angle (among
 *   those at the distance nearest to the asked one), weighted by inverse
 *   angle (exact at a measured direction); the onsets are removed before
 *   the complex spectra are averaged and the weighted onset put back, so
 *   two neighbours' different delays do not comb-filter (time-aligned
 *   interpolation).
 * - Sample rate: spectra are the DTFT of the file's IRs at the simulator's
 *   frequencies, so any file rate serves any simulator rate; above the
 *   file's Nyquist frequency the response is 0.
 *
 * In a room the simulator uses it for the direct sound and every image up
 * to the room's exact order, each from its own direction; later images get
 * its diffuse-field response, which the equalization makes 1.
 *
 * Not modelled: near-field changes of the head response with distance
 * beyond 1/r and delay.
 *
 * References:
 * 1. AES69-2022 (SOFA), see `io/sofa.ts`.
 * 2. W. G. Gardner, K. D. Martin, "HRTF measurements of a KEMAR", J.
 *    Acoust. Soc. Am. 97(6), 3907–3908, 1995 (the MIT set).
 * 3. F. Wightman, D. Kistler, "Headphone simulation of free-field
 *    listening", J. Acoust. Soc. Am. 85(2), 1989 (minimum-phase plus
 *    delay view of HRTFs behind time-aligned interpolation).
 *
 * @module
 */
import type { Spectrum } from "../dsp/fft.ts";
import { SPEED_OF_SOUND_MPS } from "../dsp/constants.ts";
import { type InputFailure, inputFailure } from "../io/errors.ts";
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";
import { smoothSpectrum } from "../dsp/smoothing.ts";
import { minimumPhaseIr } from "../dsp/minimum_phase.ts";
import { readSofa, sofaCartesian, sofaIrOffset, sofaRow } from "../io/sofa.ts";
import type { Vector3 } from "./device_model.ts";

/** A measured head: ear responses relative to the free field at the head centre. */
export interface MeasuredHead {
  /** The SOFA file it came from. */
  readonly file: string;
  /** The file's sample rate in Hz. */
  readonly sampleRate: number;
  /** Number of measured directions. */
  readonly measurements: number;
  /** Estimated time offset of the file's IRs in samples (0 when they keep the propagation delay). */
  readonly offsetSamples: number;
  /**
   * Left and right ear responses for a source in `direction` (head frame:
   * x front, y left, z up; any length) at `distanceMeters` from the centre,
   * on `frequenciesHz` (e^{+jωt}: a delay is e^{−jωτ}).
   */
  earResponses(
    direction: Vector3,
    distanceMeters: number,
    frequenciesHz: Float64Array,
  ): [Spectrum, Spectrum];
  /** Measured directions as unit vectors in the head frame (for tests and reports). */
  readonly directions: readonly Vector3[];
  /** Onset of measurement m, ear (0 left, 1 right), relative to the centre arrival, in seconds. */
  onsetSeconds(m: number, ear: 0 | 1): number;
}

const ONSET_FRACTION = 0.2;
/** Below this frequency (Hz) the equalizer holds its value (short HRIRs say little there). */
const EQUALIZER_LOW_HZ = 200;
/** Length of the diffuse-field equalizer FIR at the file's rate. */
const EQUALIZER_TAPS = 2048;
const NEIGHBOURS = 3;

/** Fractional index of the first crossing of `fraction`·peak. */
export function onsetSamples(x: ArrayLike<number>, fraction = ONSET_FRACTION): number {
  let peak = 0;
  for (let n = 0; n < x.length; n++) peak = Math.max(peak, Math.abs(x[n]!));
  const level = fraction * peak;
  for (let n = 0; n < x.length; n++) {
    const v = Math.abs(x[n]!);
    if (v >= level) {
      if (n === 0) return 0;
      const prev = Math.abs(x[n - 1]!);
      return n - 1 + (level - prev) / (v - prev);
    }
  }
  return 0;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : 0.5 * (s[mid - 1]! + s[mid]!);
}

type V3 = [number, number, number];
const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: V3): V3 => {
  const n = Math.hypot(...a);
  return [a[0] / n, a[1] / n, a[2] / n];
};
const cross = (a: V3, b: V3): V3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

/**
 * Load a SOFA file as a measured head.
 *
 * @param path A GeneralFIR or SimpleFreeFieldHRIR file with two receivers
 *   (ears left and right of the listener) and one emitter.
 * @param options `speedOfSoundMps` (default 343) for the centre arrival.
 * @returns The head.
 * @throws {InputError} for a file that is not SOFA, has not two ears on
 *   either side or not one emitter, naming the file and field.
 *
 * @example
 * ```ts ignore
 * import { loadSofaHead } from "./sofa_head.ts";
 * const head = await loadSofaHead("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa");
 * const [left, right] = head.earResponses({ x: 0, y: 1, z: 0 }, 2, Float64Array.of(500, 1000));
 * ```
 */
export async function loadSofaHead(
  path: string,
  options: { readonly speedOfSoundMps?: number } = {},
): Promise<MeasuredHead> {
  const sofa = await readSofa(path);
  const c = options.speedOfSoundMps ?? SPEED_OF_SOUND_MPS;
  const fail: InputFailure = inputFailure(`use SOFA file "${path}" as a head`, path);
  if (sofa.emitters !== 1) fail("the number of emitters E", "must be 1", sofa.emitters);
  if (sofa.receivers !== 2) {
    fail("the number of receivers R", "must be 2 (two ears)", sofa.receivers);
  }
  const ys = [0, 1].map((r) =>
    sofaCartesian(sofa.receiverPosition.type, sofaRow(sofa.receiverPosition, r))[1]
  );
  if (!(ys[0]! * ys[1]! < 0)) {
    fail("ReceiverPosition", "must put one ear at y > 0 (left) and one at y < 0 (right)", ys);
  }
  const leftIndex = ys[0]! > 0 ? 0 : 1;
  const fs = sofa.sampleRate;
  const M = sofa.measurements;

  // directions and distances in the head frame
  const directions: Vector3[] = [];
  const distances = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    const L = sofaCartesian(sofa.listenerPosition.type, sofaRow(sofa.listenerPosition, m));
    const S = sofaCartesian(sofa.sourcePosition.type, sofaRow(sofa.sourcePosition, m));
    const rel: V3 = [S[0] - L[0], S[1] - L[1], S[2] - L[2]];
    const r = Math.hypot(...rel);
    if (!(r > 0)) {
      fail(`SourcePosition of measurement ${m + 1}`, "must differ from ListenerPosition", S);
    }
    const viewRow = sofa.listenerView ? sofaRow(sofa.listenerView, m) : [1, 0, 0] as V3;
    const view = sofa.listenerView?.type === "spherical"
      ? sofaCartesian("spherical", [viewRow[0], viewRow[1], 1])
      : viewRow;
    const up = sofa.listenerUp ? unit(sofaRow(sofa.listenerUp, m)) : [0, 0, 1] as V3;
    const front = unit(view);
    const left = unit(cross(up, front));
    const top = cross(front, left);
    const d = unit(rel);
    directions.push({ x: dot(d, front), y: dot(d, left), z: dot(d, top) });
    distances[m] = r;
  }

  // onsets and the file's time offset
  const irOf = (m: number, ear: 0 | 1) => {
    const r = ear === 0 ? leftIndex : 1 - leftIndex;
    const o = sofaIrOffset(sofa, m, r, 0);
    return sofa.ir.subarray(o, o + sofa.samples);
  };
  const delayOf = (m: number, ear: 0 | 1) =>
    sofa.delaySamples[m * 2 + (ear === 0 ? leftIndex : 1 - leftIndex)]!;
  const onsets = Array.from(
    { length: M },
    (_, m) => [0, 1].map((ear) => onsetSamples(irOf(m, ear as 0 | 1)) + delayOf(m, ear as 0 | 1)),
  );
  const median_ = directions
    .map((d, m) => ({ d, m }))
    .filter(({ d }) => Math.abs(d.y) < Math.sin((5 * Math.PI) / 180))
    .map(({ m }) => 0.5 * (onsets[m]![0]! + onsets[m]![1]!) - (distances[m]! / c) * fs);
  const offsetSamples = median_.length > 0
    ? median(median_)
    : onsets.reduce((s, o, m) => s + 0.5 * (o[0]! + o[1]!) - (distances[m]! / c) * fs, 0) / M;
  const centre = (m: number) => (distances[m]! / c) * fs + offsetSamples;

  // level: diffuse-field equalization (the file's loudspeaker and microphone are unknown)
  const eqIr = diffuseFieldEqualizer(M, (m, ear) => irOf(m, ear), distances, fs);
  const eqCache = new WeakMap<Float64Array, Spectrum>();
  const eqOn = (f: Float64Array): Spectrum => {
    let e = eqCache.get(f);
    if (!e) {
      e = dtft(eqIr, fs, f, 0);
      eqCache.set(f, e);
    }
    return e;
  };

  // aligned spectra per (grid, m, ear), built on demand
  const cache = new WeakMap<Float64Array, Map<number, Spectrum>>();
  const aligned = (m: number, ear: 0 | 1, f: Float64Array): Spectrum => {
    let perGrid = cache.get(f);
    if (!perGrid) {
      perGrid = new Map();
      cache.set(f, perGrid);
    }
    const key = 2 * m + ear;
    let s = perGrid.get(key);
    if (!s) {
      // remove the whole onset: H·e^{+j2πf·onset/fs}
      s = dtft(irOf(m, ear), fs, f, delayOf(m, ear) - onsets[m]![ear]!);
      const e = eqOn(f);
      const r = distances[m]!;
      for (let k = 0; k < f.length; k++) {
        const re = r * (s.re[k]! * e.re[k]! - s.im[k]! * e.im[k]!);
        s.im[k] = r * (s.re[k]! * e.im[k]! + s.im[k]! * e.re[k]!);
        s.re[k] = re;
      }
      perGrid.set(key, s);
    }
    return s;
  };

  const distinct = [...new Set(Array.from(distances, (r) => Math.round(r * 100)))];
  function earResponses(
    direction: Vector3,
    distanceMeters: number,
    frequenciesHz: Float64Array,
  ): [Spectrum, Spectrum] {
    const u = unit([direction.x, direction.y, direction.z]);
    const ring = distinct.reduce((best, d) =>
      Math.abs(d / 100 - distanceMeters) < Math.abs(best / 100 - distanceMeters) ? d : best
    );
    const near = directions
      .map((d, m) => ({
        m,
        angle: Math.acos(Math.max(-1, Math.min(1, dot(u, [d.x, d.y, d.z])))),
      }))
      .filter(({ m }) => Math.round(distances[m]! * 100) === ring)
      .sort((a, b) => a.angle - b.angle)
      .slice(0, NEIGHBOURS);
    const weights = near[0]!.angle < 1e-9
      ? near.map((_, i) => (i === 0 ? 1 : 0))
      : near.map(({ angle }) => 1 / angle);
    const total = weights.reduce((s, w) => s + w, 0);
    const bins = frequenciesHz.length;
    return ([0, 1] as const).map((ear) => {
      const re = new Float64Array(bins), im = new Float64Array(bins);
      let onset = 0;
      near.forEach(({ m }, i) => {
        const w = weights[i]! / total;
        if (w === 0) return;
        const s = aligned(m, ear, frequenciesHz);
        for (let k = 0; k < bins; k++) {
          re[k]! += w * s.re[k]!;
          im[k]! += w * s.im[k]!;
        }
        onset += w * (onsets[m]![ear]! - centre(m));
      });
      // put back the weighted onset relative to the centre arrival
      const tau = onset / fs;
      for (let k = 0; k < bins; k++) {
        const phi = -2 * Math.PI * frequenciesHz[k]! * tau;
        const cr = Math.cos(phi), ci = Math.sin(phi);
        const r = re[k]! * cr - im[k]! * ci;
        im[k] = re[k]! * ci + im[k]! * cr;
        re[k] = r;
      }
      return { re, im };
    }) as [Spectrum, Spectrum];
  }

  return {
    file: path,
    sampleRate: fs,
    measurements: M,
    offsetSamples,
    directions,
    earResponses,
    onsetSeconds: (m, ear) => (onsets[m]![ear]! - centre(m)) / fs,
  };
}

/**
 * DTFT of `h` (sample rate `fs`) at `frequenciesHz`, delayed by
 * `delaySamples` (negative advances): `Σ h[n]·e^{−j2πf(n + delay)/fs}`;
 * 0 above fs/2.
 */
function dtft(
  h: Float64Array,
  fs: number,
  frequenciesHz: Float64Array,
  delaySamples: number,
): Spectrum {
  const bins = frequenciesHz.length;
  const re = new Float64Array(bins), im = new Float64Array(bins);
  let last = h.length;
  while (last > 0 && h[last - 1] === 0) last--;
  for (let k = 0; k < bins; k++) {
    const f = frequenciesHz[k]!;
    if (f > fs / 2) continue;
    const w = (-2 * Math.PI * f) / fs;
    const wr = Math.cos(w), wi = Math.sin(w);
    let pr = 1, pi = 0, sr = 0, si = 0;
    for (let n = 0; n < last; n++) {
      if ((n & 127) === 0) {
        pr = Math.cos(w * n);
        pi = Math.sin(w * n);
      }
      sr += h[n]! * pr;
      si += h[n]! * pi;
      const t = pr * wr - pi * wi;
      pi = pr * wi + pi * wr;
      pr = t;
    }
    const phi = w * delaySamples;
    const cr = Math.cos(phi), ci = Math.sin(phi);
    re[k] = sr * cr - si * ci;
    im[k] = sr * ci + si * cr;
  }
  return { re, im };
}

/**
 * The diffuse-field equalizer of a set of HRIRs at the file's rate, as a
 * minimum-phase FIR (causal: it adds no sound before the arrival) of
 * magnitude `1/sqrt(D(f))`, D the power mean over measurements and both ears
 * of |r_m·HRTF(f)|² smoothed over third octaves.
 */
function diffuseFieldEqualizer(
  measurements: number,
  irOf: (m: number, ear: 0 | 1) => Float64Array,
  distances: Float64Array,
  fs: number,
): Float64Array {
  const size = Math.max(4096, nextPowerOfTwo(2 * irOf(0, 0).length));
  const plan = realFftPlan(size);
  const power = new Float64Array(plan.binCount);
  const padded = new Float64Array(size);
  for (let m = 0; m < measurements; m++) {
    for (const ear of [0, 1] as const) {
      padded.fill(0);
      padded.set(irOf(m, ear));
      const s = plan.forward(padded);
      const r2 = distances[m]! ** 2;
      for (let k = 0; k < power.length; k++) power[k]! += r2 * (s.re[k]! ** 2 + s.im[k]! ** 2);
    }
  }
  for (let k = 0; k < power.length; k++) power[k]! /= 2 * measurements;
  const smooth = smoothSpectrum(power, { fraction: 3 });
  // 1/sqrt(D); below EQUALIZER_LOW_HZ held at its value there
  const magnitude = new Float64Array(smooth.length);
  const lowBin = Math.ceil((EQUALIZER_LOW_HZ * size) / fs);
  for (let k = 0; k < magnitude.length; k++) {
    const p = smooth[Math.max(k, lowBin)]!;
    magnitude[k] = p > 0 ? 1 / Math.sqrt(p) : 0;
  }
  return minimumPhaseIr(magnitude, { taps: EQUALIZER_TAPS });
}
