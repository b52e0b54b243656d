/**
 * Per-unit fitting: one unit's measurement set → a filter bundle
 * (DESIGN.md "Filter bundle"), following the article's signal flow
 * (`../shared/reference/spatial-audio-article.md`, "Signal flow"):
 *
 * ```text
 * stereo ─ upmix ─┬─ left  ─ virtualizer + CTC / null-steering ─┐
 *                 ├─ right ─ virtualizer + CTC / null-steering ─┼─ delay alignment ─ FIR ─ Σ per driver
 *                 └─ center ─ midrange beamformer (matrix mixing outside its band) ─┘
 * ```
 *
 * 1. Transfer matrices from the set's IRs with the measured relative delays
 *    kept: ears × drivers at the binaural position(s), reference azimuths ×
 *    drivers on the arc, on one grid of `fftSize` (default 2·taps) bins.
 *    In a reverberant set (late energy above −30 dB re the whole response)
 *    the responses are gated to the direct sound (`gateMs`, default 2.5 ms
 *    after the earliest arrival, before the first floor reflection of a
 *    typical room), so the design inverts the device and the head, not the
 *    room.
 * 2. Left/right: `designCrosstalkCanceller` — regularized CTC (2 drivers) or
 *    minimum-effort null-steering (more drivers) to the target separation
 *    curve, times the virtualizer (Kirkeby et al. 1998/1999; Brown & Duda
 *    1998), optionally over several measured head positions.
 * 3. Center: `designBeamformer` on the arc (the minimax design of the spec:
 *    main lobe ±45° within ±2.5 dB, nulls at ±90° 21 dB deep, hard
 *    white-noise-gain limit; Lebret & Boyd 1997, Van Veen & Buckley 1988),
 *    matrix mixing outside the controlled band; or matrix mixing only; or
 *    none (the center is played as a phantom center through the left/right
 *    filters).
 * 4. Delay alignment: the faster of the left/right and center paths at the
 *    design position is padded to the slower (`alignPaths`).
 * 5. FIR realization: `taps` samples with modelling delay `latencySamples`
 *    (default taps/2), half-Hann end fades; the truncation error is
 *    reported (`taps: "auto"` picks the shortest length keeping it below
 *    −30 dB).
 * 6. Predicted metrics: the realized FIRs evaluated on the design plants
 *    (`evaluate.ts`).
 *
 * @module
 */
import { join } from "node:path";
import type { MeasurementSet } from "../io/manifest.ts";
import { sha256Hex } from "../io/atomic.ts";
import {
  type ComplexMatrixStack,
  createComplexMatrixStack,
  expandRows,
  selectColumns as selectMatrixColumns,
} from "../dsp/complex_linalg.ts";
import { type BeamformerOptions, designBeamformer, matrixMixing } from "../design/beamformer.ts";
import {
  type CrosstalkCancellerDesign,
  designCrosstalkCanceller,
  type RegularizationSpec,
  type TargetBreakpoints,
  type TargetSeparationSpec,
} from "../design/crosstalk_canceller.ts";
import { alignPaths, delayWeights, pathResponse } from "../design/alignment.ts";
import { type FirRealization, realizeFir } from "../design/fir.ts";
import { type UpmixOptions, upmixParameters } from "../design/upmix.ts";
import type { VirtualizerOptions } from "../design/virtualizer.ts";
import type { ArcTransferMatrix, TransferMatrix } from "../design/transfer_matrix.ts";
import {
  FILTER_BUNDLE_FORMAT,
  FILTER_BUNDLE_VERSION,
  type FilterBundleDraft,
  STEREO_INPUTS,
  UPMIX_INPUTS,
} from "./bundle.ts";
import {
  type ArcData,
  arcPlant,
  earPlant,
  type EarPosition,
  gateResponses,
  lateEnergyDb,
  readSetPlants,
} from "./_bundle_plants.ts";
import { evaluatePlants, type Evaluation } from "./evaluate.ts";
import { MAX_JSON_BYTES, readRegularFile } from "../io/read_file.ts";
import { flooredPowerToDb } from "../dsp/db.ts";
import { isPowerOfTwo } from "../dsp/fft.ts";

