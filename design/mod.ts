/**
 * Pure filter design on transfer matrices: the article's processing chain
 * (`../shared/reference/spatial-audio-article.md`, "Signal flow") —
 * upmix → virtualizer + CTC / null-steering for left and right, midrange
 * beamformer for the center → delay alignment → FIR realization — and the
 * metrics that predict what a listener gets. Imports only `dsp/`.
 *
 * Conventions, stated once:
 * - A plant is a {@linkcode TransferMatrix}: one real-FFT grid (`fftSize`,
 *   `sampleRate`, bins 0..fftSize/2) and a `ComplexMatrixStack` of outputs ×
 *   drivers per bin (planar re/im, index `(bin·rows + r)·cols + c`, see
 *   `dsp/complex_linalg.ts`). Ear plants have row 0 = `ear-left`, row 1 =
 *   `ear-right` (the listener's own ears); arc plants carry `azimuthsDeg`
 *   (counter-clockwise from the device's front, DESIGN.md).
 * - Designs return per-bin weights, drivers × inputs (inputs: left, right
 *   for CTC; center for the beamformer), centred on time 0 relative to the
 *   plant's bulk propagation delay. {@linkcode realizeFir} shifts them by the
 *   modelling delay (default taps/2) and truncates to `taps`.
 * - Levels in dB name their reference; every design returns the parameters
 *   it used (for a bundle's `design` field), predicted metrics, and
 *   `warnings: string[]` for conditions that may make it unreliable
 *   (near-singular plants are regularized and warned about, never NaN).
 *
 * @example
 * ```ts
 * import { createComplexMatrixStack } from "../dsp/complex_linalg.ts";
 * import {
 *   createTransferMatrix,
 *   designCrosstalkCanceller,
 *   realizeFir,
 *   upmixStereo,
 * } from "./mod.ts";
 *
 * // A toy 2-ear × 2-driver plant: direct path 1, crosstalk 0.5·(1-sample delay).
 * const fftSize = 256, bins = fftSize / 2 + 1;
 * const P = createComplexMatrixStack(2, 2, bins);
 * for (let b = 0; b < bins; b++) {
 *   const w = (2 * Math.PI * b) / fftSize;
 *   P.re[b * 4] = 1; P.re[b * 4 + 3] = 1;
 *   P.re[b * 4 + 1] = 0.5 * Math.cos(w); P.im[b * 4 + 1] = -0.5 * Math.sin(w);
 *   P.re[b * 4 + 2] = 0.5 * Math.cos(w); P.im[b * 4 + 2] = -0.5 * Math.sin(w);
 * }
 * const plant = createTransferMatrix(P, { sampleRate: 48000, fftSize });
 * const ctc = designCrosstalkCanceller(plant, { taps: 128 });
 * const fir = realizeFir(ctc.weights, { taps: 128, shiftSamples: ctc.modellingDelaySamples });
 * console.log(fir.filters.length, fir.filters[0]!.length); // 2 inputs × 2 drivers
 *
 * const x = new Float64Array(4800).map((_, n) => Math.sin(n / 7));
 * const { left, right, center, parameters } = upmixStereo(x, x, { sampleRate: 48000 });
 * console.log(parameters.method); // "mid-side-projection"
 * ```
 *
 * @module
 */
export type { ComplexMatrixStack } from "../dsp/complex_linalg.ts";
export type { Spectrum } from "../dsp/fft.ts";
export * from "./transfer_matrix.ts";
export * from "./virtualizer.ts";
export * from "./crosstalk_canceller.ts";
export * from "./beamformer.ts";
export * from "./upmix.ts";
export * from "./alignment.ts";
export * from "./fir.ts";
export * from "./metrics.ts";
