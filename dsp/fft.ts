/**
 * Real FFT plans for any 2·3·5-smooth size, in float64: a mixed-radix
 * (radix 4, 2, 3, 5) Stockham FFT written for this project (`fft_kernel.ts`).
 *
 * Complex spectra are stored everywhere in this project as a
 * {@linkcode Spectrum}: two separate `Float64Array`s `re` and `im`. A real
 * transform of size N keeps bins 0..⌊N/2⌋ (⌊N/2⌋ + 1 bins); bin k is at
 * `k·sampleRate/N` Hz. The forward transform is unscaled,
 * `X[k] = Σ x[n]·e^{-j2πkn/N}`, the inverse divides by N, as in numpy.
 *
 * An even size N runs as one complex FFT of N/2 points on the interleaved
 * even/odd samples, split into the real spectrum by one pass (and merged
 * back for the inverse); an odd size runs a complex FFT of N points.
 * Plans are cached per size: creating a plan computes its twiddle tables once
 * (`Math.cos`/`Math.sin` of each angle, stored in `Float64Array`s) and
 * allocates its two work buffers, which every call reuses. The cache is a
 * pure memo (a plan holds no caller-visible state between calls).
 *
 * Accuracy: forward error below −300 dB re the spectrum's peak against numpy
 * at 2^16…2^21, 480000 and 559872 points (`tests/dsp/fft_test.ts`). The
 * tests also check it against `npm:fft.js` (`fft_reference.ts`), an
 * independent implementation.
 *
 * @module
 */
import { type ComplexFftKernel, complexFftKernel, isFiveSmooth } from "./fft_kernel.ts";

export { isFiveSmooth } from "./fft_kernel.ts";

/** A complex spectrum: separate real and imaginary parts of equal length. */
export interface Spectrum {
  /** Real parts, one per frequency bin. */
  readonly re: Float64Array;
  /** Imaginary parts, same length and bin order as `re`. */
  readonly im: Float64Array;
}

/** A real FFT of one size. */
export interface RealFftPlan {
  /** Transform size N. */
  readonly size: number;
  /** Number of bins ⌊N/2⌋ + 1. */
  readonly binCount: number;
  /**
   * Forward transform of `x`, zero-padded (or truncated) to N samples.
   * @returns ⌊N/2⌋ + 1 bins, in new arrays.
   */
  forward(x: ArrayLike<number>): Spectrum;
  /**
   * Forward transform of `x` (zero-padded or truncated to N samples) into
   * `out.re` / `out.im` (each at least `binCount` long): nothing is allocated.
   */
  forwardInto(x: ArrayLike<number>, out: Spectrum): void;
  /**
   * Inverse transform of a Hermitian spectrum given by its ⌊N/2⌋ + 1 bins.
   * The imaginary parts of bin 0 (and of bin N/2 for even N) are ignored.
   * @returns N real samples, in a new array.
   */
  inverse(spectrum: Spectrum): Float64Array;
  /**
   * {@linkcode RealFftPlan.inverse} into `out` (at least N long): nothing is
   * allocated. `spectrum` is not modified.
   */
  inverseInto(spectrum: Spectrum, out: Float64Array): void;
}

