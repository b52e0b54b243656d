/**
 * What a listener gets from a bundle: apply its filters to a measurement
 * set's impulse responses (the unit it was fitted to, another unit, or the
 * same unit measured with the head moved) and report, per 1/3-octave band
 * (IEC 61260-1 centres, 100 Hz–16 kHz):
 *
 * - **Channel separation** at each binaural position:
 *   `S_i = 10·log10(E_ipsi,i / E_contra,i)`, E the band energy of
 *   `Σ_d P[ear][d]·F_i[d]` (input i = left → ipsilateral ear-left), with its
 *   mean over the bands centred in 300 Hz–6 kHz, and its deviation from the
 *   desired separation (the target curve, or with the virtualizer the
 *   separation of the virtual stereo pair's target ear signals).
 * - **Center beam** on the arc (gated to the direct sound in a room): null
 *   depth `E(0°)/max(E(−90°), E(+90°))`, response over ±45° relative to
 *   on-axis, 2D directivity index `E(0°)/mean_θ E(θ)`, white noise gain
 *   `E(0°)/(Σ‖F‖²·mean_d|A(0°,d)|²)`, for the bundle's center filters and
 *   for matrix mixing (equal drive of all drivers) [Van Veen & Buckley 1988].
 * - **Direct-to-reverberant ratio** of the center at the listener (room
 *   sets): the ear responses are split into the direct part (gated
 *   `DRR_GATE_MS` after arrival) and the rest, and
 *   `DRR = 10·log10(E_direct / E_rest)` of the center path, for the bundle
 *   and for matrix mixing.
 * - **Drive effort**: `‖F_i‖²` per band and the largest filter gain.
 *
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import { InputError } from "../io/errors.ts";
import type { MeasurementSet } from "../io/manifest.ts";
import { type ComplexMatrixStack, multiply } from "../dsp/complex_linalg.ts";
import { fractionalOctaveBands } from "../dsp/bands.ts";
import { nextPowerOfTwo } from "../dsp/fft.ts";
import { wrapDeg } from "../dsp/angles.ts";
import { firResponses } from "../design/fir.ts";
import { desiredEarResponses, targetSeparationCurve } from "../design/crosstalk_canceller.ts";
import { designVirtualizer } from "../design/virtualizer.ts";
import type { ArcTransferMatrix, TransferMatrix } from "../design/transfer_matrix.ts";
import type { BundleFilters, FilterBundleDraft } from "./bundle.ts";
import {
  arcPlant,
  earPlant,
  gateResponses,
  lateEnergyDb,
  readSetPlants,
} from "./_bundle_plants.ts";
import { powerRatioDb as db } from "../dsp/db.ts";

/** Direct-sound window of the DRR in ms after the earliest arrival. */
export const DRR_GATE_MS = 2.5;
/** Band over which separation means are taken, Hz. */
export const SEPARATION_BAND_HZ = { lowHz: 300, highHz: 6000 } as const;
/** Band used for beam and DRR summaries when the bundle states no controlled band, Hz. */
export const DEFAULT_BEAM_BAND_HZ = { lowHz: 500, highHz: 3000 } as const;

/** Plants to evaluate on (each on its own grid; the filters are transformed per grid). */
export interface EvaluationPlants {
  /** Sample rate of the measured IRs in Hz. */
  readonly sampleRate: number;
  /** Binaural positions: full responses, and optionally their direct part (for the DRR). */
  readonly ears: readonly {
    readonly label: string;
    readonly plant: TransferMatrix;
    readonly direct?: TransferMatrix;
  }[];
  /** Reference arc (direct sound), if any. */
  readonly arc: ArcTransferMatrix | undefined;
}

/** Per-band evaluation at one binaural position. */
export interface EarEvaluation {
  /** Position label, e.g. `az+000.0 el+00.0 r2.000 yaw+0.0`. */
  readonly label: string;
  /** Separation per band for the left and right inputs, dB. */
  readonly separationDb: { readonly left: number[]; readonly right: number[] };
  /** Desired separation per band, dB. */
  readonly desiredSeparationDb: number[];
  /** Achieved − desired per band, dB. */
  readonly deviationDb: { readonly left: number[]; readonly right: number[] };
  /** Mean separation over the bands centred in 300 Hz–6 kHz, dB. */
  readonly meanSeparationDb: { readonly left: number; readonly right: number };
  /** Mean desired separation over the same bands, dB. */
  readonly meanDesiredSeparationDb: number;
  /** Largest |deviation| over the same bands, both inputs, dB. */
  readonly maxAbsDeviationDb: number;
  /** Mean |deviation| over the same bands, both inputs, dB. */
  readonly meanAbsDeviationDb: number;
  /** Largest |deviation| of the direct sound (room sets), same bands, both inputs, dB. */
  readonly directMaxAbsDeviationDb?: number;
  /** Mean |deviation| of the direct sound (room sets), same bands, both inputs, dB. */
  readonly directMeanAbsDeviationDb?: number;
  /** Separation of the direct sound only (room sets: responses gated DRR_GATE_MS after arrival), dB. */
  readonly directSeparationDb?: { readonly left: number[]; readonly right: number[] };
  /** Its mean over the bands centred in 300 Hz–6 kHz, dB. */
  readonly meanDirectSeparationDb?: { readonly left: number; readonly right: number };
  /** Center DRR per band for the bundle and for matrix mixing (room sets), dB. */
  readonly drr?: {
    readonly bundleDb: number[];
    readonly matrixDb: number[];
    /** Energy-weighted over the summary band. */
    readonly bandBundleDb: number;
    readonly bandMatrixDb: number;
  };
}