/** Options of {@linkcode fitBundle}. Every default is stored in the bundle's `design`. */
export interface FitOptions {
  /**
   * FIR length in samples, a power of two 64..65536 (default 2048), or "auto": the shortest power
   * of two whose truncation of the {@linkcode AUTO_TAPS_REFERENCE}-tap design removes less than
   * {@linkcode AUTO_TAPS_TRUNCATION_DB} of every input's filter energy (each length tried is
   * recorded in `design.tapsChoice`).
   */
  readonly taps?: number | "auto";
  /** Design grid FFT size, a power of two >= taps (default 2·taps). */
  readonly fftSize?: number;
  /** Modelling delay of every filter in samples, 0..taps-1 (default taps/2). */
  readonly latencySamples?: number;
  /** Virtual speaker pair, or "none" for pure CTC (default `{ angleDeg: 30 }`). */
  readonly virtualizer?: VirtualizerOptions | "none";
  /** "lrc" (default): stereo → left, right, center; "none": a two-input bundle. */
  readonly upmix?: "lrc" | "none";
  /** Upmix parameters (default `upmixParameters()`). */
  readonly upmixOptions?: Omit<UpmixOptions, "sampleRate">;
  /** Center path: "on" (beamformer, default), "matrix" (matrix mixing), "none" (phantom center). */
  readonly beamformer?: "on" | "matrix" | "none";
  /** Beamformer parameters. */
  readonly beamformerOptions?: BeamformerOptions;
  /**
   * Drivers the beamformer may use; the others stay silent in the center path. Default: every
   * driver whose kind is not "woofer" (a down-firing woofer driven differentially radiates
   * toward floor and ceiling, which a horizontal arc cannot see: in the simulated living room
   * it lowered the center's direct-to-reverberant ratio).
   */
  readonly beamDrivers?: readonly string[];
  /** Target separation: the default curve's parameters (0 dB ≤ 200 Hz rising to 20 dB at
   * 4 kHz), or breakpoints (`fit --ctc-target`). */
  readonly targetSeparation?: Partial<TargetSeparationSpec> | TargetBreakpoints;
  /** CTC regularization (`fit --regularization`: in-band and out-of-band β). */
  readonly regularization?: Partial<RegularizationSpec>;
  /** Design over the first complete binaural position (default) or all of them. */
  readonly headPositions?: "first" | "all";
  /** With headPositions "all": the weight of each binaural position (in the set's order) in the
   * left/right fit, e.g. a Gaussian prior on where the head will be (default all equal). */
  readonly headPositionWeights?: readonly number[];
  /** Gate of the responses in ms after the earliest arrival: "auto" (default), "none" or a number > 0. */
  readonly gateMs?: number | "auto" | "none";
}

/** `bundle.json` `design` as `fitBundle` writes it: every parameter the fit used. */
export type FitDesign = {
  readonly taps: number;
  /** Present with `taps: "auto"`: each length tried and its worst truncation, dB. */
  readonly tapsChoice?: {
    readonly option: "auto";
    readonly limitDb: number;
    /** The length of the fit the shorter windows were cut from. */
    readonly referenceTaps: number;
    readonly tried: readonly { readonly taps: number; readonly truncationErrorDb: number | null }[];
  };
  readonly fftSize: number;
  readonly latencySamples: number;
  readonly headPositions: "first" | "all";
  readonly designPositions: readonly { readonly label: string; readonly position: unknown }[];
  readonly gate: {
    readonly option: number | "auto" | "none";
    readonly gateMs: number | "none";
    readonly fadeSamples: number;
    readonly lateEnergyDb: number | null;
    readonly reverberant: boolean;
  };
  /** The CTC / null-steering design's parameters (`designCrosstalkCanceller`). */
  readonly leftRight: Readonly<Record<string, unknown>>;
  /** The center path: `{ beamformer, ...method parameters }`, or "none" without upmix. */
  readonly center: Readonly<Record<string, unknown>> | "none";
  readonly alignment: Readonly<Record<string, unknown>>;
  readonly fir: {
    readonly shiftSamples: number;
    readonly fadeSamples: number;
    readonly truncationErrorDb: Readonly<Record<string, number | null>>;
    readonly truncationErrorPerDriverDb: Readonly<Record<string, readonly (number | null)[]>>;
  };
};

/** Result of {@linkcode fitBundle}. */
export interface FitResult {
  /** The bundle to write (`writeBundle` adds `files`). */
  readonly bundle: FilterBundleDraft;
  /** `filters[input][driver]`, `taps` samples each, values already rounded to float32. */
  readonly filters: Record<string, Float64Array[]>;
  /** The predicted evaluation (also summarized in `bundle.predicted`). */
  readonly evaluation: Evaluation;
  /** Conditions that may make the bundle unreliable. */
  readonly warnings: string[];
}

