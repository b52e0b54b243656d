/**
 * Golden reference and line limits from known-good units.
 *
 * For each driver and each check the golden units give a mean μ and a sample
 * standard deviation σ (n − 1). Limits are `μ ± (k·σ + guard)` for two-sided
 * checks (band levels, sensitivity) and `μ + k·σ + guard` for ceilings (THD,
 * rub & buzz, air leak), with σ floored at `minSigmaDb` so that a very
 * repeatable golden set does not give zero-width limits. The guard band (dB)
 * covers what the golden units cannot show: station-to-station and
 * day-to-day drift.
 *
 * Process capability of each check on the golden units (Montgomery 2012,
 * sec. 8.2): `Cpk = min(USL − μ, μ − LSL) / (3σ)`, or `(USL − μ)/(3σ)` for a
 * ceiling; for band checks the smallest over the driver's bands.
 *
 * References:
 * 1. D. C. Montgomery, "Introduction to Statistical Quality Control", 7th ed.,
 *    Wiley 2012, sec. 8.2.
 *
 * @module
 */
import {
  analysisBands,
  type AnalysisParameters,
  type BandLimit,
  type CeilingLimit,
  DEFAULT_ANALYSIS,
  type DriverFeatures,
  driverFeatures,
  type DriverLimits,
  FINE_BANDS_PER_OCTAVE,
  FINE_TREND_OCTAVES,
  fineBandCenters,
  fineFeatures,
  fineLevelsDb,
  type FineLimits,
  type LimitRules,
  type Limits,
  LIMITS_FORMAT,
  LIMITS_VERSION,
  limitsContentSha256,
  normalizedCorrelation,
  powerAverageDb,
  RUB_BUZZ_MIN_ORDER,
  setupDifference,
  type StationSetup,
  thdPercentToDb,
  type TwoSidedLimit,
  type UnitMeasurement,
} from "./limits.ts";

/** Default rules: see {@linkcode LimitRules} for their meaning. */
export const DEFAULT_RULES: LimitRules = {
  bandK: 5,
  bandGuardDb: 1.5,
  sensitivityK: 4,
  sensitivityGuardDb: 0.5,
  distortionK: 5,
  distortionGuardDb: 3,
  airLeakK: 5,
  airLeakGuardDb: 1,
  passbandDropDb: 20,
  deadDropDb: 20,
  noiseMarginDb: 10,
  swapMargin: 0.1,
  fineK: 5,
  fineGuardDb: 1,
  resonanceK: 5,
  resonanceGuardDb: 0.5,
};

/** Options of {@linkcode computeLimits}. */
export interface ComputeLimitsOptions {
  /** Band layout and FFT size. Default {@linkcode DEFAULT_ANALYSIS}. */
  readonly analysis?: Partial<AnalysisParameters>;
  /** k-factors and guard bands. Default {@linkcode DEFAULT_RULES}. */
  readonly rules?: Partial<LimitRules>;
  /** Smallest σ used, dB (0.01–3). Default 0.1. */
  readonly minSigmaDb?: number;
  /** Creation time (ISO 8601). Default now. */
  readonly createdAt?: string;
  /**
   * Fine limits (version 2): bands per octave (12 or 24, default 24) and the
   * running median's width in octaves (default 1); `false` writes version-1
   * limits without them.
   */
  readonly fine?: false | { readonly bandsPerOctave?: 12 | 24; readonly trendOctaves?: number };
}

/** The smallest number of golden units accepted. */
export const MIN_GOLDEN_UNITS = 3;

function meanSigma(values: readonly number[], minSigma: number): { mean: number; sigma: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / Math.max(1, n - 1);
  return { mean, sigma: Math.max(minSigma, Math.sqrt(variance)) };
}

function twoSided(
  values: readonly number[],
  k: number,
  guard: number,
  minSigma: number,
): TwoSidedLimit {
  const { mean, sigma } = meanSigma(values, minSigma);
  const half = k * sigma + guard;
  return { meanDb: mean, sigmaDb: sigma, lowerDb: mean - half, upperDb: mean + half };
}

function ceiling(
  values: readonly number[],
  k: number,
  guard: number,
  minSigma: number,
): CeilingLimit {
  const { mean, sigma } = meanSigma(values, minSigma);
  return { meanDb: mean, sigmaDb: sigma, ceilingDb: mean + k * sigma + guard };
}