/** Per-band beam metrics of one center weighting. */
export interface BeamBands {
  /** `E(0°)/max(E(−90°), E(+90°))` per band, dB (positive: nulls below on-axis). */
  readonly nullDepthDb: number[];
  /** Lowest `E(θ)/E(0°)` over |θ| ≤ 45° per band, dB (≤ 0). */
  readonly windowMinDb: number[];
  /** Highest `E(θ)/E(0°)` over |θ| ≤ 45° per band, dB (≥ 0). */
  readonly windowMaxDb: number[];
  /** 2D directivity index `E(0°)/mean_θ E(θ)` over the arc per band, dB. */
  readonly directivityIndexDb: number[];
  /** White noise gain `E(0°)/(Σ‖F‖²·mean_d|A(0°,d)|²)` per band, dB. */
  readonly whiteNoiseGainDb: number[];
}

/** Center-beam evaluation on the arc. */
export interface BeamEvaluation {
  /** Metrics of the bundle's center filters. */
  readonly bundle: BeamBands;
  /** Metrics of matrix mixing (equal drive of all drivers), for comparison. */
  readonly matrix: BeamBands;
  /** Summary band (the design's controlled band, else 500–3000 Hz). */
  readonly bandHz: { readonly lowHz: number; readonly highHz: number };
  /** Whether bandHz is the band the design reported as controlled. */
  readonly controlledBand: boolean;
}

/** Full evaluation. */
export interface Evaluation {
  /** 1/3-octave band centres, Hz. */
  readonly bandsHz: number[];
  /** One entry per binaural position of the set (empty without ear captures). */
  readonly ears: EarEvaluation[];
  /** Center beam on the reference arc; undefined without an arc or a center input. */
  readonly beam: BeamEvaluation | undefined;
  /** Drive effort per input and band (‖F‖², dB re one driver at unit gain). */
  readonly driveEffortDb: Record<string, number[]>;
  /** Largest |F| over bins and drivers per input, dB. */
  readonly maxGainDb: Record<string, number>;
  /** One-line numbers for reports and `bundle.predicted`. */
  readonly summary: Record<string, unknown>;
}

interface Bands {
  readonly centerHz: number[];
  readonly lowerHz: number[];
  readonly upperHz: number[];
}

function thirdOctaves(sampleRate: number): Bands {
  const b = fractionalOctaveBands({
    fraction: 3,
    minHz: 100,
    maxHz: Math.min(16000, sampleRate / 2.2),
  });
  return {
    centerHz: Array.from(b.centerHz),
    lowerHz: Array.from(b.lowerHz),
    upperHz: Array.from(b.upperHz),
  };
}

/** Sum of `power[bin]` over the bins inside each band (NaN for a band with no bin). */
function bandSums(
  power: ArrayLike<number>,
  fftSize: number,
  sampleRate: number,
  bands: Bands,
): number[] {
  const df = sampleRate / fftSize;
  return bands.centerHz.map((_, i) => {
    const lo = Math.ceil((bands.lowerHz[i] as number) / df);
    const hi = Math.min(power.length - 1, Math.ceil((bands.upperHz[i] as number) / df) - 1);
    if (hi < lo) return NaN;
    let s = 0;
    for (let k = lo; k <= hi; k++) s += power[k] as number;
    return s;
  });
}

function round2(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}

function meanOver(values: readonly number[], bands: Bands, lowHz: number, highHz: number): number {
  let s = 0, n = 0;
  values.forEach((v, i) => {
    const c = bands.centerHz[i] as number;
    if (c >= lowHz && c <= highHz && Number.isFinite(v)) {
      s += v;
      n++;
    }
  });
  return n > 0 ? s / n : NaN;
}

/** |E[row][col]|² per bin of a stack. */
function entryPower(E: ComplexMatrixStack, row: number, col: number): Float64Array {
  const out = new Float64Array(E.bins);
  for (let b = 0; b < E.bins; b++) {
    const i = (b * E.rows + row) * E.cols + col;
    out[b] = (E.re[i] as number) ** 2 + (E.im[i] as number) ** 2;
  }
  return out;
}

