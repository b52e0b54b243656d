/**
 * Digital signal processing kernels: FFT plans, convolution, windows,
 * smoothing, dB and angle helpers and small complex per-bin linear algebra.
 *
 * Conventions: compute in `Float64Array`; signals are planar
 * ({@linkcode Signal}); complex spectra are separate `re`/`im` arrays
 * ({@linkcode Spectrum}); levels use `amplitudeToDb` (20·log10) or
 * `powerToDb` (10·log10).
 *
 * @example
 * ```ts
 * import { fftConvolve, realFftPlan } from "./mod.ts";
 * const y = fftConvolve([1, 2, 3], [0, 1]); // [0, 1, 2, 3]
 * const X = realFftPlan(8).forward(y);
 * ```
 *
 * @module
 */
export * from "./signal.ts";
export * from "./fft.ts";
export * from "./convolve.ts";
export * from "./db.ts";
export * from "./angles.ts";
export * from "./constants.ts";
export * from "./windows.ts";
export * from "./bands.ts";
export * from "./smoothing.ts";
export * from "./minimum_phase.ts";
export * from "./delay.ts";
export * from "./filters.ts";
export * from "./complex_linalg.ts";
export * from "./fft_float32.ts";
export { type ComplexFftKernel, complexFftKernel, factorize } from "./fft_kernel.ts";
export * from "./ir_window.ts";
export * from "./resample.ts";
