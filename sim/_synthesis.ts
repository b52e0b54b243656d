/**
 * Impulse-response synthesis kernel of the simulator: for one driver and one
 * receiver (an omni point, or the two ears of a spherical head), sum the
 * direct sound and the room's image sources on an FFT grid and return the
 * time-domain IR (sample 0 = the DAC instant, propagation delay kept).
 *
 * Per path (direct sound or image source at distance r, delay τ = r/c):
 * `β·D(f, θ_drv)/r · e^{−j2πfτ} · [H_ear(f, θ_ear)]`, with D the driver
 * directivity (baffled piston `2·J1(ka·sinθ)/(ka·sinθ)` in front; behind the
 * driver additionally `1/√(1 + (k·b)²·(−cos θ))`, b the enclosure radius: a
 * box that shadows its back at high frequencies), H_ear the sphere head
 * response (exact finite-distance series for the direct sound, the
 * plane-wave table for images up to `exactOrder`). Images above
 * `exactOrder` are summed in the time domain as band-limited fractional
 * delays (Hann-windowed sinc, 32 taps) at each ear (or the mic) and then
 * shaped by the driver's diffuse-field directivity and the head's
 * diffuse-field response. The whole is multiplied by the driver response
 * and the converters' anti-alias taper, then inverse-transformed once.
 *
 * @module
 */
import { binFrequencies, realFftPlan, type Spectrum } from "../dsp/fft.ts";
import type { Vector3 } from "./device_model.ts";
import { pistonDirectivity } from "./_bessel.ts";
import {
  type Head,
  type PlaneWaveHeadTable,
  planeWaveHeadTable,
  sphereHeadResponse,
} from "./head.ts";
import type { ImageSource } from "./room.ts";
import type { MeasuredHead } from "./sofa_head.ts";

/** Shared per-device synthesis state (grid, tables). */
export interface SynthesisContext {
  readonly sampleRate: number;
  readonly fftSize: number;
  readonly speedOfSoundMps: number;
  readonly frequenciesHz: Float64Array;
  /** 2·J1(x)/x tabulated on x = i·PISTON_STEP. */
  readonly pistonTable: Float64Array;
  readonly head: Head;
  /**
   * A measured head (SOFA) in place of the sphere: the direct sound and images up to
   * `exactOrder` from their own directions; later images get its diffuse-field response
   * (1: it is diffuse-field equalized).
   */
  readonly measuredHead?: MeasuredHead;
  /** Built on first use (binaural head in a room). */
  headTable?: PlaneWaveHeadTable;
  /** Diffuse-field directivity per source, built on first use. */
  readonly diffuseCache: WeakMap<SourceSpec, Float64Array>;
}

const PISTON_STEP = 0.005;
const SINC_HALF_TAPS = 16;

/** Create the synthesis context for a grid and the largest piston radius. */
export function createSynthesisContext(
  sampleRate: number,
  fftSize: number,
  speedOfSoundMps: number,
  maxPistonRadiusMeters: number,
  head: Head,
  measuredHead?: MeasuredHead,
): SynthesisContext {
  const frequenciesHz = binFrequencies(fftSize, sampleRate);
  const xMax = ((2 * Math.PI * sampleRate) / 2 / speedOfSoundMps) * maxPistonRadiusMeters + 1;
  const pistonTable = new Float64Array(Math.ceil(xMax / PISTON_STEP) + 2);
  for (let i = 0; i < pistonTable.length; i++) pistonTable[i] = pistonDirectivity(i * PISTON_STEP);
  return {
    sampleRate,
    fftSize,
    speedOfSoundMps,
    frequenciesHz,
    pistonTable,
    head,
    ...(measuredHead ? { measuredHead } : {}),
    diffuseCache: new WeakMap(),
  };
}

/** A driver as the kernel sees it (room or free-field coordinates). */
export interface SourceSpec {
  /** Position of the driver (same frame as the receiver). */
  readonly position: Vector3;
  /** Unit vector of the driver's axis. */
  readonly axis: Vector3;
  readonly pistonRadiusMeters: number;
  /** Enclosure radius b for the rear shadow. */
  readonly baffleRadiusMeters: number;
  /** Driver response × anti-alias taper on the grid. */
  readonly response: Spectrum;
  /** Image sources (order 0 first), or undefined for the free field. */
  readonly images?: readonly ImageSource[];
  readonly exactOrder?: number;
}