/** Late energy above this (dB re total, after 20 ms) marks a set as reverberant. */
export const REVERBERANT_LATE_ENERGY_DB: number = -30;
/**
 * Default main-lobe tolerance (±dB over ±45°) a bin must meet to count as
 * controlled: 2.5 dB, half a dB inside the ±3 dB listening-window spec, so
 * the 1/3-octave averages of the realized FIRs stay within ±3 dB.
 */
export const DEFAULT_MAIN_LOBE_TOLERANCE_DB = 2.5;
/**
 * Default null depth (dB below on-axis at ±90°) a bin must reach to count as controlled: 21 dB,
 * 1 dB beyond the 20 dB spec, so the realized FIRs' third-octave nulls stay ≥ 20 dB (measured on
 * studio5 with a 10° arc: designed at exactly 20 dB the realized band minimum was 19.6 dB).
 */
export const DEFAULT_NULL_DEPTH_DB = 21;
/** Default direct-sound gate in ms after the earliest arrival (reverberant sets). */
export const DEFAULT_GATE_MS = 2.5;
/** Largest truncation (dB of an input's filter energy) `taps: "auto"` accepts, and above which
 * the fit warns. */
export const AUTO_TAPS_TRUNCATION_DB: number = -30;
/** The filter length `taps: "auto"` measures every shorter length against. */
export const AUTO_TAPS_REFERENCE: number = 8192;

/**
 * Fit a filter bundle to one unit's measurement set: the stages of the
 * module documentation, each a function below —
 * `fitSpec` → `designPlants` → `designLeftRight` → `designCenter` →
 * `alignCenter` → `realizeFilters` → `bundleDraft` → `predict`.
 *
 * @param set A measurement set with ear-left/ear-right captures of every driver at one position
 *   (or more), and, for the beamformer, a reference-mic arc with 0° and ±90°.
 * @param options Stage switches and parameters.
 * @returns The bundle draft, its filters (float32 values), the predicted evaluation and warnings.
 * @throws {InputError} naming missing captures; {@linkcode RangeError} for bad options.
 *
 * @example
 * ```ts ignore
 * import { readMeasurementSet } from "../io/manifest.ts";
 * import { fitBundle } from "./fit.ts";
 * import { writeBundle } from "./bundle.ts";
 * const set = await readMeasurementSet("runs/u1");
 * const { bundle, filters, warnings } = await fitBundle(set, { taps: 2048 });
 * await writeBundle("bundles/u1", bundle, filters);
 * ```
 */
export async function fitBundle(set: MeasurementSet, options: FitOptions = {}): Promise<FitResult> {
  if (options.taps === "auto") return await fitWithAutoTaps(set, options);
  const spec = fitSpec(options);
  const plants = await designPlants(set, spec);
  const ctc = designLeftRight(plants, spec);
  const center = designCenter(set, plants, ctc, spec);
  const aligned = alignCenter(plants, ctc, center, spec);
  const realized = realizeFilters(aligned, plants.drivers.length, spec);
  const draft = bundleDraft(set, plants, ctc, center, aligned, realized, spec);
  return predict(draft, realized, plants, ctc, [
    ...ctc.warnings,
    ...center.warnings,
    ...aligned.warnings,
    ...realized.warnings,
  ]);
}

/**
 * `taps: "auto"`: fit once at {@linkcode AUTO_TAPS_REFERENCE} taps, then pick the shortest power
 * of two L ≥ 64 whose window of L samples around the modelling delay keeps all but less than
 * {@linkcode AUTO_TAPS_TRUNCATION_DB} of every input's filter energy (energy-weighted over its
 * drivers), and fit at L. (Judging each length by its own fit would not do: a short design on its
 * own coarse grid is short by construction — at 128 taps it fits its own window but no longer
 * separates the ears.)
 */