/** Desired ipsilateral / contralateral band energies of the design's target (virtualizer included). */
function desiredSeparation(
  design: Record<string, unknown>,
  sampleRate: number,
  fftSize: number,
  f: Float64Array,
  bands: Bands,
): number[] {
  const lr = (design.leftRight ?? {}) as Record<string, unknown>;
  const spec = typeof lr.targetSeparation === "object" && lr.targetSeparation !== null
    ? lr.targetSeparation as Record<string, number>
    : {};
  const target = targetSeparationCurve(f, spec);
  const v = typeof lr.virtualizer === "object" && lr.virtualizer !== null
    ? designVirtualizer({ sampleRate, fftSize }, lr.virtualizer as Record<string, number>)
    : undefined;
  const tv = desiredEarResponses(target, v);
  const ipsi = new Float64Array(f.length), contra = new Float64Array(f.length);
  for (let b = 0; b < f.length; b++) {
    ipsi[b] = tv.ipsilateral.re[b]! ** 2 + tv.ipsilateral.im[b]! ** 2;
    contra[b] = tv.contralateral.re[b]! ** 2 + tv.contralateral.im[b]! ** 2;
  }
  const si = bandSums(ipsi, fftSize, sampleRate, bands);
  const sc = bandSums(contra, fftSize, sampleRate, bands);
  return si.map((x, i) => db(x, sc[i] as number));
}

function beamBands(
  arc: ArcTransferMatrix,
  W: ComplexMatrixStack,
  column: number,
  bands: Bands,
): BeamBands {
  const A = arc.matrix, rows = A.rows, n = A.cols, bins = A.bins;
  const wrap = wrapDeg;
  const nearest = (t: number) => {
    let best = 0, dist = Infinity;
    arc.azimuthsDeg.forEach((a, i) => {
      const d = Math.abs(wrap(a - t));
      if (d < dist) {
        dist = d;
        best = i;
      }
    });
    return best;
  };
  const on = nearest(0), nulls = [nearest(-90), nearest(90)];
  const power = Array.from({ length: rows }, () => new Float64Array(bins));
  const effortSingle = new Float64Array(bins);
  for (let b = 0; b < bins; b++) {
    let effort = 0, single = 0;
    for (let d = 0; d < n; d++) {
      const wi = (b * n + d) * W.cols + column;
      effort += (W.re[wi] as number) ** 2 + (W.im[wi] as number) ** 2;
      const ai = (b * rows + on) * n + d;
      single += (A.re[ai] as number) ** 2 + (A.im[ai] as number) ** 2;
    }
    effortSingle[b] = effort * single / n;
    for (let r = 0; r < rows; r++) {
      let sr = 0, si = 0;
      for (let d = 0; d < n; d++) {
        const ai = (b * rows + r) * n + d, wi = (b * n + d) * W.cols + column;
        const ar = A.re[ai] as number, aim = A.im[ai] as number;
        const wr = W.re[wi] as number, wim = W.im[wi] as number;
        sr += ar * wr - aim * wim;
        si += ar * wim + aim * wr;
      }
      power[r]![b] = sr * sr + si * si;
    }
  }
  const sums = power.map((p) => bandSums(p, arc.fftSize, arc.sampleRate, bands));
  const es = bandSums(effortSingle, arc.fftSize, arc.sampleRate, bands);
  const out: BeamBands = {
    nullDepthDb: [],
    windowMinDb: [],
    windowMaxDb: [],
    directivityIndexDb: [],
    whiteNoiseGainDb: [],
  };
  const inWindow = Array.from(arc.azimuthsDeg, (a) => Math.abs(wrap(a)) <= 45 + 1e-9);
  bands.centerHz.forEach((_, k) => {
    const p0 = sums[on]![k] as number;
    const pn = Math.max(...nulls.map((i) => sums[i]![k] as number));
    let lo = Infinity, hi = -Infinity, mean = 0;
    sums.forEach((s, r) => {
      const v = s[k] as number;
      mean += v / rows;
      if (inWindow[r]) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    });
    out.nullDepthDb.push(round2(db(p0, pn)));
    out.windowMinDb.push(round2(db(lo, p0)));
    out.windowMaxDb.push(round2(db(hi, p0)));
    out.directivityIndexDb.push(round2(db(p0, mean)));
    out.whiteNoiseGainDb.push(round2(db(p0, es[k] as number)));
  });
  return out;
}

function mixingFilters(taps: number, latency: number, drivers: number): Float64Array[] {
  return Array.from({ length: drivers }, () => {
    const h = new Float64Array(taps);
    h[latency] = 1 / drivers;
    return h;
  });
}

/**
 * Evaluate a bundle's filters on given plants (the kernel of
 * {@linkcode evaluateBundle}; `fitBundle` uses it for `predicted`).
 *
 * @param bundle The bundle (its `inputs`, `taps`, `latencySamples`, `design`).
 * @param filters `filters[input][driver]`.
 * @param plants Ear positions, optional direct parts and arc, each on a grid with fftSize ≥ taps.
 * @returns Per-band metrics and a summary.
 */