/** The receiver: an omni point, or a head with its centre and ear directions. */
export type ReceiverSpec =
  | { readonly kind: "omni"; readonly point: Vector3 }
  | {
    readonly kind: "head";
    readonly center: Vector3;
    readonly left: Vector3;
    readonly right: Vector3;
    /** Facing direction (horizontal), for a measured head. */
    readonly front?: Vector3;
  };

/** Directivity magnitude of the driver at wavenumber index via the tables. */
function directivityAt(
  ctx: SynthesisContext,
  source: SourceSpec,
  k: number,
  cosTheta: number,
  sinTheta: number,
): number {
  const wavenumber = (2 * Math.PI * ctx.frequenciesHz[k]!) / ctx.speedOfSoundMps;
  const x = (wavenumber * source.pistonRadiusMeters * sinTheta) / PISTON_STEP;
  const i = Math.floor(x);
  const table = ctx.pistonTable;
  let d: number;
  if (i + 1 >= table.length) d = table[table.length - 1]!;
  else {
    const t = x - i;
    d = table[i]! * (1 - t) + table[i + 1]! * t;
  }
  if (cosTheta < 0) {
    const kb = wavenumber * source.baffleRadiusMeters;
    d /= Math.sqrt(1 + kb * kb * -cosTheta);
  }
  return d;
}

/** Diffuse-field (power-averaged over the sphere) directivity per bin. */
function diffuseDirectivity(ctx: SynthesisContext, source: SourceSpec): Float64Array {
  const cached = ctx.diffuseCache.get(source);
  if (cached) return cached;
  const out = computeDiffuseDirectivity(ctx, source);
  ctx.diffuseCache.set(source, out);
  return out;
}

function computeDiffuseDirectivity(ctx: SynthesisContext, source: SourceSpec): Float64Array {
  const bins = ctx.frequenciesHz.length;
  const out = new Float64Array(bins);
  const steps = 90;
  const h = Math.PI / steps;
  for (let k = 0; k < bins; k++) {
    let sum = 0;
    for (let s = 0; s <= steps; s++) {
      const theta = s * h;
      const w = (s === 0 || s === steps ? 0.5 : 1) * Math.sin(theta);
      const d = directivityAt(ctx, source, k, Math.cos(theta), Math.sin(theta));
      sum += w * d * d;
    }
    out[k] = Math.sqrt(0.5 * sum * h);
  }
  return out;
}

function sub(a: Vector3, b: Vector3): Vector3 {
  return { x: a.x - b.x, y: a.y - b.y, z: a.z - b.z };
}

function norm(v: Vector3): number {
  return Math.hypot(v.x, v.y, v.z);
}

function dot(a: Vector3, b: Vector3): number {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}

/** Add `gain·D·e^{−j2πfτ}·H` over all bins into acc (one or two channels). */
function addPath(
  ctx: SynthesisContext,
  source: SourceSpec,
  acc: Spectrum[],
  gain: number,
  delaySamples: number,
  cosDrv: number,
  ear: ((channel: number, k: number) => [number, number]) | undefined,
): void {
  const bins = ctx.frequenciesHz.length;
  const sinDrv = Math.sqrt(Math.max(0, 1 - cosDrv * cosDrv));
  const step = (-2 * Math.PI * delaySamples) / ctx.fftSize;
  const wr = Math.cos(step), wi = Math.sin(step);
  let pr = 1, pi = 0;
  for (let k = 0; k < bins; k++) {
    if ((k & 255) === 0) {
      // re-seed the phasor to stop round-off drift
      pr = Math.cos(step * k);
      pi = Math.sin(step * k);
    }
    const g = gain * directivityAt(ctx, source, k, cosDrv, sinDrv);
    const vr = g * pr, vi = g * pi;
    for (let c = 0; c < acc.length; c++) {
      const a = acc[c]!;
      if (ear) {
        const [hr, hi] = ear(c, k);
        a.re[k]! += vr * hr - vi * hi;
        a.im[k]! += vr * hi + vi * hr;
      } else {
        a.re[k]! += vr;
        a.im[k]! += vi;
      }
    }
    const t = pr * wr - pi * wi;
    pi = pr * wi + pi * wr;
    pr = t;
  }
}