async function fitWithAutoTaps(set: MeasurementSet, options: FitOptions): Promise<FitResult> {
  const reference = await fitBundle(set, { ...options, taps: AUTO_TAPS_REFERENCE });
  const center = options.latencySamples ?? AUTO_TAPS_REFERENCE / 2; // the reference's latency
  const tried: { taps: number; truncationErrorDb: number | null }[] = [];
  let chosen = AUTO_TAPS_REFERENCE;
  for (let taps = 64; taps <= AUTO_TAPS_REFERENCE; taps *= 2) {
    // The window a taps-long fit keeps: its latency (taps/2 by default) before the centre.
    const latency = options.latencySamples !== undefined
      ? Math.min(options.latencySamples, taps - 1)
      : taps / 2;
    const start = center - latency, end = start + taps;
    let worst = -Infinity;
    for (const fs of Object.values(reference.filters)) {
      let kept = 0, total = 0;
      for (const h of fs) {
        for (let k = 0; k < h.length; k++) {
          const e = (h[k] as number) ** 2;
          total += e;
          if (k >= start && k < end) kept += e;
        }
      }
      worst = Math.max(
        worst,
        10 * Math.log10(Math.max(total - kept, 1e-300) / Math.max(total, 1e-300)),
      );
    }
    tried.push({ taps, truncationErrorDb: round1(worst) });
    if (worst < AUTO_TAPS_TRUNCATION_DB) {
      chosen = taps;
      break;
    }
  }
  const fit = chosen === AUTO_TAPS_REFERENCE
    ? reference
    : await fitBundle(set, { ...options, taps: chosen });
  const tapsChoice = {
    option: "auto" as const,
    limitDb: AUTO_TAPS_TRUNCATION_DB,
    referenceTaps: AUTO_TAPS_REFERENCE,
    tried,
  };
  return { ...fit, bundle: { ...fit.bundle, design: { ...fit.bundle.design, tapsChoice } } };
}

/** Validated options with their defaults (the numbers every stage reads). */
interface FitSpec {
  readonly taps: number;
  readonly fftSize: number;
  readonly latency: number;
  readonly upmix: "lrc" | "none";
  readonly beamformer: "on" | "matrix" | "none";
  readonly headPositions: "first" | "all";
  readonly gateOption: number | "auto" | "none";
  readonly options: FitOptions;
}

const ACTION = "fit bundle";