export function evaluatePlants(
  bundle: Pick<FilterBundleDraft, "inputs" | "taps" | "latencySamples" | "design" | "device">,
  filters: BundleFilters,
  plants: EvaluationPlants,
): Evaluation {
  const ctx = evaluationContext(bundle, filters, plants.sampleRate);
  const ears = plants.ears.map((ear) => evaluateEar(ctx, ear));
  const beam = evaluateBeam(ctx, plants.arc);
  const { driveEffortDb, maxGainDb } = driveEffort(ctx, plants, bundle.taps);
  const summary = summarize(ctx, ears, beam, maxGainDb);
  return { bandsHz: ctx.bands.centerHz.map(round2), ears, beam, driveEffortDb, maxGainDb, summary };
}

/** What every stage of {@linkcode evaluatePlants} reads: bands, the design, filter responses. */
interface EvaluationContext {
  readonly sampleRate: number;
  readonly bands: Bands;
  readonly inputs: readonly string[];
  readonly hasCenter: boolean;
  readonly design: Record<string, unknown>;
  readonly cb: { lowHz: number; highHz: number } | null | undefined;
  readonly beamBand: { lowHz: number; highHz: number };
  /** The bundle's (W) and matrix mixing's (M) responses on a grid, cached per FFT size. */
  readonly responses: (fftSize: number) => { W: ComplexMatrixStack; M: ComplexMatrixStack };
}

/** Stage 1: third-octave bands, the controlled band, and the filters' responses on demand. */
function evaluationContext(
  bundle: Pick<FilterBundleDraft, "inputs" | "taps" | "latencySamples" | "design" | "device">,
  filters: BundleFilters,
  sampleRate: number,
): EvaluationContext {
  const bands = thirdOctaves(sampleRate);
  const inputs = bundle.inputs;
  const nDrivers = bundle.device.drivers.length;
  const firList = inputs.map((i) => filters[i]!);
  const mix = [mixingFilters(bundle.taps, bundle.latencySamples, nDrivers)];
  const cache = new Map<number, { W: ComplexMatrixStack; M: ComplexMatrixStack }>();
  const responses = (fftSize: number) => {
    let r = cache.get(fftSize);
    if (!r) {
      r = { W: firResponses(firList, fftSize), M: firResponses(mix, fftSize) };
      cache.set(fftSize, r);
    }
    return r;
  };
  const design = bundle.design as Record<string, unknown>;
  const centerDesign =
    (typeof design.center === "object" && design.center !== null ? design.center : {}) as Record<
      string,
      unknown
    >;
  const cb = centerDesign.controlledBand as { lowHz: number; highHz: number } | null | undefined;
  const beamBand = cb ? { lowHz: cb.lowHz, highHz: cb.highHz } : { ...DEFAULT_BEAM_BAND_HZ };
  return {
    sampleRate,
    bands,
    inputs,
    hasCenter: inputs.includes("center"),
    design,
    cb,
    beamBand,
    responses,
  };
}

/** Stage 2: what a listener at one ear position gets — separation against the desired curve,
 * the direct sound's, and in a room the center's direct-to-reverberant ratio. */
