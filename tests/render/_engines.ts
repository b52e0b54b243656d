/**
 * Test helpers for the engine exports: a two-input bundle fitted from the
 * simulator, a stereo test signal, raw float32 reading and the error of one
 * multichannel signal against another in dB.
 *
 * @module
 */
import { join } from "node:path";
import { writeTrueSet } from "../calibrate/_sets.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { writeBundle } from "../../calibrate/bundle.ts";

/** Fit a pure-CTC two-input bundle (no upmix, no center) of a noise-free studio5 set into `dir/bundle`. */
export async function writeStereoBundle(
  dir: string,
  options: { taps?: number; serial?: string } = {},
): Promise<{ bundleFolder: string; setFolder: string; taps: number; latencySamples: number }> {
  const setFolder = join(dir, "set");
  const set = await writeTrueSet(setFolder, options.serial ? { serial: options.serial } : {});
  const taps = options.taps ?? 512;
  const fit = await fitBundle(set, { taps, upmix: "none", virtualizer: "none" });
  const bundleFolder = join(dir, "bundle");
  await writeBundle(bundleFolder, fit.bundle, fit.filters);
  return { bundleFolder, setFolder, taps, latencySamples: fit.bundle.latencySamples };
}

/**
 * A stereo test signal: different noise on each side (seeded LCG, uniform in ±amp), then
 * `tail` zeros so an engine that stops at the input's end still plays the filters' tail.
 */
export function stereoTestSignal(
  samples: number,
  tail: number,
  amplitude = 0.25,
  seed = 12345,
): [Float64Array, Float64Array] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 * 2 - 1;
  };
  const make = () => {
    const x = new Float64Array(samples + tail);
    for (let n = 0; n < samples; n++) x[n] = Math.fround(amplitude * next());
    return x;
  };
  return [make(), make()];
}

/** Deinterleave raw float32 LE samples into `channels` arrays. */
export function readRawFloat32(bytes: Uint8Array, channels: number): Float64Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor(bytes.byteLength / 4 / channels);
  const out = Array.from({ length: channels }, () => new Float64Array(frames));
  for (let k = 0; k < frames; k++) {
    for (let c = 0; c < channels; c++) out[c]![k] = view.getFloat32((k * channels + c) * 4, true);
  }
  return out;
}

/**
 * Worst channel's error energy relative to that channel's reference energy, dB:
 * `max_c 10·log10(Σ_n (y_c[n + shift] − r_c[n])² / Σ_n r_c[n]²)` over `n < length`.
 */
export function errorDb(
  y: readonly Float64Array[],
  ref: readonly Float64Array[],
  options: { shift?: number; length?: number } = {},
): { worstDb: number; channel: number } {
  const shift = options.shift ?? 0;
  let worstDb = -Infinity, channel = -1;
  ref.forEach((r, c) => {
    const yc = y[c]!;
    const length = options.length ?? r.length;
    let e = 0, p = 0;
    for (let n = 0; n < length; n++) {
      const d = (yc[n + shift] ?? 0) - (r[n] ?? 0);
      e += d * d;
      p += (r[n] ?? 0) ** 2;
    }
    const db = 10 * Math.log10(Math.max(e, 1e-300) / p);
    if (db > worstDb) {
      worstDb = db;
      channel = c;
    }
  });
  return { worstDb, channel };
}
