/**
 * Linear convolution through the FFT.
 *
 * @module
 */
import { nextPowerOfTwo, realFftPlan } from "./fft.ts";

/**
 * Full linear convolution `y[n] = Σ_k a[k]·b[n-k]`, length `a.length + b.length - 1`,
 * computed by one zero-padded FFT product (equal to `scipy.signal.fftconvolve(a, b)`).
 *
 * @param a First sequence.
 * @param b Second sequence.
 * @returns The convolution (empty when either input is empty).
 *
 * @example
 * ```ts
 * import { fftConvolve } from "./convolve.ts";
 * fftConvolve([1, 2], [1, 1]); // ≈ [1, 3, 2]
 * ```
 */
export function fftConvolve(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length === 0 || b.length === 0) return new Float64Array(0);
  const length = a.length + b.length - 1;
  if (Math.min(a.length, b.length) <= 32) return directConvolve(a, b);
  const plan = realFftPlan(Math.max(4, nextPowerOfTwo(length)));
  const A = plan.forward(a);
  const B = plan.forward(b);
  const re = new Float64Array(plan.binCount);
  const im = new Float64Array(plan.binCount);
  for (let k = 0; k < plan.binCount; k++) {
    const ar = A.re[k] as number, ai = A.im[k] as number;
    const br = B.re[k] as number, bi = B.im[k] as number;
    re[k] = ar * br - ai * bi;
    im[k] = ar * bi + ai * br;
  }
  return plan.inverse({ re, im }).slice(0, length);
}

/** Direct-form convolution; exact and fastest when one input is short. */
export function directConvolve(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length === 0 || b.length === 0) return new Float64Array(0);
  const y = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    if (ai === 0) continue;
    for (let j = 0; j < b.length; j++) y[i + j]! += ai * (b[j] as number);
  }
  return y;
}