function evaluateEar(
  ctx: EvaluationContext,
  { label, plant, direct }: EvaluationPlants["ears"][number],
): EarEvaluation {
  const { sampleRate, bands, design, hasCenter, inputs } = ctx;
  const { W, M } = ctx.responses(plant.fftSize);
  const separationOf = (p: TransferMatrix) => {
    const E = multiply(p.matrix, W);
    return [0, 1].map((i) => {
      const ipsi = bandSums(entryPower(E, i, i), p.fftSize, sampleRate, bands);
      const contra = bandSums(entryPower(E, 1 - i, i), p.fftSize, sampleRate, bands);
      return ipsi.map((x, k) => round2(db(x, contra[k] as number)));
    }) as [number[], number[]];
  };
  const sep = separationOf(plant);
  const desired = desiredSeparation(design, sampleRate, plant.fftSize, plant.frequenciesHz, bands)
    .map(round2);
  const devOf = (sp: [number[], number[]]) => {
    const dev = sp.map((x) => x.map((v, k) => round2(v - (desired[k] as number)))) as [
      number[],
      number[],
    ];
    let maxAbs = 0, sum = 0, count = 0;
    bands.centerHz.forEach((c, k) => {
      if (c < SEPARATION_BAND_HZ.lowHz || c > SEPARATION_BAND_HZ.highHz) return;
      for (const d of dev) {
        const v = Math.abs(d[k] as number);
        if (!Number.isFinite(v)) continue;
        maxAbs = Math.max(maxAbs, v);
        sum += v;
        count++;
      }
    });
    return { dev, maxAbs: round2(maxAbs), meanAbs: round2(count ? sum / count : NaN) };
  };
  const { dev, maxAbs: maxDev, meanAbs: meanDev } = devOf(sep);
  const { lowHz, highHz } = SEPARATION_BAND_HZ;
  const result: EarEvaluation = {
    label,
    separationDb: { left: sep[0], right: sep[1] },
    desiredSeparationDb: desired,
    deviationDb: { left: dev[0], right: dev[1] },
    meanSeparationDb: {
      left: round2(meanOver(sep[0], bands, lowHz, highHz)),
      right: round2(meanOver(sep[1], bands, lowHz, highHz)),
    },
    meanDesiredSeparationDb: round2(meanOver(desired, bands, lowHz, highHz)),
    maxAbsDeviationDb: maxDev,
    meanAbsDeviationDb: meanDev,
  };
  if (direct === undefined) return result;
  if (direct.fftSize !== plant.fftSize) {
    throw new RangeError(
      `Cannot evaluate the direct sound as the direct and full plants must share one grid: ${direct.fftSize} vs ${plant.fftSize}`,
    );
  }
  const dsep = separationOf(direct);
  const ddev = devOf(dsep);
  const withDirect: EarEvaluation = {
    ...result,
    directMaxAbsDeviationDb: ddev.maxAbs,
    directMeanAbsDeviationDb: ddev.meanAbs,
    directSeparationDb: { left: dsep[0], right: dsep[1] },
    meanDirectSeparationDb: {
      left: round2(meanOver(dsep[0], bands, lowHz, highHz)),
      right: round2(meanOver(dsep[1], bands, lowHz, highHz)),
    },
  };
  if (!hasCenter) return withDirect;
  const c = inputs.indexOf("center");
  const bb = centerDrr(ctx, plant, direct, W, c), mm = centerDrr(ctx, plant, direct, M, 0);
  return {
    ...withDirect,
    drr: {
      bundleDb: bb.perBand,
      matrixDb: mm.perBand,
      bandBundleDb: bb.band,
      bandMatrixDb: mm.band,
    },
  };
}

/**
 * Stage 2b: the center path's direct-to-reverberant ratio at both ears (the direct part vs the
 * rest), per third octave and over the beam band.
 */
function centerDrr(
  ctx: EvaluationContext,
  plant: TransferMatrix,
  direct: TransferMatrix,
  weights: ComplexMatrixStack,
  col: number,
): { perBand: number[]; band: number } {
  const { sampleRate, bands, beamBand } = ctx;
  const full = multiply(plant.matrix, weights), dir = multiply(direct.matrix, weights);
  const dPow = new Float64Array(full.bins), rPow = new Float64Array(full.bins);
  for (let b = 0; b < full.bins; b++) {
    for (let ear = 0; ear < 2; ear++) {
      const i = (b * 2 + ear) * full.cols + col;
      const dr = dir.re[i] as number, di = dir.im[i] as number;
      dPow[b]! += dr * dr + di * di;
      rPow[b]! += ((full.re[i] as number) - dr) ** 2 + ((full.im[i] as number) - di) ** 2;
    }
  }
  const ds = bandSums(dPow, plant.fftSize, sampleRate, bands);
  const rs = bandSums(rPow, plant.fftSize, sampleRate, bands);
  let dSum = 0, rSum = 0;
  bands.centerHz.forEach((hz, k) => {
    if (hz >= beamBand.lowHz && hz <= beamBand.highHz) {
      dSum += ds[k] as number;
      rSum += rs[k] as number;
    }
  });
  return {
    perBand: ds.map((x, k) => round2(db(x, rs[k] as number))),
    band: round2(db(dSum, rSum)),
  };
}

/** Stage 3: the center beam on the arc, per third octave, against matrix mixing. */
function evaluateBeam(
  ctx: EvaluationContext,
  arc: ArcTransferMatrix | undefined,
): BeamEvaluation | undefined {
  const { bands, beamBand, cb, hasCenter, inputs } = ctx;
  if (!hasCenter || !arc) return undefined;
  const { W, M } = ctx.responses(arc.fftSize);
  return {
    bundle: beamBands(arc, W, inputs.indexOf("center"), bands),
    matrix: beamBands(arc, M, 0, bands),
    bandHz: beamBand,
    controlledBand: Boolean(cb),
  };
}

/** Stage 4: drive effort per third octave and the largest filter gain, per input, on the finest
 * grid used. */
