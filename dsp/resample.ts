/**
 * Sample-rate conversion by band-limited interpolation: a Kaiser-windowed
 * sinc low-pass applied in polyphase form for rational ratios (44.1 ↔ 48 ↔
 * 96 kHz), and the same kernel, tabulated, for arbitrary ratios (clock-drift
 * correction, ratios like 1 + 20e-6).
 *
 * The kernel, in units of the lower of the two rates' sample period `T`:
 *
 * ```text
 * h(t) = c·sinc(c·t)·w(t / H),   |t| <= H,   sinc(x) = sin(πx)/(πx)
 * w(u) = I0(β·√(1 − u²)) / I0(β)                      (Kaiser window [2])
 * ```
 *
 * `c` is the cut-off as a fraction of the lower Nyquist frequency, `H` the
 * half length in low-rate samples. Rational conversion by `up/down` (reduced)
 * evaluates it at the upsampled grid, `h0[j] = h((j − half)/max(up, down))`,
 * `half = H·max(up, down)`, normalized so that every polyphase branch sums to
 * about 1 (the taps sum to `up`), and computes [1, ch. 4]
 *
 * ```text
 * y[m] = Σ_n x[n]·h0[half + m·down − n·up]
 * ```
 *
 * i.e. output sample m sits exactly at input time `m·down/up`: the
 * zero-phase kernel's group delay is compensated, so an onset at input
 * sample n0 appears at output time `n0·up/down`. This is
 * `scipy.signal.resample_poly`'s convention (it uses `c = 1`, `H = 10`,
 * `β = 5`; pass those to reproduce it). The output has
 * `ceil(length·up/down)` samples.
 *
 * Defaults (`c = 0.95`, `H = 80`, `β = 12`): Kaiser's design formulas [2]
 * give a transition band from 0.90 to 1.00 of the lower Nyquist frequency
 * and ≈ −120 dB stop band (pass-band ripple ≈ 1e-6 dB): everything above the
 * lower Nyquist frequency is rejected, so nothing aliases; content up to 0.9
 * of it (19.8 kHz for 44.1 kHz) passes unchanged.
 *
 * References:
 * 1. R. E. Crochiere, L. R. Rabiner, "Multirate Digital Signal Processing",
 *    Prentice-Hall, 1983.
 * 2. J. F. Kaiser, R. W. Schafer, "On the use of the I0-sinh window for
 *    spectrum analysis", IEEE Trans. ASSP 28(1), 1980; and J. F. Kaiser,
 *    "Nonrecursive digital filter design using the I0-sinh window function",
 *    Proc. IEEE ISCAS 1974.
 * 3. J. O. Smith, "Digital Audio Resampling Home Page",
 *    https://ccrma.stanford.edu/~jos/resample/ (bandlimited interpolation
 *    with a tabulated kernel and linear interpolation between table entries).
 *
 * @module
 */
import type { Signal } from "./signal.ts";
import { findNonFinite } from "./signal.ts";
import { besselI0 } from "./windows.ts";

/** Design of the interpolation kernel (see the module documentation). */
export interface ResampleOptions {
  /** Cut-off `c` as a fraction of the lower Nyquist frequency, in (0, 1]. Default 0.95. */
  readonly cutoff?: number;
  /** Half length `H` of the kernel in low-rate samples, an integer 1..1000. Default 80. */
  readonly halfLength?: number;
  /** Kaiser window shape β >= 0. Default 12 (≈ −120 dB stop band). */
  readonly beta?: number;
}

/** The defaults of {@linkcode ResampleOptions}. */
export const RESAMPLE_DEFAULTS: Required<ResampleOptions> = {
  cutoff: 0.95,
  halfLength: 80,
  beta: 12,
};