function cpkTwoSided(l: TwoSidedLimit): number {
  return Math.min(l.upperDb - l.meanDb, l.meanDb - l.lowerDb) / (3 * l.sigmaDb); // [1]
}

function cpkCeiling(l: CeilingLimit): number {
  return (l.ceilingDb - l.meanDb) / (3 * l.sigmaDb); // [1]
}

/** Index range [first, last] of the bands within `dropDb` of the peak (first to last such band). */
export function passbandRange(meanLevels: ArrayLike<number>, dropDb: number): [number, number] {
  let peak = -Infinity;
  for (let i = 0; i < meanLevels.length; i++) peak = Math.max(peak, meanLevels[i] as number);
  let first = -1, last = -1;
  for (let i = 0; i < meanLevels.length; i++) {
    if ((meanLevels[i] as number) >= peak - dropDb) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return [first, last];
}

/**
 * The band index ranges a driver's checks use: passband, its lowest octave
 * (air leak) and the rest (sensitivity; the whole passband if under two octaves).
 */
export function driverBandRanges(
  passband: readonly [number, number],
  bandsPerOctave: number,
): { low: [number, number]; sensitivity: [number, number] } {
  const [first, last] = passband;
  if (last - first + 1 < 2 * bandsPerOctave) {
    return { low: [first, Math.min(last, first + bandsPerOctave - 1)], sensitivity: [first, last] };
  }
  return {
    low: [first, first + bandsPerOctave - 1],
    sensitivity: [first + bandsPerOctave, last],
  };
}

/**
 * The setup every golden unit shares. Units measured with different setups
 * cannot share limits, and a unit without its setup (mic position and sweep)
 * gives limits no line unit could be checked against (verify refuses them).
 */
function commonSetup(units: readonly UnitMeasurement[]): StationSetup {
  const lacking = units.find((u) => u.setup?.sweep === undefined);
  if (lacking !== undefined) {
    throw new RangeError(
      `Cannot compute limits as every golden unit must record its station setup (mic position and sweep): unit ${lacking.serial} has ${
        lacking.setup === undefined ? "none" : "no sweep"
      }`,
    );
  }
  const first = units[0]!.setup!;
  for (const u of units) {
    const difference = setupDifference(first, u.setup!);
    if (difference !== undefined) {
      throw new RangeError(
        `Cannot compute limits as every golden unit must be measured the same way: unit ${u.serial} differs from unit ${
          units[0]!.serial
        } (${
          difference.replace("the limits were made with", "the first has").replace(
            "but the unit was measured",
            "this one",
          )
        })`,
      );
    }
  }
  return first;
}

/** k-factors must be > 0, guards and margins >= 0 (a negative one turns a window inside out). */
function checkRules(rules: LimitRules): void {
  const positive = [
    "bandK",
    "sensitivityK",
    "distortionK",
    "airLeakK",
    "passbandDropDb",
    "deadDropDb",
    "fineK",
    "resonanceK",
  ];
  for (const [key, value] of Object.entries(rules)) {
    const ok = Number.isFinite(value) && (positive.includes(key) ? value > 0 : value >= 0);
    if (!ok) {
      throw new RangeError(
        `Cannot compute limits as rules.${key} must be a finite number ${
          positive.includes(key) ? "> 0" : ">= 0"
        }: current value is ${value}`,
      );
    }
  }
}

function checkUnits(units: readonly UnitMeasurement[]): void {
  if (units.length < MIN_GOLDEN_UNITS) {
    throw new RangeError(
      `Cannot compute limits as at least ${MIN_GOLDEN_UNITS} golden units are needed: current value is ${units.length}`,
    );
  }
  const first = units[0]!;
  const seen = new Map<string, number>();
  units.forEach((u, i) => {
    const j = seen.get(u.serial);
    if (j !== undefined) {
      throw new RangeError(
        `Cannot compute limits as every golden unit must be a different unit: units ${j + 1} and ${
          i + 1
        } are both serial ${u.serial}`,
      );
    }
    seen.set(u.serial, i);
  });
  for (const u of units) {
    if (u.model !== first.model) {
      throw new RangeError(
        `Cannot compute limits as every golden unit must be the same model: unit ${first.serial} is "${first.model}", unit ${u.serial} is "${u.model}"`,
      );
    }
    if (u.sampleRate !== first.sampleRate) {
      throw new RangeError(
        `Cannot compute limits as every golden unit must have the same sample rate: unit ${first.serial} has ${first.sampleRate} Hz, unit ${u.serial} has ${u.sampleRate} Hz`,
      );
    }
    for (const d of first.drivers) {
      const capture = u.captures.find((c) => c.driver === d);
      if (!capture) {
        throw new RangeError(
          `Cannot compute limits as golden unit ${u.serial} has no capture of driver "${d}": captures are ${
            u.captures.map((c) => c.driver).join(", ")
          }`,
        );
      }
      const orders = capture.harmonics.length;
      if (orders < RUB_BUZZ_MIN_ORDER - 1) {
        throw new RangeError(
          `Cannot compute limits as golden unit ${u.serial}${
            u.source ? ` (${u.source.path})` : ""
          } has ${
            orders === 0 ? "no harmonic IRs" : `harmonic IRs of orders 2..${orders + 1} only`
          } for driver "${d}": THD and rub & buzz limits need orders 2..${RUB_BUZZ_MIN_ORDER} at least; measure golden units on the line station (multiple sweeps keep orders up to 30), e.g. deno task golden --device sim:MODEL --serial S …`,
        );
      }
    }
  }
}

/**
 * Derive per-driver limits from known-good units (see the module documentation).
 *
 * @param units Golden units (>= 3, same model and sample rate, every driver captured).
 * @param options Band layout, rules, σ floor and creation time.
 * @returns The limits, with their SHA-256 and the Cpk of each check.
 * @throws {RangeError} for too few units, mixed models or sample rates, a missing driver, a bad option.
 *
 * @example
 * ```ts ignore
 * import { computeLimits } from "./golden.ts";
 * const limits = await computeLimits(goldenUnits);
 * console.log(limits.cpk["woofer.sensitivity"]);
 * ```
 */
export async function computeLimits(
  units: readonly UnitMeasurement[],
  options: ComputeLimitsOptions = {},
): Promise<Limits> {
  checkUnits(units);
  const setup = commonSetup(units);
  const analysis: AnalysisParameters = { ...DEFAULT_ANALYSIS, ...options.analysis };
  const rules: LimitRules = options.fine === false
    ? withoutFineRules({ ...DEFAULT_RULES, ...options.rules })
    : { ...DEFAULT_RULES, ...options.rules };
  checkRules(rules);
  const minSigma = options.minSigmaDb ?? 0.1;
  if (!(minSigma >= 0.01 && minSigma <= 3)) {
    throw new RangeError(
      `Cannot compute limits as minSigmaDb must be between 0.01 and 3 dB: current value is ${minSigma}`,
    );
  }
  const first = units[0]!;
  const fs = first.sampleRate;
  const bands = analysisBands(analysis);
  const fineSpec = options.fine === false ? undefined : {
    bandsPerOctave: options.fine?.bandsPerOctave ?? FINE_BANDS_PER_OCTAVE,
    trendOctaves: options.fine?.trendOctaves ?? FINE_TREND_OCTAVES,
  };
  if (fineSpec !== undefined) {
    if (fineSpec.bandsPerOctave !== 12 && fineSpec.bandsPerOctave !== 24) {
      throw new RangeError(
        `Cannot compute limits as fine.bandsPerOctave must be 12 or 24: current value is ${fineSpec.bandsPerOctave}`,
      );
    }
    if (!(fineSpec.trendOctaves > 0 && fineSpec.trendOctaves <= 4)) {
      throw new RangeError(
        `Cannot compute limits as fine.trendOctaves must be in (0, 4]: current value is ${fineSpec.trendOctaves}`,
      );
    }
  }
  const driverLimits: Record<string, DriverLimits> = {};
  const cpk: Record<string, number> = {};
  for (const id of first.drivers) {
    const captures = units.map((u) => u.captures.find((c) => c.driver === id)!);
    const features: DriverFeatures[] = captures.map((c) => driverFeatures(c, fs, analysis));
    const nBands = bands.centerHz.length;
    const meanLevels = new Float64Array(nBands);
    for (const f of features) {
      for (let b = 0; b < nBands; b++) meanLevels[b]! += f.bandLevelsDb[b]! / features.length;
    }
    const passband = passbandRange(meanLevels, rules.passbandDropDb);
    const ranges = driverBandRanges(passband, analysis.bandsPerOctave);
    const bandLimits: BandLimit[] = [];
    let frCpk = Infinity;
    for (let b = passband[0]; b <= passband[1]; b++) {
      const l = twoSided(
        features.map((f) => f.bandLevelsDb[b]!),
        rules.bandK,
        rules.bandGuardDb,
        minSigma,
      );
      bandLimits.push({ centerHz: bands.centerHz[b]!, ...l });
      frCpk = Math.min(frCpk, cpkTwoSided(l));
    }
    const sens = features.map((f) =>
      powerAverageDb(f.bandLevelsDb, ranges.sensitivity[0], ranges.sensitivity[1])
    );
    const low = features.map((f) => powerAverageDb(f.bandLevelsDb, ranges.low[0], ranges.low[1]));
    const sensitivity = twoSided(sens, rules.sensitivityK, rules.sensitivityGuardDb, minSigma);
    const meanLow = low.reduce((s, v) => s + v, 0) / low.length;
    const leak = low.map((l, i) => (meanLow - l) - (sensitivity.meanDb - sens[i]!));
    const airLeak = ceiling(leak, rules.airLeakK, rules.airLeakGuardDb, minSigma);
    const thd = ceiling(
      features.map((f) => thdPercentToDb(f.thdPercent)),
      rules.distortionK,
      rules.distortionGuardDb,
      minSigma,
    );
    const rubBuzz = ceiling(
      features.map((f) => f.rubBuzzDb),
      rules.distortionK,
      rules.distortionGuardDb,
      minSigma,
    );
    const n = analysis.referenceIrSamples;
    const ref = new Float64Array(n);
    for (const c of captures) {
      for (let i = 0; i < n && i < c.ir.length; i++) ref[i]! += c.ir[i]! / captures.length;
    }
    let peak = 0;
    for (let i = 0; i < n; i++) if (Math.abs(ref[i]!) > Math.abs(peak)) peak = ref[i]!;
    const noise = features.map((f) => f.noiseFloorDb);
    const fine = fineSpec === undefined ? undefined : fineLimits(
      captures.map((c) => c.ir),
      sens,
      fs,
      analysis,
      [bands.lowerHz[passband[0]]!, bands.upperHz[passband[1]]!],
      fineSpec,
      rules,
      minSigma,
    );
    driverLimits[id] = {
      passbandHz: [bands.lowerHz[passband[0]]!, bands.upperHz[passband[1]]!],
      bands: bandLimits,
      sensitivity,
      lowOctaveHz: [bands.lowerHz[ranges.low[0]]!, bands.upperHz[ranges.low[1]]!],
      lowOctaveMeanDb: meanLow,
      airLeak,
      thd,
      rubBuzz,
      polarity: peak < 0 ? -1 : 1,
      referenceIr: Array.from(ref, (v) => Number(v.toPrecision(7))),
      noiseFloor: {
        meanDb: noise.reduce((s, v) => s + v, 0) / noise.length,
        maxDb: Math.max(...noise),
      },
      deadBelowDb: sensitivity.meanDb - rules.deadDropDb,
      ...(fine === undefined ? {} : { fine }),
    };
    if (fine !== undefined) {
      cpk[`${id}.fine-response`] = cpkArrays(fine.shape);
      cpk[`${id}.narrow-resonance`] = cpkArrays(fine.residual);
    }
    cpk[`${id}.frequency-response`] = frCpk;
    cpk[`${id}.sensitivity`] = cpkTwoSided(sensitivity);
    cpk[`${id}.air-leak`] = cpkCeiling(airLeak);
    cpk[`${id}.thd`] = cpkCeiling(thd);
    cpk[`${id}.rub-buzz`] = cpkCeiling(rubBuzz);
  }
  // Polarity and swap margins on the golden units, in correlation units:
  // polarity needs corr(own) > 0, the swap check |corr(own)| >= best other + margin.
  for (const id of first.drivers) {
    const own = limitsRefs(driverLimits, id);
    const selfs: number[] = [];
    const margins: number[] = [];
    for (const u of units) {
      const ir = u.captures.find((c) => c.driver === id)!.ir;
      const self = normalizedCorrelation(ir, own, analysis.referenceIrSamples);
      let other = 0;
      for (const e of first.drivers) {
        if (e === id) continue;
        other = Math.max(
          other,
          Math.abs(
            normalizedCorrelation(ir, limitsRefs(driverLimits, e), analysis.referenceIrSamples),
          ),
        );
      }
      selfs.push(self);
      margins.push(Math.abs(self) - other - rules.swapMargin);
    }
    const p = meanSigma(selfs, 0.005);
    const m = meanSigma(margins, 0.005);
    cpk[`${id}.polarity`] = p.mean / (3 * p.sigma); // [1], lower limit 0
    cpk[`${id}.swapped-drivers`] = m.mean / (3 * m.sigma); // [1], lower limit 0
  }
  const content: Omit<Limits, "sha256"> = {
    format: LIMITS_FORMAT,
    version: fineSpec === undefined ? 1 : LIMITS_VERSION,
    createdAt: options.createdAt ?? new Date().toISOString(),
    model: first.model,
    sampleRate: fs,
    drivers: [...first.drivers],
    analysis,
    rules,
    golden: {
      unitCount: units.length,
      serials: units.map((u) => u.serial),
      sets: units.flatMap((
        u,
      ) => (u.source ? [{ path: u.source.path, sha256: u.source.sha256 }] : [])),
    },
    driverLimits,
    ...(setup === undefined ? {} : { setup }),
    cpk,
  };
  // Round-trip through JSON so the hash is of exactly what a reader will see.
  const normalized = JSON.parse(JSON.stringify(content)) as Omit<Limits, "sha256">;
  return { ...normalized, sha256: await limitsContentSha256(normalized) };
}

function limitsRefs(driverLimits: Record<string, DriverLimits>, id: string): readonly number[] {
  return driverLimits[id]!.referenceIr;
}

function withoutFineRules(rules: LimitRules): LimitRules {
  const { fineK: _a, fineGuardDb: _b, resonanceK: _c, resonanceGuardDb: _d, ...rest } = rules;
  return rest;
}

function cpkArrays(l: FineLimits["shape"]): number {
  let worst = Infinity;
  for (let i = 0; i < l.meanDb.length; i++) {
    worst = Math.min(
      worst,
      Math.min(l.upperDb[i]! - l.meanDb[i]!, l.meanDb[i]! - l.lowerDb[i]!) / (3 * l.sigmaDb[i]!),
    );
  }
  return worst;
}

/** A driver's fine limits from its golden captures (see `limits.ts`, "Finer screening"). */
function fineLimits(
  irs: readonly Float64Array[],
  sensitivities: readonly number[],
  sampleRate: number,
  analysis: AnalysisParameters,
  passbandHz: readonly [number, number],
  spec: { bandsPerOctave: 12 | 24; trendOctaves: number },
  rules: LimitRules,
  minSigma: number,
): FineLimits {
  const all = fineBandCenters(analysis, spec.bandsPerOctave);
  const centerHz = Array.from(all).filter((hz) => hz >= passbandHz[0] && hz <= passbandHz[1]);
  const per = irs.map((ir, u) =>
    fineFeatures(
      fineLevelsDb(ir, sampleRate, analysis, spec.bandsPerOctave),
      all,
      centerHz,
      spec.bandsPerOctave,
      spec.trendOctaves,
      sensitivities[u]!,
    )
  );
  const arrays = (
    pick: (f: { shape: Float64Array; residual: Float64Array }) => Float64Array,
    k: number,
    guard: number,
  ) => {
    const out = {
      meanDb: [] as number[],
      sigmaDb: [] as number[],
      lowerDb: [] as number[],
      upperDb: [] as number[],
    };
    for (let b = 0; b < centerHz.length; b++) {
      const l = twoSided(per.map((f) => pick(f)[b]!), k, guard, minSigma);
      out.meanDb.push(round4(l.meanDb));
      out.sigmaDb.push(round4(l.sigmaDb));
      out.lowerDb.push(round4(l.lowerDb));
      out.upperDb.push(round4(l.upperDb));
    }
    return out;
  };
  return {
    bandsPerOctave: spec.bandsPerOctave,
    trendOctaves: spec.trendOctaves,
    centerHz: centerHz.map((hz) => Number(hz.toPrecision(7))),
    shape: arrays(
      (f) => f.shape,
      rules.fineK ?? DEFAULT_RULES.fineK!,
      rules.fineGuardDb ?? DEFAULT_RULES.fineGuardDb!,
    ),
    residual: arrays(
      (f) => f.residual,
      rules.resonanceK ?? DEFAULT_RULES.resonanceK!,
      rules.resonanceGuardDb ?? DEFAULT_RULES.resonanceGuardDb!,
    ),
  };
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
