/**
 * The virtual lab: simulated multi-driver devices, a rigid-sphere head (or a
 * measured one from a SOFA file, {@linkcode loadSofaHead}), a
 * shoebox room and the measurement chain's imperfections, behind the same
 * {@linkcode AudioDevice} interface as real hardware. Measurement code plays
 * a buffer and records one; nothing here hands it impulse responses.
 *
 * Conventions (DESIGN.md): positions in metres in the device frame (x out of
 * the front, y to the device's left, z up); listener positions as
 * `MicPosition` (azimuth counter-clockwise from +x, elevation up, distance
 * from the device's reference point; a binaural head faces the device,
 * turned by `headYawDeg`). IR sample 0 is the DAC instant, propagation delay
 * kept. Full scale is 1.0; a driver's `sensitivityDb` is its on-axis
 * pass-band gain at 1 m (full-scale DAC → full-scale mic), so a −12 dBFS
 * sweep records at about −16 dBFS peak 2 m in front of studio5.
 *
 * The chain per capture: DAC clip → driver nonlinearity (+ rub & buzz) →
 * linear IR (driver response × directivity × propagation × room × head) →
 * latency → input noise → ADC clip. Each unit's drivers deviate from the
 * model by draws seeded from its serial (`"nominal"`: none).
 *
 * @example
 * ```ts
 * import { createSimDevice } from "./mod.ts";
 * import { synchronizedSweep } from "../measure/synchronized_sweep.ts";
 * import { deconvolve } from "../measure/deconvolve.ts";
 *
 * const device = createSimDevice({ model: "studio5", serial: "SIM-000123", mics: "binaural",
 *   room: "living-room" });
 * await device.moveTo({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 });
 * const sweep = synchronizedSweep({ startHz: 20, endHz: 24000, durationSeconds: 2, sampleRate: 48000 });
 * const rec = await device.playRecord({ outputs: ["mid-left"], stimulus: [sweep.samples],
 *   inputs: ["ear-left", "ear-right", "loopback"], tailSamples: 24000 });
 * const { ir } = deconvolve(sweep, rec.signal, { loopbackChannel: 2 });
 * ```
 *
 * References:
 * 1. R. O. Duda, W. L. Martens, "Range dependence of the response of a
 *    spherical head model", J. Acoust. Soc. Am. 104(5), 3048–3058, 1998.
 * 2. J. B. Allen, D. A. Berkley, "Image method for efficiently simulating
 *    small-room acoustics", J. Acoust. Soc. Am. 65(4), 943–950, 1979.
 * 3. L. E. Kinsler et al., "Fundamentals of Acoustics", 4th ed., 2000
 *    (baffled piston directivity).
 *
 * @module
 */
export * from "./device_model.ts";
export * from "./head.ts";
export * from "./room.ts";
export * from "./sim_device.ts";
export * from "./sofa_head.ts";
export type { AudioDevice } from "../measure/audio_device.ts";