function driveEffort(
  ctx: EvaluationContext,
  plants: EvaluationPlants,
  taps: number,
): { driveEffortDb: Record<string, number[]>; maxGainDb: Record<string, number> } {
  const { sampleRate, bands, inputs } = ctx;
  const gridSize = Math.max(
    nextPowerOfTwo(2 * taps),
    ...plants.ears.map((e) => e.plant.fftSize),
  );
  const { W } = ctx.responses(gridSize);
  const driveEffortDb: Record<string, number[]> = {};
  const maxGainDb: Record<string, number> = {};
  inputs.forEach((input, c) => {
    const effort = new Float64Array(W.bins);
    let peak = 0;
    for (let b = 0; b < W.bins; b++) {
      for (let d = 0; d < W.rows; d++) {
        const i = (b * W.rows + d) * W.cols + c;
        const p = (W.re[i] as number) ** 2 + (W.im[i] as number) ** 2;
        effort[b]! += p;
        peak = Math.max(peak, p);
      }
    }
    const counts = bandSums(new Float64Array(W.bins).fill(1), gridSize, sampleRate, bands);
    driveEffortDb[input] = bandSums(effort, gridSize, sampleRate, bands).map((s, k) =>
      round2(db(s, counts[k] as number))
    );
    maxGainDb[input] = round2(db(peak, 1));
  });

  return { driveEffortDb, maxGainDb };
}

/** Stage 5: the summary `bundle.predicted` and `evaluate` print. */
function summarize(
  ctx: EvaluationContext,
  ears: readonly EarEvaluation[],
  beam: BeamEvaluation | undefined,
  maxGainDb: Record<string, number>,
): Record<string, unknown> {
  const { bands, beamBand } = ctx;
  const summary: Record<string, unknown> = {};
  const first = ears[0];
  if (first) {
    summary.separation = {
      position: first.label,
      bandHz: { ...SEPARATION_BAND_HZ },
      meanDb: first.meanSeparationDb,
      meanDesiredDb: first.meanDesiredSeparationDb,
      maxAbsDeviationDb: first.maxAbsDeviationDb,
      meanAbsDeviationDb: first.meanAbsDeviationDb,
      ...(first.meanDirectSeparationDb
        ? {
          directSoundMeanDb: first.meanDirectSeparationDb,
          directSoundMaxAbsDeviationDb: first.directMaxAbsDeviationDb,
          directSoundMeanAbsDeviationDb: first.directMeanAbsDeviationDb,
          directGateMs: DRR_GATE_MS,
        }
        : {}),
    };
    if (ears.length > 1) {
      summary.separationPerPosition = ears.map((e) => ({
        position: e.label,
        meanDb: e.meanSeparationDb,
        maxAbsDeviationDb: e.maxAbsDeviationDb,
        meanAbsDeviationDb: e.meanAbsDeviationDb,
        ...(e.meanDirectSeparationDb
          ? {
            directSoundMeanDb: e.meanDirectSeparationDb,
            directSoundMeanAbsDeviationDb: e.directMeanAbsDeviationDb,
          }
          : {}),
      }));
    }
    if (first.drr) {
      summary.centerDrr = {
        bandHz: beamBand,
        bundleDb: first.drr.bandBundleDb,
        matrixMixingDb: first.drr.bandMatrixDb,
        gainDb: round2(first.drr.bandBundleDb - first.drr.bandMatrixDb),
      };
    }
  }
  if (beam) {
    const pick = (v: number[], f: (a: number[]) => number) => {
      const xs = v.filter((_, k) => {
        const c = bands.centerHz[k] as number;
        return c >= beam!.bandHz.lowHz && c <= beam!.bandHz.highHz;
      }).filter(Number.isFinite);
      return xs.length ? round2(f(xs)) : NaN;
    };
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const min = (a: number[]) => Math.min(...a);
    summary.centerBeam = {
      bandHz: beam.bandHz,
      controlledBand: beam.controlledBand,
      minNullDepthDb: pick(beam.bundle.nullDepthDb, min),
      matrixMixingMinNullDepthDb: pick(beam.matrix.nullDepthDb, min),
      window45MinDb: pick(beam.bundle.windowMinDb, min),
      window45MaxDb: pick(beam.bundle.windowMaxDb, (a) => Math.max(...a)),
      meanDirectivityIndexDb: pick(beam.bundle.directivityIndexDb, mean),
      matrixMixingMeanDirectivityIndexDb: pick(beam.matrix.directivityIndexDb, mean),
      minWhiteNoiseGainDb: pick(beam.bundle.whiteNoiseGainDb, min),
    };
  }
  summary.maxGainDb = maxGainDb;
  return summary;
}

/** Options of {@linkcode evaluateBundle}. */
export interface EvaluateOptions {
  /** Gate of the arc responses in ms after arrival: "auto" (default: gated to 2.5 ms in a room), "none" or ms. */
  readonly arcGateMs?: number | "auto" | "none";
  /** Evaluate the center beam on the set's arc (default true); false keeps only the ears. */
  readonly beam?: boolean;
}

