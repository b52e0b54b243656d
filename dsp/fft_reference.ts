/**
 * The reference real FFT: plans over `npm:fft.js` (64-bit, pure JavaScript,
 * powers of two only). The project computes with the mixed-radix FFT of
 * `fft.ts`; this module is kept so tests and benchmarks can check that FFT
 * against an independent implementation. Nothing outside `tests/` uses it.
 *
 * Complex spectra are stored everywhere in this project as a
 * {@linkcode Spectrum}: two separate `Float64Array`s `re` and `im`. A real
 * transform of size N keeps bins 0..N/2 (N/2 + 1 bins); bin k is at
 * `k·sampleRate/N` Hz. The forward transform is unscaled,
 * `X[k] = Σ x[n]·e^{-j2πkn/N}`, the inverse divides by N, as in numpy.
 *
 * Plans are cached per size: creating a plan builds the twiddle tables once.
 * The cache is a pure memo (a plan holds no caller-visible state).
 *
 * @module
 */
import FFT from "fft.js";
import { MIN_FFT_SIZE, type RealFftPlan, type Spectrum } from "./fft.ts";

const planCache = new Map<number, RealFftPlan>();
const PLAN_CACHE_LIMIT = 32;

/**
 * Get the (cached) real FFT plan for size `size`.
 *
 * @param size Transform size, a power of two >= 4.
 * @returns The plan.
 * @throws {RangeError} when `size` is not a power of two >= 4.
 *
 * @example
 * ```ts
 * import { referenceRealFftPlan } from "./fft_reference.ts";
 * const plan = referenceRealFftPlan(8);
 * const X = plan.forward([1, 0, 0, 0, 0, 0, 0, 0]);
 * console.log(X.re); // all ones: the spectrum of a unit impulse
 * ```
 */
export function referenceRealFftPlan(size: number): RealFftPlan {
  const cached = planCache.get(size);
  if (cached) return cached;
  if (!Number.isInteger(size) || size < MIN_FFT_SIZE || (size & (size - 1)) !== 0) {
    throw new RangeError(
      `Cannot create reference FFT plan as size must be a power of two >= ${MIN_FFT_SIZE}: current value is ${size}`,
    );
  }
  const plan = createPlan(size);
  if (planCache.size >= PLAN_CACHE_LIMIT) {
    const oldest = planCache.keys().next().value;
    if (oldest !== undefined) planCache.delete(oldest);
  }
  planCache.set(size, plan);
  return plan;
}

function createPlan(size: number): RealFftPlan {
  const full = new FFT(size);
  const half = size / 2;
  const halfFft = new FFT(half);
  // Twiddles e^{+j2πk/N} for the half-size inverse.
  const twRe = new Float64Array(half);
  const twIm = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    twRe[k] = Math.cos((2 * Math.PI * k) / size);
    twIm[k] = Math.sin((2 * Math.PI * k) / size);
  }
  const binCount = half + 1;
  // Scratch buffers, reused by every call (JavaScript runs one call at a time);
  // typed arrays make fft.js about 1.5× faster than its own plain-array buffers.
  const input = new Float64Array(size);
  const out = new Float64Array(2 * size);
  const z = new Float64Array(size);
  const zOut = new Float64Array(size);

  function forward(x: ArrayLike<number>): Spectrum {
    const n = Math.min(size, x.length);
    if (x instanceof Float64Array) {
      input.set(n === x.length ? x : x.subarray(0, n));
    } else {
      for (let i = 0; i < n; i++) input[i] = x[i] as number;
    }
    input.fill(0, n);
    full.realTransform(out as unknown as number[], input as unknown as number[]);
    const re = new Float64Array(binCount);
    const im = new Float64Array(binCount);
    for (let k = 0; k < binCount; k++) {
      re[k] = out[2 * k] as number;
      im[k] = out[2 * k + 1] as number;
    }
    return { re, im };
  }

  function forwardInto(x: ArrayLike<number>, spectrum: Spectrum): void {
    const X = forward(x);
    spectrum.re.set(X.re);
    spectrum.im.set(X.im);
  }

  function inverseInto(spectrum: Spectrum, out: Float64Array): void {
    out.set(inverse(spectrum));
  }

  // Inverse through one complex FFT of size N/2: with E, O the spectra of the
  // even and odd samples, E[k] = (X[k] + X*[N/2-k]) / 2 and
  // O[k] = (X[k] - X*[N/2-k]) / 2 · e^{+j2πk/N}; z = IFFT(E + jO) holds
  // x[2n] in its real and x[2n+1] in its imaginary part.
  function inverse(spectrum: Spectrum): Float64Array {
    const { re, im } = spectrum;
    if (re.length !== binCount || im.length !== binCount) {
      throw new RangeError(
        `Cannot run inverse FFT as the spectrum must have size/2 + 1 = ${binCount} bins: re has ${re.length}, im has ${im.length}`,
      );
    }
    for (let k = 0; k < half; k++) {
      const aRe = re[k] as number;
      const aIm = k === 0 ? 0 : im[k] as number;
      const m = half - k;
      const bRe = re[m] as number;
      const bIm = m === half || m === 0 ? 0 : -(im[m] as number); // conj(X[N/2-k])
      const eRe = 0.5 * (aRe + bRe);
      const eIm = 0.5 * (aIm + bIm);
      const dRe = 0.5 * (aRe - bRe);
      const dIm = 0.5 * (aIm - bIm);
      const c = twRe[k] as number;
      const s = twIm[k] as number;
      const oRe = dRe * c - dIm * s;
      const oIm = dRe * s + dIm * c;
      // E + j·O
      z[2 * k] = eRe - oIm;
      z[2 * k + 1] = eIm + oRe;
    }
    halfFft.inverseTransform(zOut as unknown as number[], z as unknown as number[]);
    return zOut.slice();
  }

  return { size, binCount, forward, forwardInto, inverse, inverseInto };
}