/**
 * Is `n` a positive integer power of two (1, 2, 4, …)? Meant for sizes up to
 * 2^31 (the check uses 32-bit `&`).
 */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** Smallest power of two >= n (and >= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Smallest even 2·3·5-smooth size >= max(n, 4) that is a multiple of
 * `multipleOf` (a power of two, default 2): the fastest grid that holds n
 * samples (numpy/scipy call it `next_fast_len`; PFFFT's real transform needs
 * `multipleOf` 32).
 *
 * @example
 * ```ts
 * import { nextFastSize } from "./fft.ts";
 * nextFastSize(540001); // 559872 = 2^8·3^7
 * ```
 */
export function nextFastSize(n: number, multipleOf = 2): number {
  let best = Infinity;
  const target = Math.max(4, Math.ceil(n), multipleOf);
  // Every candidate is multipleOf·2^a·3^b·5^c; walk the 3^b·5^c and take the smallest 2^a above.
  for (let p5 = multipleOf; p5 < best; p5 *= 5) {
    for (let p35 = p5; p35 < best; p35 *= 3) {
      let c = p35;
      while (c < target) c *= 2;
      if (c < best) best = c;
    }
  }
  return best;
}

/** The smallest FFT size this module accepts. */
export const MIN_FFT_SIZE = 4;

const planCache = new Map<number, RealFftPlan>();
const PLAN_CACHE_LIMIT = 32;

/**
 * Get the (cached) real FFT plan for size `size`.
 *
 * @param size Transform size, a 2·3·5-smooth integer >= 4 (even sizes are
 *   about twice as fast as odd ones; see {@linkcode nextFastSize}).
 * @returns The plan.
 * @throws {RangeError} when `size` is not a 2·3·5-smooth integer >= 4.
 *
 * @example
 * ```ts
 * import { realFftPlan } from "./fft.ts";
 * const plan = realFftPlan(8);
 * const X = plan.forward([1, 0, 0, 0, 0, 0, 0, 0]);
 * console.log(X.re); // all ones: the spectrum of a unit impulse
 * ```
 */
export function realFftPlan(size: number): RealFftPlan {
  const cached = planCache.get(size);
  if (cached) return cached;
  if (!Number.isInteger(size) || size < MIN_FFT_SIZE || !isFiveSmooth(size)) {
    throw new RangeError(
      `Cannot create FFT plan as size must be a 2·3·5-smooth integer >= ${MIN_FFT_SIZE}: current value is ${size}`,
    );
  }
  const plan = size % 2 === 0 ? evenPlan(size) : oddPlan(size);
  if (planCache.size >= PLAN_CACHE_LIMIT) {
    const oldest = planCache.keys().next().value;
    if (oldest !== undefined) planCache.delete(oldest);
  }
  planCache.set(size, plan);
  return plan;
}

function checkBins(spectrum: Spectrum, binCount: number): void {
  const { re, im } = spectrum;
  if (re.length !== binCount || im.length !== binCount) {
    throw new RangeError(
      `Cannot run inverse FFT as the spectrum must have size/2 + 1 = ${binCount} bins: re has ${re.length}, im has ${im.length}`,
    );
  }
}

function checkOut(out: Spectrum, binCount: number): void {
  if (out.re.length < binCount || out.im.length < binCount) {
    throw new RangeError(
      `Cannot run forward FFT as the output must hold size/2 + 1 = ${binCount} bins: re has ${out.re.length}, im has ${out.im.length}`,
    );
  }
}

/** Copy `x` (zero-padded or truncated) into the first `n` values of `dst`. */
function loadReal(x: ArrayLike<number>, dst: Float64Array, n: number): void {
  const count = Math.min(n, x.length);
  if (x instanceof Float64Array || x instanceof Float32Array) {
    dst.set(count === x.length ? x : x.subarray(0, count));
  } else {
    for (let i = 0; i < count; i++) dst[i] = x[i] as number;
  }
  dst.fill(0, count, n);
}

function evenPlan(size: number): RealFftPlan {
  const half = size / 2;
  const binCount = half + 1;
  const kernel: ComplexFftKernel = complexFftKernel(half);
  // Split twiddles e^{-j2πk/N}, k = 0..N/4: bins k and N/2 - k are split together.
  const quarter = Math.floor(half / 2) + 1;
  const wRe = new Float64Array(quarter);
  const wIm = new Float64Array(quarter);
  for (let k = 0; k < quarter; k++) {
    const angle = (-2 * Math.PI * k) / size;
    wRe[k] = Math.cos(angle);
    wIm[k] = Math.sin(angle);
  }
  // The two Stockham buffers, reused by every call (JavaScript runs one call at a time).
  const a = new Float64Array(size);
  const b = new Float64Array(size);

  function forwardInto(x: ArrayLike<number>, out: Spectrum): void {
    checkOut(out, binCount);
    // Real samples x[2n], x[2n+1] are the interleaved complex z[n] = x[2n] + j·x[2n+1].
    loadReal(x, a, size);
    const z = kernel.run(a, b);
    const re = out.re, im = out.im;
    const z0r = z[0]!, z0i = z[1]!;
    re[0] = z0r + z0i;
    im[0] = 0;
    re[half] = z0r - z0i;
    im[half] = 0;
    // X[k] = E[k] + W^k·O[k], with E = (Z[k] + Z*[h-k])/2, O = -j(Z[k] - Z*[h-k])/2; bins k
    // and h-k share their two loads: X[h-k] uses Z[h-k] and Z*[k] with W^{h-k} = -conj(W^k).
    for (let k = 1, m = half - 1; k <= m; k++, m--) {
      const zr = z[2 * k]!, zi = z[2 * k + 1]!;
      const cr = z[2 * m]!, ci = z[2 * m + 1]!;
      const er = 0.5 * (zr + cr), ei = 0.5 * (zi - ci);
      const or = 0.5 * (zi + ci), oi = -0.5 * (zr - cr);
      const wr = wRe[k]!, wi = wIm[k]!;
      const tr = or * wr - oi * wi, ti = or * wi + oi * wr;
      re[k] = er + tr;
      im[k] = ei + ti;
      // X[h-k] = conj(E[k]) - conj(W^k·O[k])
      re[m] = er - tr;
      im[m] = ti - ei;
    }
  }

  function forward(x: ArrayLike<number>): Spectrum {
    const out = { re: new Float64Array(binCount), im: new Float64Array(binCount) };
    forwardInto(x, out);
    return out;
  }

  function inverseInto(spectrum: Spectrum, out: Float64Array): void {
    checkBins(spectrum, binCount);
    if (out.length < size) {
      throw new RangeError(
        `Cannot run inverse FFT as the output must hold ${size} samples: it has ${out.length}`,
      );
    }
    const { re, im } = spectrum;
    // z[k] = E[k] + j·O[k], E = (X[k] + X*[h-k])/2, O = (X[k] - X*[h-k])/2·e^{+j2πk/N};
    // stored conjugated, so the forward kernel computes the inverse: x = conj(FFT(conj z))/h.
    for (let k = 0, m = half; k <= m; k++, m--) {
      const ar = re[k]!, ai = k === 0 ? 0 : im[k]!;
      const br = re[m]!, bi = m === half ? 0 : im[m]!;
      // conj(X[m]) = (br, -bi)
      const er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
      const dr = 0.5 * (ar - br), di = 0.5 * (ai + bi);
      const c = wRe[k]!, s = -wIm[k]!; // e^{+j2πk/N}
      const or = dr * c - di * s, oi = dr * s + di * c;
      if (k < half) {
        a[2 * k] = er - oi;
        a[2 * k + 1] = -(ei + or);
      }
      if (m !== k && m < half) {
        // The same for bin m: E[m] = conj(E[k]); O[m] = -conj(D[k])·e^{+j2πm/N} = conj(O[k]).
        a[2 * m] = er + oi; // re(E[m] + jO[m]) = er - (-oi)
        a[2 * m + 1] = ei - or; // -(im(E[m]) + re(O[m])) = -(-ei + or)
      }
    }
    const z = kernel.run(a, b);
    const scale = 1 / half;
    for (let i = 0; i < size; i += 2) {
      out[i] = z[i]! * scale;
      out[i + 1] = -z[i + 1]! * scale;
    }
  }

  function inverse(spectrum: Spectrum): Float64Array {
    const out = new Float64Array(size);
    inverseInto(spectrum, out);
    return out;
  }

  return { size, binCount, forward, forwardInto, inverse, inverseInto };
}

function oddPlan(size: number): RealFftPlan {
  const binCount = (size - 1) / 2 + 1;
  const kernel = complexFftKernel(size);
  const a = new Float64Array(2 * size);
  const b = new Float64Array(2 * size);

  function forwardInto(x: ArrayLike<number>, out: Spectrum): void {
    checkOut(out, binCount);
    const n = Math.min(size, x.length);
    a.fill(0);
    for (let i = 0; i < n; i++) a[2 * i] = x[i] as number;
    const z = kernel.run(a, b);
    for (let k = 0; k < binCount; k++) {
      out.re[k] = z[2 * k]!;
      out.im[k] = z[2 * k + 1]!;
    }
  }

  function forward(x: ArrayLike<number>): Spectrum {
    const out = { re: new Float64Array(binCount), im: new Float64Array(binCount) };
    forwardInto(x, out);
    return out;
  }

  function inverseInto(spectrum: Spectrum, out: Float64Array): void {
    checkBins(spectrum, binCount);
    if (out.length < size) {
      throw new RangeError(
        `Cannot run inverse FFT as the output must hold ${size} samples: it has ${out.length}`,
      );
    }
    const { re, im } = spectrum;
    // Conjugated full Hermitian spectrum: conj(X[k]) for k <= N/2, X[N-k] above.
    a[0] = re[0]!;
    a[1] = 0;
    for (let k = 1; k < binCount; k++) {
      a[2 * k] = re[k]!;
      a[2 * k + 1] = -im[k]!;
      a[2 * (size - k)] = re[k]!;
      a[2 * (size - k) + 1] = im[k]!;
    }
    const z = kernel.run(a, b);
    for (let i = 0; i < size; i++) out[i] = z[2 * i]! / size;
  }

  function inverse(spectrum: Spectrum): Float64Array {
    const out = new Float64Array(size);
    inverseInto(spectrum, out);
    return out;
  }

  return { size, binCount, forward, forwardInto, inverse, inverseInto };
}

/** Frequencies in Hz of the ⌊N/2⌋ + 1 bins of a size-N real FFT. */
export function binFrequencies(size: number, sampleRate: number): Float64Array {
  const f = new Float64Array(Math.floor(size / 2) + 1);
  for (let k = 0; k < f.length; k++) f[k] = (k * sampleRate) / size;
  return f;
}