/**
 * Apply a bundle to a measurement set and report what a listener gets (see
 * the module documentation). Every binaural position of the set is
 * evaluated; the arc, if present, gives the beam metrics; in a room set the
 * center DRR at the listener is computed.
 *
 * @param bundle The bundle.
 * @param filters Its filters.
 * @param set Any measurement set of a unit with the bundle's drivers.
 * @throws {InputError} for a set whose sample rate differs from the bundle's (naming both), that
 *   lacks one of the bundle's drivers, or that has neither binaural captures nor an arc.
 */
export async function evaluateBundle(
  bundle: Pick<
    FilterBundleDraft,
    "inputs" | "taps" | "latencySamples" | "design" | "device" | "sampleRate"
  >,
  filters: BundleFilters,
  set: MeasurementSet,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const m = set.manifest;
  const file = set.folder;
  if (m.sampleRate !== bundle.sampleRate) {
    throw new InputError(
      `Cannot evaluate the bundle on "${file}" as sample rates differ: the bundle has sampleRate ${bundle.sampleRate} Hz, the set has ${m.sampleRate} Hz`,
      { file, field: "sampleRate", value: m.sampleRate },
    );
  }
  const setDrivers = m.device.drivers.map((d) => d.id);
  const missing = bundle.device.drivers.filter((d) => !setDrivers.includes(d));
  if (missing.length > 0) {
    throw new InputError(
      `Cannot evaluate the bundle on "${file}" as the set lacks drivers of the bundle: ${
        missing.join(", ")
      } (set has ${setDrivers.join(", ")})`,
      { file, field: "device.drivers", value: setDrivers },
    );
  }
  const plants = await readSetPlants(set, { ears: false, arc: false });
  const order = bundle.device.drivers.map((d) => setDrivers.indexOf(d));
  const reorder = (irs: readonly (readonly Float64Array[])[]) =>
    irs.map((row) => order.map((i) => row[i]!));
  if (plants.ears.length === 0 && (plants.arc === undefined || !bundle.inputs.includes("center"))) {
    throw new InputError(
      `Cannot evaluate the bundle on "${file}" as it has neither ear-left/ear-right captures of every driver at a position nor a reference-mic arc${
        bundle.inputs.includes("center")
          ? ""
          : " (and the bundle has no center input an arc could show)"
      }`,
      { file, field: "captures", value: m.captures.length },
    );
  }
  const sr = m.sampleRate;
  const gate = Math.round((DRR_GATE_MS * sr) / 1000);
  const fade = Math.round(gate / 5);
  const ears = plants.ears.map((p) => {
    const irs = reorder(p.irs);
    const longest = Math.max(...irs.flat().map((h) => h.length));
    const fftSize = Math.max(nextPowerOfTwo(longest + bundle.taps), 2 * bundle.taps);
    const full = earPlant(irs, sr, fftSize);
    const reverberant = lateEnergyDb(irs, sr) > -30;
    const directIrs = gateResponses(irs, gate, fade, fftSize);
    return {
      label: p.label,
      plant: full,
      ...(reverberant ? { direct: earPlant(directIrs, sr, fftSize) } : {}),
    };
  });
  let arc: ArcTransferMatrix | undefined;
  if (plants.arc && bundle.inputs.includes("center") && options.beam !== false) {
    const irs = reorder(plants.arc.irs);
    const opt = options.arcGateMs ?? "auto";
    const gateMs = opt === "auto" ? (lateEnergyDb(irs, sr) > -30 ? DRR_GATE_MS : "none") : opt;
    const g = gateMs === "none" ? Infinity : Math.round((gateMs * sr) / 1000);
    const longest = Math.max(...irs.flat().map((h) => h.length));
    const cut = Math.min(longest, Number.isFinite(g) ? longest : longest);
    const fftSize = Math.max(nextPowerOfTwo(cut + bundle.taps), 2 * bundle.taps);
    const gated = gateResponses(
      irs,
      g,
      Number.isFinite(g) ? Math.max(1, Math.round(g / 5)) : 0,
      fftSize,
    );
    arc = arcPlant({ azimuthsDeg: plants.arc.azimuthsDeg, irs: gated }, sr, fftSize);
  }
  return evaluatePlants(bundle, filters, { sampleRate: sr, ears, arc });
}

function fmt(x: unknown, digits = 1): string {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}

/**
 * Plain-language lines for an evaluation summary (the CLI and the demo print them).
 *
 * @param summary `Evaluation.summary` or a bundle's `predicted`.
 */
