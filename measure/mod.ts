/**
 * Measurement: synchronized exponential sweeps, deconvolution into linear
 * and harmonic impulse responses, capture quality, the `AudioDevice`
 * interface, and measurement sessions that write measurement sets.
 *
 * Conventions (DESIGN.md): an impulse response's sample 0 is the instant
 * the sweep's first sample reaches the DAC when a loopback input measured
 * the latency (else the sweep's first sample), acoustic propagation delay is
 * kept; levels in dBFS; positions in the device's frame (azimuth
 * counter-clockwise from the front, +90° = the device's left).
 *
 * @example
 * ```ts
 * import { deconvolve, synchronizedSweep } from "./mod.ts";
 * const sweep = synchronizedSweep({ startHz: 20, endHz: 20000, durationSeconds: 1, sampleRate: 48000 });
 * const recording = new Float64Array(sweep.samples.length + 9600);
 * recording.set(sweep.samples.map((x) => 0.25 * x), 480); // a device: 10 ms delay, −12 dB
 * const { ir, quality } = deconvolve(sweep, { sampleRate: 48000, channels: [recording] });
 * console.log(quality[0]!.onsetSamples); // ≈ 480
 * ```
 *
 * @module
 */
export * from "./audio_device.ts";
export * from "./synchronized_sweep.ts";
export * from "./sweep_file.ts";
export * from "./deconvolve.ts";
export * from "./harmonics.ts";
export * from "./capture_quality.ts";
export * from "./session.ts";
export * from "./multi_sweep.ts";
export * from "./positions.ts";
export * from "./rig.ts";
export * from "./operator.ts";
export * from "./jack.ts";
export * from "./webaudio_device.ts";
export * from "./mic_calibration.ts";
export * from "./import_captures.ts";
