/**
 * Synthetic line measurements for the golden/verify tests, independent of the
 * simulator: three drivers made of biquad band-passes with unit-to-unit
 * spread, harmonic responses and noise, plus seeded defects.
 * @module
 */
import { biquadFilter, designBiquad } from "../../dsp/filters.ts";
import type { DriverCapture, StationSetup, UnitMeasurement } from "../../calibrate/limits.ts";
import { seededRandom } from "../_assert.ts";

export const FS = 48000;
export const DRIVERS = ["woofer", "mid", "tweeter"] as const;
const SHAPES: Record<string, { hp: number; lp: number; delay: number }> = {
  woofer: { hp: 60, lp: 2000, delay: 80 },
  mid: { hp: 300, lp: 8000, delay: 70 },
  tweeter: { hp: 2500, lp: 18000, delay: 74 },
};

/** The station every synthetic unit is measured on (limits and verify compare it). */
export const SYNTH_STATION: StationSetup = {
  position: { azimuthDeg: 30, elevationDeg: 20, distanceMeters: 0.5 },
  sweep: {
    method: "multiple-exponential",
    startHz: 20,
    endHz: 20000,
    durationSeconds: 1,
    levelDbfs: -24,
  },
};

export type SynthDefect =
  | { kind: "polarity"; driver: string }
  | { kind: "dead"; driver: string }
  | { kind: "sensitivity"; driver: string; offsetDb: number }
  | { kind: "rub-buzz"; driver: string }
  | { kind: "air-leak"; driver: string; hz: number }
  | { kind: "swap"; a: string; b: string }
  | { kind: "noise"; levelDb: number }
  | { kind: "clip" };

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** One synthetic unit with IR length 2048 and harmonics 2..20. */
export function synthUnit(
  seed: number,
  defects: readonly SynthDefect[] = [],
  overrides: Partial<Pick<UnitMeasurement, "model" | "sampleRate">> = {},
): UnitMeasurement {
  const rand = seededRandom(seed);
  const n = 2048;
  const noiseDb = defects.find((d) => d.kind === "noise")?.kind === "noise"
    ? (defects.find((d) => d.kind === "noise") as { levelDb: number }).levelDb
    : -110;
  const noiseAmp = Math.pow(10, noiseDb / 20);
  const noise = (len: number) =>
    Float64Array.from({ length: len }, () => noiseAmp * gaussian(rand));
  const irs: Record<string, Float64Array> = {};
  const harmonics: Record<string, Float64Array[]> = {};
  for (const id of DRIVERS) {
    const s = SHAPES[id]!;
    const gain = Math.pow(10, (0.3 * gaussian(rand)) / 20);
    const x = new Float64Array(n);
    x[s.delay] = gain;
    const hpHz = s.hp * (1 + 0.03 * gaussian(rand));
    const filters = [
      designBiquad({ type: "highpass", frequencyHz: hpHz, sampleRate: FS, q: 0.8 }),
      designBiquad({ type: "lowpass", frequencyHz: s.lp, sampleRate: FS, q: 0.7 }),
    ];
    let ir = biquadFilter(filters, x);
    for (const d of defects) {
      if (d.kind === "air-leak" && d.driver === id) {
        ir = biquadFilter(
          [designBiquad({ type: "highpass", frequencyHz: d.hz, sampleRate: FS, q: 0.7 })],
          ir,
        );
      }
      if (d.kind === "sensitivity" && d.driver === id) {
        const g = Math.pow(10, d.offsetDb / 20);
        ir = ir.map((v) => v * g);
      }
      if (d.kind === "polarity" && d.driver === id) ir = ir.map((v) => -v);
      if (d.kind === "dead" && d.driver === id) ir = new Float64Array(n);
    }
    const rub = defects.some((d) => d.kind === "rub-buzz" && d.driver === id);
    const dead = defects.some((d) => d.kind === "dead" && d.driver === id);
    harmonics[id] = Array.from({ length: 19 }, (_, i) => {
      const order = i + 2;
      const h = noise(order >= 10 ? 300 : 800);
      if (dead) return h;
      const level = order === 2 ? 0.01 : order === 3 ? 0.005 : rub && order >= 10 ? 0.01 : 0;
      for (let j = 0; j < h.length; j++) h[j]! += level * (ir[j] ?? 0);
      return h;
    });
    const nz = noise(n);
    irs[id] = ir.map((v, i) => v + nz[i]!);
  }
  for (const d of defects) {
    if (d.kind === "swap") {
      [irs[d.a], irs[d.b]] = [irs[d.b]!, irs[d.a]!];
      [harmonics[d.a], harmonics[d.b]] = [harmonics[d.b]!, harmonics[d.a]!];
    }
  }
  const clip = defects.some((d) => d.kind === "clip");
  const captures: DriverCapture[] = DRIVERS.map((id) => ({
    driver: id,
    ir: irs[id]!,
    harmonics: harmonics[id]!,
    peakDbfs: clip ? 0 : -12,
    warnings: [],
  }));
  return {
    setup: SYNTH_STATION,
    model: overrides.model ?? "synth3",
    serial: `SYN-${String(seed).padStart(5, "0")}`,
    sampleRate: overrides.sampleRate ?? FS,
    drivers: [...DRIVERS],
    captures,
  };
}