/** A reduced rational ratio `up/down`. */
export interface RationalRatio {
  /** Upsampling factor, a positive integer. */
  readonly up: number;
  /** Downsampling factor, a positive integer. */
  readonly down: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The reduced ratio `up/down = toRate/fromRate` of two integer sample rates.
 *
 * @example
 * ```ts
 * import { rationalRatio } from "./resample.ts";
 * rationalRatio(44100, 48000); // { up: 160, down: 147 }
 * ```
 */
export function rationalRatio(fromRate: number, toRate: number): RationalRatio {
  for (const [name, rate] of [["fromRate", fromRate], ["toRate", toRate]] as const) {
    if (!Number.isInteger(rate) || rate <= 0) {
      throw new RangeError(
        `Cannot resample as ${name} must be a positive integer number of Hz: current value is ${rate}`,
      );
    }
  }
  const g = gcd(fromRate, toRate);
  return { up: toRate / g, down: fromRate / g };
}

function checkOptions(options: ResampleOptions): Required<ResampleOptions> {
  const o = { ...RESAMPLE_DEFAULTS, ...options };
  if (!(o.cutoff > 0 && o.cutoff <= 1)) {
    throw new RangeError(
      `Cannot resample as cutoff must be in (0, 1] (a fraction of the lower Nyquist frequency): current value is ${o.cutoff}`,
    );
  }
  if (!Number.isInteger(o.halfLength) || o.halfLength < 1 || o.halfLength > 1000) {
    throw new RangeError(
      `Cannot resample as halfLength must be an integer number of low-rate samples 1..1000: current value is ${o.halfLength}`,
    );
  }
  if (!(o.beta >= 0 && Number.isFinite(o.beta))) {
    throw new RangeError(
      `Cannot resample as beta must be a finite number >= 0: current value is ${o.beta}`,
    );
  }
  return o;
}

/** The kernel h(t) of the module documentation, t in low-rate samples (not normalized). */
function kernelAt(t: number, o: Required<ResampleOptions>, i0Beta: number): number {
  const u = t / o.halfLength;
  if (u <= -1 || u >= 1) return 0;
  const x = o.cutoff * t;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  return o.cutoff * sinc * besselI0(o.beta * Math.sqrt(1 - u * u)) / i0Beta;
}

/**
 * The polyphase prototype filter `h0` for `up/down`: `2·half + 1` taps,
 * `half = halfLength·max(up, down)`, summing to `up`.
 *
 * @param ratio The reduced ratio.
 * @param options Kernel design.
 * @returns The taps and `half`.
 */
export function resampleFilter(
  ratio: RationalRatio,
  options: ResampleOptions = {},
): { taps: Float64Array; half: number } {
  const o = checkOptions(options);
  const max = Math.max(ratio.up, ratio.down);
  const half = o.halfLength * max;
  const taps = new Float64Array(2 * half + 1);
  const i0Beta = besselI0(o.beta);
  let sum = 0;
  for (let j = 0; j <= 2 * half; j++) {
    // The endpoints |u| = 1 carry w = 1/I0(β) (scipy's symmetric Kaiser window includes them).
    const t = (j - half) / max;
    const u = (j - half) / half;
    const x = o.cutoff * t;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    taps[j] = sinc * besselI0(o.beta * Math.sqrt(Math.max(0, 1 - u * u))) / i0Beta;
    sum += taps[j]!;
  }
  for (let j = 0; j < taps.length; j++) taps[j] = (taps[j]! * ratio.up) / sum;
  return { taps, half };
}

/**
 * Polyphase kernel: `y[m] = Σ_n x[n]·taps[half + m·down − n·up]` for
 * `m = 0 .. ceil(x.length·up/down) − 1` (no checks; see {@linkcode resample}).
 */
export function resamplePolyphase(
  x: ArrayLike<number>,
  ratio: RationalRatio,
  filter: { readonly taps: Float64Array; readonly half: number },
): Float64Array {
  const { up, down } = ratio;
  const { taps, half } = filter;
  // Polyphase branches stored contiguously: branch p holds taps p, p + up, p + 2·up, … (the
  // strided reads of the prototype filter were 3× slower).
  const branches: Float64Array[] = [];
  for (let p = 0; p < up; p++) {
    const branch = new Float64Array(Math.ceil((taps.length - p) / up));
    for (let j = 0; j < branch.length; j++) branch[j] = taps[p + j * up]!;
    branches.push(branch);
  }
  const n = x.length;
  const out = new Float64Array(Math.ceil((n * up) / down));
  for (let m = 0; m < out.length; m++) {
    const centre = m * down; // output m at input time centre/up
    // taps index k = half + centre − i·up must lie in [0, 2·half].
    const first = Math.max(0, Math.ceil((centre - half) / up));
    const last = Math.min(n - 1, Math.floor((centre + half) / up));
    const k = half + centre - first * up;
    const branch = branches[k % up]!;
    let j = Math.floor(k / up);
    let acc = 0;
    for (let i = first; i <= last; i++, j--) acc += x[i]! * branch[j]!;
    out[m] = acc;
  }
  return out;
}

/**
 * Resample a signal to another integer sample rate by a rational ratio
 * (see the module documentation for the method and the defaults).
 *
 * Sample 0 stays at time 0: an onset at input sample `n0` lands at output
 * time `n0·toRate/fromRate` (no group delay). The output has
 * `ceil(length·up/down)` samples. A signal already at `sampleRate` is
 * returned as a copy.
 *
 * @param signal Input signal (integer `sampleRate`, finite samples).
 * @param sampleRate Target sample rate in Hz, a positive integer.
 * @param options Kernel design ({@linkcode ResampleOptions}).
 * @returns The resampled signal.
 * @throws {RangeError} for non-integer rates, non-finite samples, a ratio whose
 *   prototype filter would exceed 2^25 taps, or bad options.
 *
 * @example
 * ```ts
 * import { resample } from "./resample.ts";
 * const x = new Float64Array(441).map((_, n) => Math.sin(2 * Math.PI * 1000 * n / 44100));
 * const y = resample({ sampleRate: 44100, channels: [x] }, 48000);
 * console.log(y.channels[0]!.length); // 480
 * ```
 */
export function resample(
  signal: Signal,
  sampleRate: number,
  options: ResampleOptions = {},
): Signal {
  const ratio = rationalRatio(signal.sampleRate, sampleRate);
  const o = checkOptions(options);
  signal.channels.forEach((channel, c) => {
    const bad = findNonFinite(channel);
    if (bad >= 0) {
      throw new RangeError(
        `Cannot resample as samples must be finite: channel ${c} sample ${bad} is ${channel[bad]}`,
      );
    }
  });
  if (ratio.up === 1 && ratio.down === 1) {
    return { sampleRate, channels: signal.channels.map((c) => c.slice()) };
  }
  const taps = 2 * o.halfLength * Math.max(ratio.up, ratio.down) + 1;
  if (taps > 2 ** 25) {
    throw new RangeError(
      `Cannot resample ${signal.sampleRate} Hz to ${sampleRate} Hz as the ratio ${ratio.up}/${ratio.down} needs a ${taps}-tap prototype filter (at most 2^25): use resampleByRatio for such ratios`,
    );
  }
  const filter = resampleFilter(ratio, o);
  return { sampleRate, channels: signal.channels.map((c) => resamplePolyphase(c, ratio, filter)) };
}

/**
 * Resample an impulse response so that it keeps its frequency response:
 * {@linkcode resample} scaled by `fromRate/toRate`. (Resampling keeps a
 * signal's amplitude; a filter's taps must also shrink with the sample
 * spacing, since `H(f) = Σ_n h[n]·e^(−j2πfn/fs)` sums `toRate/fromRate`
 * times as many of them.) Delay and phase are kept as in `resample`.
 *
 * @param ir The impulse response(s) at their sample rate.
 * @param sampleRate Target sample rate in Hz.
 * @param options Kernel design.
 * @returns The impulse response(s) at `sampleRate`.
 * @throws {RangeError} as {@linkcode resample}.
 *
 * @example
 * ```ts
 * import { resampleImpulseResponse } from "./resample.ts";
 * const h = new Float64Array(441);
 * h[0] = 1; // a unit impulse: gain 1 at every frequency
 * const g = resampleImpulseResponse({ sampleRate: 44100, channels: [h] }, 48000);
 * // Σ g ≈ 1 (DC gain kept), where resample() would give Σ ≈ 48000/44100
 * ```
 */
export function resampleImpulseResponse(
  ir: Signal,
  sampleRate: number,
  options: ResampleOptions = {},
): Signal {
  const out = resample(ir, sampleRate, options);
  const scale = ir.sampleRate / sampleRate;
  if (scale === 1) return out;
  return { sampleRate, channels: out.channels.map((c) => c.map((v) => v * scale)) };
}

/** Table entries per low-rate sample of the arbitrary-ratio kernel (linear interpolation between). */
const TABLE_STEPS = 4096;

/** Where {@linkcode resampleAt} reads the input: `y[m] = x(start + m·step)`. */
export interface ResampleGrid {
  /** Input time of output sample 0, in input samples (any real number: before 0 reads zeros). */
  readonly start: number;
  /** Input samples per output sample (`1/ratio`), in [1e-3, 1e3]. */
  readonly step: number;
  /** Number of output samples, an integer >= 0. */
  readonly length: number;
}

/**
 * The polyphase table of the tabulated kernel scaled by `ρ`: row q (q = 0..TABLE_STEPS)
 * holds `ρ·h(ρ·(q/TABLE_STEPS + J − j))` for taps j = 0..2J, J = ceil(H/ρ), i.e. the weights of
 * input samples `i0 − J + j` for an output at input time `i0 + q/TABLE_STEPS`. Rows are
 * contiguous, so an output sample is two dot products (rows q and q + 1) blended linearly —
 * the same linear interpolation in the same 4096-step table as the kernel lookup per tap.
 */
interface PhaseTable {
  readonly key: string;
  readonly rows: Float64Array;
  readonly width: number;
  readonly reach: number;
}

/** The kernel on a fine grid of TABLE_STEPS per low-rate sample, for the last design used. */
let fineCache: { key: string; fine: Float64Array } | undefined;
/** The last few phase tables (a drift correction and its inverse use two ρ). */
const phaseTables: PhaseTable[] = [];
const PHASE_TABLES_KEPT = 4;

function phaseTable(o: Required<ResampleOptions>, rho: number): PhaseTable {
  const design = `${o.cutoff}/${o.halfLength}/${o.beta}`;
  const key = `${design}/${rho}`;
  const hit = phaseTables.findIndex((t) => t.key === key);
  if (hit >= 0) return phaseTables[hit]!;
  const size = o.halfLength * TABLE_STEPS;
  if (fineCache?.key !== design) {
    const i0Beta = besselI0(o.beta);
    const fine = new Float64Array(size + 2);
    for (let i = 0; i <= size; i++) fine[i] = kernelAt(i / TABLE_STEPS, o, i0Beta);
    fineCache = { key: design, fine };
  }
  const fine = fineCache.fine;
  const lookup = (t: number): number => {
    const p = Math.abs(t) * rho * TABLE_STEPS;
    const k = Math.floor(p);
    if (k >= size) return 0;
    const f = p - k;
    return fine[k]! + f * (fine[k + 1]! - fine[k]!);
  };
  const reach = Math.ceil(o.halfLength / rho);
  const width = 2 * reach + 1;
  const rows = new Float64Array((TABLE_STEPS + 1) * width);
  for (let q = 0; q <= TABLE_STEPS; q++) {
    const frac = q / TABLE_STEPS;
    for (let j = 0; j < width; j++) rows[q * width + j] = rho * lookup(frac + reach - j);
  }
  const table = { key, rows, width, reach };
  phaseTables.unshift(table);
  if (phaseTables.length > PHASE_TABLES_KEPT) phaseTables.pop();
  return table;
}

/**
 * Band-limited interpolation of `x` on an arbitrary uniform grid:
 * `y[m] = ρ·Σ_n x[n]·h(ρ·(t_m − n))`, `t_m = start + m·step`, `ρ = min(1, 1/step)`, with the
 * kernel of {@linkcode resample} (defaults: flat to 0.9 of the lower Nyquist frequency,
 * ≈ −120 dB stop band). Samples outside `x` count as zeros, so `start` may be negative (a
 * signal delayed by `−start` samples) or fractional (a sub-sample delay). This is what a clock
 * drift correction needs (`step = 1/ratio`, `start` = where the stimulus begins in the
 * recording) and what a simulated device clock does to the played signal.
 *
 * The kernel is tabulated once per design and `ρ` in polyphase form (4097 rows of contiguous
 * taps; the last four kept), so each output sample is two dot products of `2J + 1`
 * taps, `J = ceil(H/ρ)`: measured in `tests/bench/resample_bench.ts`.
 *
 * @param x Input samples (finite).
 * @param grid Where to read ({@linkcode ResampleGrid}).
 * @param options Kernel design ({@linkcode ResampleOptions}).
 * @returns `grid.length` samples.
 * @throws {RangeError} for a bad grid, non-finite samples or bad options.
 *
 * @example
 * ```ts
 * import { resampleAt } from "./resample.ts";
 * const x = new Float64Array(48000).map((_, n) => Math.sin(n / 10));
 * // x delayed by 100.25 samples, on a clock 50 ppm slower:
 * const y = resampleAt(x, { start: -100.25, step: 1 + 50e-6, length: 48000 });
 * ```
 */
export function resampleAt(
  x: ArrayLike<number>,
  grid: ResampleGrid,
  options: ResampleOptions = {},
): Float64Array {
  const { start, step, length } = grid;
  if (!(Number.isFinite(step) && step >= 1e-3 && step <= 1e3)) {
    throw new RangeError(
      `Cannot resample as step must be in [0.001, 1000] input samples per output sample: current value is ${step}`,
    );
  }
  if (!Number.isFinite(start)) {
    throw new RangeError(`Cannot resample as start must be finite: current value is ${start}`);
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(
      `Cannot resample as length must be an integer >= 0: current value is ${length}`,
    );
  }
  const o = checkOptions(options);
  const bad = findNonFinite(x);
  if (bad >= 0) {
    throw new RangeError(`Cannot resample as samples must be finite: sample ${bad} is ${x[bad]}`);
  }
  const rho = Math.min(1, 1 / step);
  const { rows, width, reach } = phaseTable(o, rho);
  const n = x.length;
  const out = new Float64Array(length);
  for (let m = 0; m < length; m++) {
    const t = start + m * step;
    const i0 = Math.floor(t);
    const p = (t - i0) * TABLE_STEPS;
    const q = Math.min(TABLE_STEPS - 1, Math.floor(p));
    const a = p - q;
    const first = i0 - reach; // input sample of tap 0
    const jFrom = Math.max(0, -first);
    const jTo = Math.min(width - 1, n - 1 - first);
    if (jTo < jFrom) continue;
    const r0 = q * width, r1 = r0 + width;
    let acc0 = 0, acc1 = 0;
    for (let j = jFrom, i = first + jFrom; j <= jTo; j++, i++) {
      const v = x[i]!;
      acc0 += v * rows[r0 + j]!;
      acc1 += v * rows[r1 + j]!;
    }
    out[m] = acc0 + a * (acc1 - acc0);
  }
  return out;
}

/**
 * Resample by an arbitrary ratio `outputRate/inputRate` (for example
 * `1 + 20e-6` to correct a clock drift of 20 ppm) with the same kernel as
 * {@linkcode resample}, tabulated at 4096 points per low-rate sample and
 * linearly interpolated [3] (interpolation error ≈ 3e-8 per tap), in the
 * polyphase form of {@linkcode resampleAt}.
 *
 * Output sample m is the band-limited input at input time `m/ratio`:
 * `y[m] = ρ·Σ_n x[n]·h(ρ·(m/ratio − n))`, `ρ = min(1, ratio)`. The output
 * has `ceil(length·ratio)` samples; sample 0 stays at time 0.
 *
 * @param x Input samples (finite).
 * @param ratio Output rate / input rate, in [1e-3, 1e3].
 * @param options Kernel design ({@linkcode ResampleOptions}).
 * @returns The resampled samples.
 * @throws {RangeError} for a ratio out of range, non-finite samples or bad options.
 *
 * @example
 * ```ts
 * import { resampleByRatio } from "./resample.ts";
 * const x = new Float64Array(48000).map((_, n) => Math.sin(n / 10));
 * const y = resampleByRatio(x, 1 + 20e-6); // 48001 samples: one more per 50000
 * ```
 */
export function resampleByRatio(
  x: ArrayLike<number>,
  ratio: number,
  options: ResampleOptions = {},
): Float64Array {
  if (!(Number.isFinite(ratio) && ratio >= 1e-3 && ratio <= 1e3)) {
    throw new RangeError(
      `Cannot resample as ratio must be in [0.001, 1000]: current value is ${ratio}`,
    );
  }
  return resampleAt(x, { start: 0, step: 1 / ratio, length: Math.ceil(x.length * ratio) }, options);
}
