/**
 * Files: WAV audio, measurement-set folders, SOFA files and atomic writes.
 *
 * Conventions:
 * - Audio files are WAV. The reader takes PCM 16/24/32-bit and float32,
 *   plain or `WAVE_FORMAT_EXTENSIBLE`, any channel count; the writer makes
 *   float32 by default. Integer code `k` of a `b`-bit file is the sample
 *   `k / 2^(b-1)` (full scale ±1, as sox does). Channels are planar
 *   `Float64Array`s (`Signal` from `dsp/`).
 * - Bad input files raise {@linkcode InputError} (fields `file`, `field`,
 *   `value`; the message names the file, field, rule and value). Bad
 *   arguments raise `RangeError` / `TypeError`. The CLI maps `InputError`
 *   and `RangeError` to exit code 2; a `TypeError` is a bug (exit 3).
 * - Nothing is written in place: files and folders are built under a
 *   temporary sibling name and renamed; an existing measurement set is
 *   replaced only with `force`.
 * - SOFA files (AES69-2022) are read and written through the HDF5 library
 *   `h5wasm` ({@linkcode readSofa}, {@linkcode writeSofa}: GeneralFIR,
 *   GeneralFIR-E, SimpleFreeFieldHRIR); {@linkcode importSofa} and
 *   {@linkcode writeMeasurementSetSofa} map them to and from measurement sets
 *   (DESIGN.md, "SOFA files").
 * - A measurement set is a folder with `manifest.json` (DESIGN.md contract,
 *   {@linkcode validateManifest}) and relative `.wav` paths inside it;
 *   {@linkcode irFileName} gives the conventional IR path.
 *
 * @example
 * ```ts
 * import { irFileName, readMeasurementSet, writeMeasurementSet } from "./mod.ts";
 * import type { MeasurementSetManifest } from "./mod.ts";
 *
 * const position = { azimuthDeg: 30, elevationDeg: 0, distanceMeters: 2 };
 * const ir = irFileName("tweeter", "ref", position); // "ir/tweeter.ref.az+030.el+00.r2.00.wav"
 * const manifest: MeasurementSetManifest = {
 *   format: "spatialcal.measurement-set", version: 1,
 *   createdAt: "2026-11-26T10:00:00Z", sampleRate: 48000,
 *   device: { model: "studio5", serial: "SIM-000123", drivers: [{ id: "tweeter", kind: "tweeter" }] },
 *   rig: { backend: "sim", description: "example" },
 *   mics: [{ id: "ref", role: "reference" }],
 *   captures: [{ driver: "tweeter", mic: "ref", position, ir }],
 * };
 * const impulse = new Float64Array(256);
 * impulse[0] = 1;
 *
 * const root = await Deno.makeTempDir();
 * await writeMeasurementSet(`${root}/set`, manifest, new Map([[ir, { sampleRate: 48000, channels: [impulse] }]]));
 * const set = await readMeasurementSet(`${root}/set`);
 * const signal = await set.readIr(set.manifest.captures[0]!);
 * console.log(signal.channels[0]![0]); // 1
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./atomic.ts";
export * from "./canonical_json.ts";
export * from "./wav.ts";
export * from "./manifest.ts";
export * from "./folder_json.ts";
export * from "./read_file.ts";
export * from "./own_output.ts";
export * from "./capture_list.ts";
export * from "./mic_response_file.ts";
export * from "./sofa.ts";
export * from "./sofa_set.ts";
