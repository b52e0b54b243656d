/**
 * Per-unit calibration: fit a unit's measurement set to a filter bundle,
 * read / write / check bundles, evaluate what a listener gets, and the
 * factory-line side (golden references, limits, verification, records).
 *
 * Conventions: a bundle is the DESIGN.md "Filter bundle" folder
 * (`bundle.json` + `filters/<input>.wav`, float32, one channel per driver in
 * `device.drivers` order, `taps` long, SHA-256 of every file in `files`).
 * Separation is reported per 1/3-octave band as ipsilateral/contralateral
 * power in dB, with its mean over 300 Hz–6 kHz; beam metrics relative to
 * on-axis. Bad input files raise `InputError` (the CLI exits 2).
 *
 * @example
 * ```ts ignore
 * import { evaluateBundle, fitBundle, readBundle, writeBundle } from "./mod.ts";
 * import { readMeasurementSet } from "../io/manifest.ts";
 * const set = await readMeasurementSet("runs/u1");
 * const { bundle, filters, warnings } = await fitBundle(set, { taps: 2048 });
 * await writeBundle("bundles/u1", bundle, filters);
 * const loaded = await readBundle("bundles/u1");
 * const report = await evaluateBundle(loaded.bundle, loaded.filters, set);
 * console.log(report.summary);
 * ```
 *
 * @module
 */
export * from "./bundle.ts";
export * from "./fit.ts";
export * from "./evaluate.ts";
export * from "./study.ts";
export * from "./golden.ts";
export * from "./limits.ts";
export * from "./verify.ts";
export * from "./records.ts";
export * from "./line_sim.ts";
export * from "./line_station.ts";
export * from "./signature.ts";
export * from "./binaural_position.ts";
