/**
 * spatialcal: measure each unit of a multi-driver speaker and fit per-unit
 * spatial-audio filters (crosstalk cancellation, null-steering,
 * virtualization, beamforming, upmixing) to it.
 *
 * The pipeline, one folder per stage (imports point down this list):
 * `dsp` → `io` → `measure` → `sim` / `design` → `calibrate` → `render` → `cli`.
 * Import a stage by its own entry point (`@spatialcal/spatialcal/measure`);
 * this module re-exports the foundation stages.
 *
 * @example
 * ```ts
 * import { deconvolve, synchronizedSweep } from "./mod.ts";
 * const sweep = synchronizedSweep({ startHz: 20, endHz: 20000, durationSeconds: 1, sampleRate: 48000 });
 * const { ir } = deconvolve(sweep, { sampleRate: 48000, channels: [sweep.samples] });
 * ```
 *
 * @module
 */
export * from "./dsp/mod.ts";
export * from "./io/mod.ts";
export * from "./measure/mod.ts";