/**
 * Add a Hann-windowed-sinc fractional delay of `delaySamples` with `gain` to `x`:
 * taps `sinc(t)·½(1 + cos(πt/16))`, t = n − delay, |t| < 16. One sine per
 * impulse (`sin(π(m − f)) = (−1)^(m+1)·sin(πf)` for integer m) and the window
 * cosine by rotation, so a late reflection costs ~32 multiply-adds. (Not
 * `dsp/delay.ts` `fractionalDelayFir`, which returns a new zero-padded FIR
 * per delay: ten thousand reflections per IR would allocate ~10⁸ samples.)
 */
export function addFractionalImpulse(x: Float64Array, delaySamples: number, gain: number): void {
  const n0 = Math.floor(delaySamples);
  const frac = delaySamples - n0;
  if (frac === 0) {
    if (n0 >= 0 && n0 < x.length) x[n0]! += gain;
    return;
  }
  const first = n0 - SINC_HALF_TAPS + 1;
  const sinPiFrac = Math.sin(Math.PI * frac);
  // t = n − delay = (n − n0) − frac; sin(πt) = (−1)^(n−n0+1)·sin(π·frac)
  const w = Math.PI / SINC_HALF_TAPS;
  const t0 = first - delaySamples;
  let cr = Math.cos(w * t0), ci = Math.sin(w * t0);
  const sr = Math.cos(w), si = Math.sin(w);
  let sign = (first - n0) % 2 === 0 ? -1 : 1;
  for (let n = first; n <= n0 + SINC_HALF_TAPS; n++) {
    if (n >= 0 && n < x.length) {
      const t = n - delaySamples;
      x[n]! += gain * ((sign * sinPiFrac) / (Math.PI * t)) * 0.5 * (1 + cr);
    }
    sign = -sign;
    const r = cr * sr - ci * si;
    ci = cr * si + ci * sr;
    cr = r;
  }
}

/**
 * Synthesize the IR(s) of one source at one receiver: one channel for an
 * omni receiver, two (left, right) for a head. Each is `fftSize` samples.
 */