export function formatSummary(summary: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const s = summary.separation as Record<string, any> | undefined;
  if (s) {
    lines.push(
      `separation 300 Hz-6 kHz at ${s.position}: left ${fmt(s.meanDb?.left)} dB, right ${
        fmt(s.meanDb?.right)
      } dB (desired ${fmt(s.meanDesiredDb)} dB; bands off by ${
        fmt(s.meanAbsDeviationDb)
      } dB on average, ${fmt(s.maxAbsDeviationDb)} dB at worst)`,
    );
    if (s.directSoundMeanDb) {
      lines.push(
        `  direct sound only (first ${s.directGateMs} ms): left ${
          fmt(s.directSoundMeanDb.left)
        } dB, right ${fmt(s.directSoundMeanDb.right)} dB (off by ${
          fmt(s.directSoundMeanAbsDeviationDb)
        } dB on average, ${fmt(s.directSoundMaxAbsDeviationDb)} dB at worst)`,
      );
    }
  }
  const per = summary.separationPerPosition as Record<string, any>[] | undefined;
  for (const p of per ?? []) {
    lines.push(
      `  at ${p.position}: left ${fmt(p.meanDb?.left)} dB, right ${fmt(p.meanDb?.right)} dB`,
    );
  }
  const b = summary.centerBeam as Record<string, any> | undefined;
  if (b) {
    lines.push(
      `center beam ${fmt(b.bandHz?.lowHz, 0)}-${fmt(b.bandHz?.highHz, 0)} Hz${
        b.controlledBand ? " (the band the array controls)" : ""
      }: nulls at ±90° >= ${fmt(b.minNullDepthDb)} dB below on-axis (matrix mixing ${
        fmt(b.matrixMixingMinNullDepthDb)
      } dB), ±45° within ${fmt(b.window45MinDb)}..+${fmt(b.window45MaxDb)} dB, DI ${
        fmt(b.meanDirectivityIndexDb)
      } dB (matrix mixing ${fmt(b.matrixMixingMeanDirectivityIndexDb)} dB), WNG >= ${
        fmt(b.minWhiteNoiseGainDb)
      } dB`,
    );
  }
  const d = summary.centerDrr as Record<string, any> | undefined;
  if (d) {
    lines.push(
      `center direct-to-reverberant ratio at the listener (${fmt(d.bandHz?.lowHz, 0)}-${
        fmt(d.bandHz?.highHz, 0)
      } Hz): beamformer ${fmt(d.bundleDb)} dB, matrix mixing ${fmt(d.matrixMixingDb)} dB (${
        d.gainDb >= 0 ? "+" : ""
      }${fmt(d.gainDb)} dB)`,
    );
  }
  const g = summary.maxGainDb as Record<string, number> | undefined;
  if (g) {
    lines.push(
      `largest filter gain: ${Object.entries(g).map(([k, x]) => `${k} ${fmt(x)} dB`).join(", ")}`,
    );
  }
  if (typeof summary.truncationErrorDb === "number") {
    lines.push(`FIR truncation error: ${fmt(summary.truncationErrorDb)} dB`);
  }
  return lines;
}

/** A per-band table of an evaluation (one block per binaural position, then the beam). */
export function formatEvaluation(e: Evaluation): string[] {
  const lines: string[] = [];
  const col = (x: unknown, w = 7) => fmt(x).padStart(w);
  const hzCol = (hz: number) => fmt(hz, 0).padStart(7);
  for (const ear of e.ears) {
    lines.push(`separation at ${ear.label} (dB; ipsilateral/contralateral power per 1/3 octave)`);
    const direct = ear.directSeparationDb !== undefined;
    lines.push(
      `${"Hz".padStart(7)}${"left".padStart(7)}${"right".padStart(7)}${"target".padStart(7)}${
        direct ? `${"dirL".padStart(7)}${"dirR".padStart(7)}` : ""
      }${ear.drr ? `${"DRRbf".padStart(7)}${"DRRmx".padStart(7)}` : ""}`,
    );
    e.bandsHz.forEach((hz, k) => {
      lines.push(
        `${hzCol(hz)}${col(ear.separationDb.left[k])}${col(ear.separationDb.right[k])}${
          col(ear.desiredSeparationDb[k])
        }${
          direct
            ? `${col(ear.directSeparationDb!.left[k])}${col(ear.directSeparationDb!.right[k])}`
            : ""
        }${ear.drr ? `${col(ear.drr.bundleDb[k])}${col(ear.drr.matrixDb[k])}` : ""}`,
      );
    });
    lines.push("");
  }
  if (e.beam) {
    lines.push("center beam on the arc (dB; bf = bundle, mx = matrix mixing)");
    lines.push(
      ["Hz", "null", "nullMx", "±45min", "±45max", "DI", "DImx", "WNG"].map((h) => h.padStart(7))
        .join(""),
    );
    e.bandsHz.forEach((hz, k) => {
      const b = e.beam!.bundle, m = e.beam!.matrix;
      lines.push(
        `${hzCol(hz)}${col(b.nullDepthDb[k])}${col(m.nullDepthDb[k])}${col(b.windowMinDb[k])}${
          col(b.windowMaxDb[k])
        }${col(b.directivityIndexDb[k])}${col(m.directivityIndexDb[k])}${
          col(b.whiteNoiseGainDb[k])
        }`,
      );
    });
  }
  return lines;
}