/** Stage 0: check the options and fill in the defaults. */
function fitSpec(options: FitOptions): FitSpec {
  const taps = options.taps ?? 2048;
  if (typeof taps !== "number" || !isPowerOfTwo(taps) || taps < 64 || taps > 65536) {
    throw new RangeError(
      `Cannot ${ACTION} as taps must be a power of two within 64..65536: current value is ${
        JSON.stringify(taps)
      }`,
    );
  }
  const fftSize = options.fftSize ?? 2 * taps;
  if (!isPowerOfTwo(fftSize) || fftSize < taps) {
    throw new RangeError(
      `Cannot ${ACTION} as fftSize must be a power of two >= taps (${taps}): current value is ${fftSize}`,
    );
  }
  const latency = options.latencySamples ?? taps / 2;
  if (!Number.isInteger(latency) || latency < 0 || latency >= taps) {
    throw new RangeError(
      `Cannot ${ACTION} as latencySamples must be an integer within 0..taps-1 (${
        taps - 1
      }): current value is ${latency}`,
    );
  }
  const choice = <T extends string>(name: string, value: T, allowed: readonly T[]): T => {
    if (!allowed.includes(value)) {
      throw new RangeError(
        `Cannot ${ACTION} as ${name} must be ${
          allowed.map((a) => `"${a}"`).join(" or ").replace(/ or (?=.* or )/g, ", ")
        }: current value is ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const upmix = choice("upmix", options.upmix ?? "lrc", ["lrc", "none"] as const);
  const beamformer = choice(
    "beamformer",
    options.beamformer ?? "on",
    [
      "on",
      "matrix",
      "none",
    ] as const,
  );
  const headPositions = choice(
    "headPositions",
    options.headPositions ?? "first",
    [
      "first",
      "all",
    ] as const,
  );
  const gateOption = options.gateMs ?? "auto";
  if (
    gateOption !== "auto" && gateOption !== "none" &&
    !(typeof gateOption === "number" && gateOption > 0 && Number.isFinite(gateOption))
  ) {
    throw new RangeError(
      `Cannot ${ACTION} as gateMs must be "auto", "none" or a number of ms > 0: current value is ${
        JSON.stringify(gateOption)
      }`,
    );
  }
  return { taps, fftSize, latency, upmix, beamformer, headPositions, gateOption, options };
}

/** The design plants of one set: ear and arc transfer matrices on the design grid. */
interface DesignPlants {
  readonly sampleRate: number;
  readonly drivers: readonly string[];
  readonly sha256: string;
  readonly positions: readonly EarPosition[];
  readonly earPlants: readonly TransferMatrix[];
  readonly arc: ArcTransferMatrix | undefined;
  readonly arcData: ArcData | undefined;
  readonly gate: FitDesign["gate"];
}

/** Stage 1: read the set's IRs, gate them to the direct sound in a reverberant set, transform. */
async function designPlants(set: MeasurementSet, spec: FitSpec): Promise<DesignPlants> {
  const { fftSize, gateOption } = spec;
  const needArc = spec.upmix === "lrc" && spec.beamformer === "on";
  const manifestBytes = await readRegularFile(join(set.folder, "manifest.json"), {
    what: "manifest",
    maxBytes: MAX_JSON_BYTES,
  });
  const sha256 = await sha256Hex(manifestBytes);
  const plants = await readSetPlants(set, {
    ears: true,
    arc: needArc,
    earPositions: spec.headPositions === "all" ? Infinity : 1, // read only the captures used
  });
  const { sampleRate, drivers } = plants;
  if (drivers.length < 2) {
    throw new RangeError(
      `Cannot ${ACTION} as the device needs at least 2 drivers for crosstalk cancellation: "${set.folder}" has ${drivers.length}`,
    );
  }
  const positions = spec.headPositions === "all" ? plants.ears : plants.ears.slice(0, 1);
  const late = Math.max(
    ...positions.map((p) => lateEnergyDb(p.irs, sampleRate)),
    ...(plants.arc ? [lateEnergyDb(plants.arc.irs, sampleRate)] : []),
  );
  const reverberant = late > REVERBERANT_LATE_ENERGY_DB;
  const gateMs = gateOption === "auto" ? (reverberant ? DEFAULT_GATE_MS : "none") : gateOption;
  const gateSamples = gateMs === "none" ? Infinity : Math.round((gateMs * sampleRate) / 1000);
  const fadeSamples = gateMs === "none"
    ? Math.floor(fftSize / 8)
    : Math.max(1, Math.round(gateSamples / 5));
  const gated = (irs: readonly (readonly Float64Array[])[]) =>
    gateResponses(irs, gateSamples, fadeSamples, fftSize);
  return {
    sampleRate,
    drivers,
    sha256,
    positions,
    earPlants: positions.map((p) => earPlant(gated(p.irs), sampleRate, fftSize)),
    arc: plants.arc
      ? arcPlant({ ...plants.arc, irs: gated(plants.arc.irs) }, sampleRate, fftSize)
      : undefined,
    arcData: plants.arc,
    gate: {
      option: gateOption,
      gateMs,
      fadeSamples,
      lateEnergyDb: Number.isFinite(late) ? Math.round(late * 10) / 10 : null,
      reverberant,
    },
  };
}

/** Stage 2: left/right — virtualizer + CTC / null-steering to the target separation. */
function designLeftRight(plants: DesignPlants, spec: FitSpec): CrosstalkCancellerDesign {
  const o = spec.options;
  return designCrosstalkCanceller([...plants.earPlants], {
    taps: spec.taps,
    modellingDelaySamples: spec.latency,
    virtualizer: o.virtualizer ?? {},
    ...(o.targetSeparation ? { targetSeparation: o.targetSeparation } : {}),
    ...(o.regularization ? { regularization: o.regularization } : {}),
    ...(o.headPositionWeights ? { positionWeights: o.headPositionWeights } : {}),
  });
}

/** The center path's weights (drivers × 1) and its record for `design.center`. */
interface CenterPath {
  readonly weights: ComplexMatrixStack | undefined;
  readonly design: Readonly<Record<string, unknown>> | "none";
  readonly warnings: readonly string[];
}

/**
 * Stage 3: the center — the beamformer on the arc (matrix mixing outside its band), matrix
 * mixing, or the phantom center (the mean of the left and right weights).
 */
function designCenter(
  set: MeasurementSet,
  plants: DesignPlants,
  ctc: CrosstalkCancellerDesign,
  spec: FitSpec,
): CenterPath {
  if (spec.upmix !== "lrc") return { weights: undefined, design: "none", warnings: [] };
  const { drivers } = plants, n = drivers.length, bins = spec.fftSize / 2 + 1;
  if (spec.beamformer === "matrix") {
    return {
      weights: matrixMixing(plants.earPlants[0]!),
      design: { beamformer: "matrix", method: "matrix-mixing", mixingDrivers: "all" },
      warnings: [],
    };
  }
  if (spec.beamformer === "none") {
    const weights = createComplexMatrixStack(n, 1, bins);
    for (let i = 0; i < weights.re.length; i++) {
      const l = i * 2; // (bin·n + driver)·2 columns
      weights.re[i] = 0.5 * ((ctc.weights.re[l] as number) + (ctc.weights.re[l + 1] as number));
      weights.im[i] = 0.5 * ((ctc.weights.im[l] as number) + (ctc.weights.im[l + 1] as number));
    }
    return {
      weights,
      design: {
        beamformer: "none",
        method: "phantom-center",
        note: "center = (left + right)/2 filters",
      },
      warnings: [],
    };
  }
  const use = beamDriverIndices(set, drivers, spec.options.beamDrivers);
  const bf = designBeamformer(selectColumns(plants.arc!, use), {
    mainLobeToleranceDb: DEFAULT_MAIN_LOBE_TOLERANCE_DB,
    nullDepthDb: DEFAULT_NULL_DEPTH_DB,
    ...spec.options.beamformerOptions,
  });
  const arc = plants.arcData!;
  return {
    weights: expandRows(bf.weights, use, n),
    design: {
      beamformer: "on",
      ...bf.parameters,
      bands: bf.bands,
      beamDrivers: use.map((i) => drivers[i]),
      arc: {
        distanceMeters: arc.distanceMeters,
        azimuths: arc.azimuthsDeg.length,
        stepDeg: arcStep(arc.azimuthsDeg),
      },
    },
    warnings: bf.warnings,
  };
}

/** The beam's drivers: as named, or every non-woofer (all when fewer than 2 remain). */
function beamDriverIndices(
  set: MeasurementSet,
  drivers: readonly string[],
  named: readonly string[] | undefined,
): number[] {
  const kinds = new Map(set.manifest.device.drivers.map((d) => [d.id, d.kind]));
  const nonWoofers = drivers.filter((d) => kinds.get(d) !== "woofer");
  return (named ?? (nonWoofers.length >= 2 ? nonWoofers : drivers)).map((id) => {
    const i = drivers.indexOf(id);
    if (i < 0) {
      throw new RangeError(
        `Cannot ${ACTION} as beamDrivers must name drivers of the set (${
          drivers.join(", ")
        }): current value is ${JSON.stringify(id)}`,
      );
    }
    return i;
  });
}

/** Left/right and center weights after the delay alignment. */
interface AlignedPaths {
  readonly leftRight: ComplexMatrixStack;
  readonly center: ComplexMatrixStack | undefined;
  readonly alignment: Readonly<Record<string, unknown>>;
  readonly warnings: readonly string[];
}

/** Stage 4: pad the faster of the left/right and center paths at the design position. */
function alignCenter(
  plants: DesignPlants,
  ctc: CrosstalkCancellerDesign,
  center: CenterPath,
  spec: FitSpec,
): AlignedPaths {
  if (!center.weights || spec.beamformer === "none") {
    return {
      leftRight: ctc.weights,
      center: center.weights,
      alignment: { method: "none (no center path)" },
      warnings: [],
    };
  }
  const ear = plants.earPlants[0]!.matrix;
  const a = alignPaths([
    pathResponse(ear, ctc.weights, 0, 0),
    pathResponse(ear, center.weights, 0, 0),
  ], { sampleRate: plants.sampleRate, fftSize: spec.fftSize });
  const [padLr, padC] = a.padSamples as [number, number];
  const warnings: string[] = [];
  if (Math.max(padLr, padC) > spec.taps / 8) {
    warnings.push(
      `the left/right and center paths differ by ${
        Math.max(padLr, padC)
      } samples at the listener; the alignment pad uses a large part of the ${spec.taps}-tap filters`,
    );
  }
  return {
    leftRight: padLr > 0 ? delayWeights(ctc.weights, padLr) : ctc.weights,
    center: padC > 0 ? delayWeights(center.weights, padC) : center.weights,
    alignment: {
      method: "group-delay at ear-left, 200-4000 Hz",
      groupDelaySamples: a.groupDelaySamples.map((x) => Math.round(x * 100) / 100),
      padSamples: { leftRight: padLr, center: padC },
    },
    warnings,
  };
}

/** The FIRs of every input and how much of each input's energy truncation removed. */
interface RealizedFilters {
  readonly inputs: readonly string[];
  readonly filters: Record<string, Float64Array[]>;
  readonly fir: FirRealization;
  /** Per input, energy-weighted over its drivers, dB. */
  readonly truncationDb: Record<string, number>;
  readonly worstTruncationDb: number;
  readonly warnings: readonly string[];
}

/** Stage 5: FIR realization of every input (taps, modelling delay, half-Hann fades). */
function realizeFilters(paths: AlignedPaths, n: number, spec: FitSpec): RealizedFilters {
  const inputs: readonly string[] = paths.center ? UPMIX_INPUTS : STEREO_INPUTS;
  const W = stackColumns([paths.leftRight, ...(paths.center ? [paths.center] : [])], n);
  const fir = realizeFir(W, { taps: spec.taps, shiftSamples: spec.latency });
  const filters: Record<string, Float64Array[]> = {};
  const truncationDb: Record<string, number> = {};
  inputs.forEach((input, i) => {
    filters[input] = fir.filters[i]!.map((h) => h.map(Math.fround));
    // Energy-weighted over the drivers: removed_d = kept_d·r/(1 − r), r = 10^(e_d/10).
    let kept = 0, removed = 0;
    fir.filters[i]!.forEach((h, d) => {
      let e = 0;
      for (let k = 0; k < h.length; k++) e += (h[k] as number) ** 2;
      const r = Math.min(0.999999, Math.pow(10, (fir.truncationErrorDb[i]![d] as number) / 10));
      kept += e;
      removed += (e * r) / (1 - r);
    });
    truncationDb[input] = 10 *
      Math.log10(Math.max(removed, 1e-300) / Math.max(kept + removed, 1e-300));
  });
  const worst = Math.max(...Object.values(truncationDb));
  const warnings: string[] = [];
  if (worst > AUTO_TAPS_TRUNCATION_DB) {
    warnings.push(
      `FIR truncation removes ${
        worst.toFixed(1)
      } dB of an input's filter energy (more than ${AUTO_TAPS_TRUNCATION_DB} dB): raise taps (--taps auto picks the shortest that keeps it below) or regularization`,
    );
  }
  return { inputs, filters, fir, truncationDb, worstTruncationDb: worst, warnings };
}

/** drivers × Σcols weights from the column blocks (each drivers × c) side by side. */
function stackColumns(blocks: readonly ComplexMatrixStack[], n: number): ComplexMatrixStack {
  const cols = blocks.reduce((c, b) => c + b.cols, 0), bins = blocks[0]!.bins;
  const W = createComplexMatrixStack(n, cols, bins);
  for (let b = 0; b < bins; b++) {
    for (let d = 0; d < n; d++) {
      let c0 = 0;
      for (const src of blocks) {
        for (let c = 0; c < src.cols; c++) {
          const from = (b * n + d) * src.cols + c, to = (b * n + d) * cols + c0 + c;
          W.re[to] = src.re[from] as number;
          W.im[to] = src.im[from] as number;
        }
        c0 += src.cols;
      }
    }
  }
  return W;
}

/** Stage 6: the bundle (DESIGN.md "Filter bundle") with every parameter in `design`. */
function bundleDraft(
  set: MeasurementSet,
  plants: DesignPlants,
  ctc: CrosstalkCancellerDesign,
  center: CenterPath,
  aligned: AlignedPaths,
  realized: RealizedFilters,
  spec: FitSpec,
): FilterBundleDraft {
  const { inputs, fir } = realized;
  const upmixParams = spec.upmix === "lrc"
    ? upmixParameters(spec.options.upmixOptions ?? {})
    : undefined;
  const design: FitDesign = {
    taps: spec.taps,
    fftSize: spec.fftSize,
    latencySamples: spec.latency,
    headPositions: spec.headPositions,
    designPositions: plants.positions.map((p) => ({ label: p.label, position: p.position })),
    gate: plants.gate,
    leftRight: ctc.parameters,
    center: center.design,
    alignment: aligned.alignment,
    fir: {
      shiftSamples: fir.shiftSamples,
      fadeSamples: fir.fadeSamples,
      truncationErrorDb: Object.fromEntries(
        inputs.map((input) => [input, round1(realized.truncationDb[input]!)]),
      ),
      truncationErrorPerDriverDb: Object.fromEntries(
        inputs.map((input, i) => [input, fir.truncationErrorDb[i]!.map((e) => round1(e))]),
      ),
    },
  };
  return {
    format: FILTER_BUNDLE_FORMAT,
    version: FILTER_BUNDLE_VERSION,
    sampleRate: plants.sampleRate,
    taps: spec.taps,
    latencySamples: spec.latency,
    device: {
      model: set.manifest.device.model,
      serial: set.manifest.device.serial,
      drivers: plants.drivers,
    },
    source: { measurementSet: set.folder, sha256: plants.sha256 },
    inputs,
    ...(upmixParams ? { upmix: { ...upmixParams } } : {}),
    filters: Object.fromEntries(inputs.map((i) => [i, `filters/${i}.wav`])),
    design,
    predicted: {},
  };
}

/** Stage 7: predicted metrics — the realized filters on the design plants. */
function predict(
  draft: FilterBundleDraft,
  realized: RealizedFilters,
  plants: DesignPlants,
  ctc: CrosstalkCancellerDesign,
  warnings: string[],
): FitResult {
  const evaluation = evaluatePlants(draft, realized.filters, {
    sampleRate: plants.sampleRate,
    ears: plants.positions.map((p, i) => ({ label: p.label, plant: plants.earPlants[i]! })),
    arc: plants.arc,
  });
  const gateMs = plants.gate.gateMs;
  const predicted = {
    note: "realized FIRs applied to the design plants" +
      (gateMs === "none" ? "" : ` (gated ${gateMs} ms after arrival)`),
    ...evaluation.summary,
    truncationErrorDb: round1(realized.worstTruncationDb),
    conditionNumberMax300To6kHz: round1(
      maxInBand(ctc.predicted.conditionNumber, ctc.frequenciesHz),
    ),
    // The largest filter gain |W| of the left/right design over 300 Hz–6 kHz, dB: what the
    // target separation costs in headroom.
    maxFilterGainDb: round1(maxGainInBandDb(ctc.weights, ctc.frequenciesHz)),
  };
  return { bundle: { ...draft, predicted }, filters: realized.filters, evaluation, warnings };
}

function maxGainInBandDb(W: ComplexMatrixStack, f: Float64Array): number {
  const per = W.rows * W.cols;
  let m = 0;
  for (let b = 0; b < W.bins; b++) {
    const hz = f[b] as number;
    if (hz < 300 || hz > 6000) continue;
    for (let i = b * per; i < (b + 1) * per; i++) {
      m = Math.max(m, (W.re[i] as number) ** 2 + (W.im[i] as number) ** 2);
    }
  }
  return flooredPowerToDb(m);
}

/**
 * Parse target separation breakpoints: `Hz:dB` pairs separated by commas, whitespace or new lines
 * (`#` starts a comment), e.g. `"500:0, 1000:25, 6000:25, 8000:0"` or a file with one `Hz dB`
 * or `Hz:dB` pair per line.
 *
 * @param text The breakpoints.
 * @param source Where they came from, for error messages (`--ctc-target`, a file name).
 * @returns The breakpoints, checked (ascending Hz > 0, dB ≥ 0, at least one).
 * @throws {RangeError} naming the source and the offending entry.
 */
export function parseSeparationBreakpoints(text: string, source: string): TargetBreakpoints {
  const body = text.split("\n").map((line) => line.replace(/#.*$/, "")).join("\n");
  // Pairs: "Hz:dB" tokens, or "Hz dB" on one line.
  const tokens = body.split(/[,\n]/).map((t) => t.trim()).filter((t) => t !== "");
  const breakpoints = tokens.map((t) => {
    const m = /^([^:\s]+)\s*[:\s]\s*([^:\s]+)$/.exec(t);
    const hz = m ? Number(m[1]) : NaN, db = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(hz) || !Number.isFinite(db)) {
      throw new RangeError(
        `Cannot read target separation as ${source} must hold Hz:dB pairs: current value is "${t}"`,
      );
    }
    return { hz, db };
  });
  const bad = breakpoints.findIndex((p, i) =>
    !(p.hz > 0) || !(p.db >= 0) || (i > 0 && !(p.hz > breakpoints[i - 1]!.hz))
  );
  if (breakpoints.length === 0 || bad >= 0) {
    throw new RangeError(
      `Cannot read target separation as ${source} must list ascending Hz > 0 with dB >= 0: current value is ${
        breakpoints.length === 0 ? "(none)" : `${breakpoints[bad]!.hz}:${breakpoints[bad]!.db}`
      }`,
    );
  }
  return { breakpoints };
}

function round1(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
}

function maxInBand(values: Float64Array, f: Float64Array): number {
  let m = 0;
  for (let b = 0; b < values.length; b++) {
    const hz = f[b] as number;
    if (hz >= 300 && hz <= 6000) m = Math.max(m, values[b] as number);
  }
  return m;
}

function arcStep(az: readonly number[]): number {
  let step = Infinity;
  for (let i = 1; i < az.length; i++) {
    step = Math.min(step, (az[i] as number) - (az[i - 1] as number));
  }
  return step;
}

/** The arc with only the driver columns `cols` (a design on a subset of drivers). */
function selectColumns(arc: ArcTransferMatrix, cols: readonly number[]): ArcTransferMatrix {
  const matrix = selectMatrixColumns(arc.matrix, cols);
  return matrix === arc.matrix ? arc : { ...arc, matrix };
}