export function synthesizeImpulseResponses(
  ctx: SynthesisContext,
  source: SourceSpec,
  receiver: ReceiverSpec,
): Float64Array[] {
  const bins = ctx.frequenciesHz.length;
  const channels = receiver.kind === "head" ? 2 : 1;
  const acc: Spectrum[] = Array.from({ length: channels }, () => ({
    re: new Float64Array(bins),
    im: new Float64Array(bins),
  }));
  const center = receiver.kind === "head" ? receiver.center : receiver.point;
  const images: readonly ImageSource[] = source.images ?? [{
    position: source.position,
    order: 0,
    gain: 1,
    flipX: false,
    flipY: false,
    flipZ: false,
  }];
  const exactOrder = source.exactOrder ?? Infinity;
  const samplesPerMeter = ctx.sampleRate / ctx.speedOfSoundMps;
  const late = Array.from({ length: channels }, () => new Float64Array(ctx.fftSize));
  let hasLate = false;
  for (const image of images) {
    const v = sub(center, image.position);
    const r = norm(v);
    if (image.order > exactOrder) {
      // diffuse approximation: time domain, at the ear points (or the mic)
      hasLate = true;
      for (let c = 0; c < channels; c++) {
        let point = center;
        if (receiver.kind === "head") {
          const e = c === 0 ? receiver.left : receiver.right;
          const a = ctx.head.radiusMeters;
          point = { x: center.x + a * e.x, y: center.y + a * e.y, z: center.z + a * e.z };
        }
        const rc = norm(sub(point, image.position));
        const delay = rc * samplesPerMeter;
        if (delay + SINC_HALF_TAPS < ctx.fftSize) {
          addFractionalImpulse(late[c]!, delay, image.gain / rc);
        }
      }
      continue;
    }
    const delay = r * samplesPerMeter;
    if (delay + SINC_HALF_TAPS >= ctx.fftSize) continue;
    // direction leaving the real driver: image→receiver with mirrored axes negated
    const leave = {
      x: (image.flipX ? -v.x : v.x) / r,
      y: (image.flipY ? -v.y : v.y) / r,
      z: (image.flipZ ? -v.z : v.z) / r,
    };
    const cosDrv = Math.max(-1, Math.min(1, dot(leave, source.axis)));
    let ear: ((channel: number, k: number) => [number, number]) | undefined;
    if (receiver.kind === "head") {
      const toSource = { x: -v.x / r, y: -v.y / r, z: -v.z / r };
      const angles = [receiver.left, receiver.right].map((e) =>
        (Math.acos(Math.max(-1, Math.min(1, dot(toSource, e)))) * 180) / Math.PI
      );
      if (ctx.measuredHead) {
        // the source (or image) in the head's frame: x front, y left, z up
        const f = receiver.front ?? { x: 1, y: 0, z: 0 };
        const direction = {
          x: dot(toSource, f),
          y: dot(toSource, { x: -f.y, y: f.x, z: 0 }),
          z: toSource.z,
        };
        const [L, R] = ctx.measuredHead.earResponses(direction, r, ctx.frequenciesHz);
        ear = (c, k) => (c === 0 ? [L.re[k]!, L.im[k]!] : [R.re[k]!, R.im[k]!]);
      } else if (image.order === 0) {
        const H = sphereHeadResponse(
          ctx.head,
          r,
          angles,
          ctx.frequenciesHz,
          ctx.speedOfSoundMps,
        );
        ear = (c, k) => [H[c]!.re[k]!, H[c]!.im[k]!];
      } else {
        const table = headTable(ctx);
        const pos = angles.map((deg) => deg / table.stepDeg);
        const last = table.re.length - 1;
        const idx = pos.map((p) => Math.min(last - 1, Math.floor(p)));
        const frac = pos.map((p, c) => p - idx[c]!);
        ear = (c, k) => {
          const j = idx[c]!, t = frac[c]!;
          return [
            table.re[j]![k]! * (1 - t) + table.re[j + 1]![k]! * t,
            table.im[j]![k]! * (1 - t) + table.im[j + 1]![k]! * t,
          ];
        };
      }
    }
    addPath(ctx, source, acc, image.gain / r, delay, cosDrv, ear);
  }
  if (hasLate) {
    const plan = realFftPlan(ctx.fftSize);
    const diffuse = diffuseDirectivity(ctx, source);
    // a measured head is diffuse-field equalized: its diffuse-field response is 1
    const headDiffuse = receiver.kind === "head" && !ctx.measuredHead
      ? headTable(ctx).diffuse
      : undefined;
    for (let c = 0; c < channels; c++) {
      const L = plan.forward(late[c]!);
      const a = acc[c]!;
      for (let k = 0; k < bins; k++) {
        const g = diffuse[k]! * (headDiffuse ? headDiffuse[k]! : 1);
        a.re[k]! += g * L.re[k]!;
        a.im[k]! += g * L.im[k]!;
      }
    }
  }
  const plan = realFftPlan(ctx.fftSize);
  return acc.map((a) => {
    const re = new Float64Array(bins);
    const im = new Float64Array(bins);
    const R = source.response;
    for (let k = 0; k < bins; k++) {
      re[k] = a.re[k]! * R.re[k]! - a.im[k]! * R.im[k]!;
      im[k] = a.re[k]! * R.im[k]! + a.im[k]! * R.re[k]!;
    }
    return plan.inverse({ re, im });
  });
}

function headTable(ctx: SynthesisContext): PlaneWaveHeadTable {
  if (!ctx.headTable) {
    ctx.headTable = planeWaveHeadTable(ctx.head, ctx.frequenciesHz, 2, ctx.speedOfSoundMps);
  }
  return ctx.headTable;
}
