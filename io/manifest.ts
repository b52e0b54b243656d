/**
 * The measurement-set contract (DESIGN.md "Measurement set (a folder)"): a
 * folder holding `manifest.json` and one float32 WAV impulse response per
 * capture. This module has the manifest's types, its validator, and atomic
 * read / write / append of whole sets.
 *
 * Positions follow DESIGN.md "Conventions" (SOFA/AES69 angles in the
 * device's frame): `azimuthDeg` counter-clockwise from the device's front,
 * `elevationDeg` up positive, `distanceMeters` from the device's reference
 * point, `headYawDeg` the head's turn (0 = facing the device).
 *
 * @module
 */
import { dirname, join, relative, sep } from "node:path";
import type { Signal } from "../dsp/signal.ts";
import { wrapDeg } from "../dsp/angles.ts";
import { InputError, inputError } from "./errors.ts";
import { readFolderJson } from "./folder_json.ts";
import { writeFolderAtomically } from "./atomic.ts";
import { ownFolder, type OwnOutput } from "./own_output.ts";
import { type DecodedWav, encodeWav, readWav } from "./wav.ts";

/** The `format` string of every measurement-set manifest. */
export const MEASUREMENT_SET_FORMAT = "spatialcal.measurement-set";
/** The manifest version this code reads and writes. */
export const MEASUREMENT_SET_VERSION = 1;
/** File name of the manifest inside a measurement-set folder. */
export const MANIFEST_FILE_NAME = "manifest.json";
/** The microphone roles a manifest may name. */
export const MIC_ROLES = ["ear-left", "ear-right", "reference"] as const;
/** A microphone role: a binaural head's ear (the listener's own side) or a reference mic. */
export type ManifestMicRole = typeof MIC_ROLES[number];

/** One driver of the measured device. */
export interface DriverEntry {
  /** Stable id (`"mid-left"`): letters, digits, `-` and `_`, unique in the set. */
  readonly id: string;
  /** Driver kind (`"midrange"`, `"tweeter"`, `"woofer"`, `"fullrange"`). */
  readonly kind: string;
}

/** The measured unit. */
export interface DeviceEntry {
  /** Model name (`"studio5"`). */
  readonly model: string;
  /** The unit's serial number (`"SIM-000123"`). */
  readonly serial: string;
  /** Its drivers, in the device's canonical order (at least one). */
  readonly drivers: readonly DriverEntry[];
}

/** How the set was measured. */
export interface RigEntry {
  /** Backend name: `"sim"`, `"webaudio"`, `"file"`. */
  readonly backend: string;
  /** Free text. */
  readonly description?: string;
}

/** The excitation used (optional: sets imported from IR files have none). */
export interface SweepEntry {
  /** Sweep method (`"synchronized-exponential"`, Novak et al. 2015). */
  readonly method: string;
  /** Start frequency in Hz, > 0. */
  readonly startHz: number;
  /** End frequency in Hz, > startHz and <= sampleRate / 2. */
  readonly endHz: number;
  /** Sweep duration in seconds, > 0. */
  readonly durationSeconds: number;
  /** Sweep level in dB re digital full scale, <= 0. */
  readonly levelDbfs: number;
}

/**
 * Which calibration of a mic was applied when the set's IRs were derived
 * (DESIGN.md, `mics[].calibration`).
 */
export interface MicCalibrationEntry {
  /** The mic's sensitivity: its level in dBFS (AES17) for 94 dB SPL; finite. */
  readonly sensitivityDbfs?: number;
  /** The frequency-response calibration file divided out of every IR of this mic (its name as given). */
  readonly responseFile?: string;
  /** SHA-256 (hex) of that file. */
  readonly responseSha256?: string;
}

/** One microphone (or ear of a head). */
export interface MicEntry {
  /** Stable id (`"ear-left"`, `"ref"`): letters, digits, `-` and `_`, unique in the set. */
  readonly id: string;
  /** Its role. */
  readonly role: ManifestMicRole;
  /** The calibration applied to its IRs, if any; with `sensitivityDbfs`, levels are also in dB SPL. */
  readonly calibration?: MicCalibrationEntry;
}

/**
 * Where the mic (or head centre) was, in the device's frame (same shape as
 * `MicPosition` in `measure/`).
 */
export interface CapturePosition {
  /** Degrees counter-clockwise from the device's front seen from above (+90 = device's left); finite. */
  readonly azimuthDeg: number;
  /** Degrees up from the horizontal plane, -90..90. */
  readonly elevationDeg: number;
  /** Meters from the device's reference point, > 0. */
  readonly distanceMeters: number;
  /** Head yaw in degrees counter-clockwise, 0 = facing the device; finite. */
  readonly headYawDeg?: number;
}

/** One capture: one driver measured at one mic in one position. */
export interface CaptureEntry {
  /** A `device.drivers[].id`. */
  readonly driver: string;
  /** A `mics[].id`. */
  readonly mic: string;
  /** Where the mic was. */
  readonly position: CapturePosition;
  /** Relative path of the impulse response WAV inside the folder (see {@linkcode irFileName}). */
  readonly ir: string;
  /** Signal-to-noise ratio of the IR in dB. */
  readonly snrDb?: number;
  /** Peak level of the recording in dB re full scale. */
  readonly peakDbfs?: number;
  /** "May be unreliable" conditions in plain words. */
  readonly warnings?: readonly string[];
  /** Relative path of a WAV with one channel per harmonic 2..N. */
  readonly harmonics?: string;
  /** Total harmonic distortion in percent, >= 0. */
  readonly thdPercent?: number;
  /** Measured system latency that was removed, in samples. */
  readonly latencySamples?: number;
  /** Relative path of the raw recording WAV. */
  readonly recording?: string;
  /**
   * With a mic sensitivity: the SPL at the mic, dB re 20 µPa, that a full-scale (0 dBFS) sine at
   * 1 kHz on the driver gives, `94 − sensitivityDbfs + 20·log10|H(1 kHz)|`.
   */
  readonly fullScaleLevelDbSpl?: number;
  /** With a mic sensitivity: the recording's peak as dB SPL (`peakDbfs − sensitivityDbfs + 94`). */
  readonly peakDbSpl?: number;
}

/**
 * `manifest.json` of a measurement set (DESIGN.md). Fields not listed here
 * are allowed anywhere and kept by {@linkcode validateManifest} and the
 * read/write functions.
 */
export interface MeasurementSetManifest {
  /** Always `"spatialcal.measurement-set"`. */
  readonly format: typeof MEASUREMENT_SET_FORMAT;
  /** Always 1. */
  readonly version: typeof MEASUREMENT_SET_VERSION;
  /** ISO 8601 date-time of the measurement (`"2026-11-26T10:00:00Z"`). */
  readonly createdAt: string;
  /** Sample rate in Hz of every audio file of the set, a positive integer. */
  readonly sampleRate: number;
  /** The measured unit. */
  readonly device: DeviceEntry;
  /** The rig. */
  readonly rig: RigEntry;
  /** The sweep, if the set was measured with one. */
  readonly sweep?: SweepEntry;
  /** The microphones (at least one). */
  readonly mics: readonly MicEntry[];
  /** The captures. */
  readonly captures: readonly CaptureEntry[];
}

/** Options of {@linkcode validateManifest}. */
export interface ValidateManifestOptions {
  /** The manifest's file name for error messages. */
  readonly file?: string;
  /** What the caller is doing, for error messages. Default `"read"`. */
  readonly action?: "read" | "write" | "append to";
}

/** Ids: a letter or digit, then letters, digits, `-`, `_` (safe in file names and flags). */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const ID_RULE = 'must be an id of letters, digits, "-" and "_" starting with a letter or digit';

/**
 * Why `path` is not a safe relative file path inside a folder, or
 * `undefined` when it is: `/`-separated, not absolute, no drive letter, no
 * backslash or control characters, no empty, `.` or `..` segments.
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.length === 0) return "it is empty";
  if (path.includes("\\")) return 'use "/" as the separator, never "\\"';
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f]/.test(path)) return "it must not contain control characters";
  if (path.startsWith("/")) return "it must not be absolute";
  if (/^[A-Za-z]:/.test(path)) return "it must not start with a drive letter";
  const segments = path.split("/");
  if (segments.includes("..")) return 'it must not contain ".." segments';
  if (segments.includes(".")) return 'it must not contain "." segments';
  if (segments.includes("")) return "it must not contain empty segments";
  return undefined;
}

function show(value: unknown): string {
  if (value === undefined) return "missing";
  if (typeof value === "number") return String(value); // JSON would print NaN/Infinity as null
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type Json = Record<string, unknown>;

/** Field checks that throw an InputError naming the file, field path and value. */
class Checker {
  constructor(readonly file: string | undefined, readonly action: string) {}

  fail(field: string, value: unknown, rule: string): never {
    const where = this.file === undefined ? "" : ` "${this.file}"`;
    throw inputError({
      action: `${this.action} manifest${where}`,
      file: this.file,
      field,
      rule,
      value,
      show,
    });
  }

  object(value: unknown, field: string): Json {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(field, value, "must be an object");
    }
    return value as Json;
  }

  array(value: unknown, field: string, minLength: number): unknown[] {
    if (!Array.isArray(value)) this.fail(field, value, "must be an array");
    if (value.length < minLength) {
      this.fail(
        field,
        value,
        `must have at least ${minLength} entr${minLength === 1 ? "y" : "ies"}`,
      );
    }
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== "string" || value.length === 0) {
      this.fail(field, value, "must be a non-empty string");
    }
    return value;
  }

  id(value: unknown, field: string): string {
    const id = this.string(value, field);
    if (!ID_PATTERN.test(id)) this.fail(field, value, ID_RULE);
    return id;
  }

  number(
    value: unknown,
    field: string,
    rule: string,
    ok: (x: number) => boolean = () => true,
  ): number {
    if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
      this.fail(field, value, rule);
    }
    return value;
  }

  path(value: unknown, field: string): string {
    const path = this.string(value, field);
    const problem = relativePathProblem(path) ??
      (path.toLowerCase().endsWith(".wav") ? undefined : 'it must end in ".wav"');
    if (problem !== undefined) {
      this.fail(field, value, `must be a relative path inside the set folder (${problem})`);
    }
    return path;
  }

  optional<T>(record: Json, key: string, field: string, check: (v: unknown, f: string) => T) {
    if (record[key] !== undefined) check(record[key], `${field}.${key}`);
  }
}

/**
 * Check a parsed `manifest.json` against the measurement-set contract and
 * return a deep copy typed as {@linkcode MeasurementSetManifest}; unknown
 * extra fields are kept.
 *
 * Rules: `format` is `"spatialcal.measurement-set"`; `version` is 1;
 * `createdAt` is an ISO 8601 date-time; `sampleRate` a positive integer (Hz);
 * `device.model`/`serial` non-empty strings; `device.drivers` a non-empty
 * list with unique ids (letters, digits, `-`, `_`) and a `kind`; `rig.backend`
 * a string; `sweep`, if present, with `startHz` > 0, `startHz` < `endHz` <=
 * sampleRate/2, `durationSeconds` > 0, `levelDbfs` <= 0; `mics` non-empty with
 * unique ids and roles `ear-left`/`ear-right`/`reference`; every capture
 * names an existing driver and mic, has a finite position (elevation within
 * ±90°, distance > 0), and `ir` (and `harmonics`/`recording` when present) are
 * relative `.wav` paths inside the folder — no `..`, `.`, empty or absolute
 * segments, no backslash, no drive letter — used once in the set (compared
 * case-insensitively); `snrDb`, `peakDbfs` finite, `latencySamples` an integer >= 0,
 * `thdPercent` >= 0, `warnings` a list of strings; `fullScaleLevelDbSpl` and `peakDbSpl`
 * finite; `mics[].calibration`, if present, an object with a finite `sensitivityDbfs`, a
 * `responseFile` string and a 64-hex-digit `responseSha256`, each optional.
 *
 * @param json The parsed JSON.
 * @param options `file` and `action` for error messages.
 * @returns The validated manifest (a copy).
 * @throws {InputError} naming the file, the field path (`"captures[3].ir"`),
 *   the rule and the value.
 *
 * @example
 * ```ts
 * import { validateManifest } from "./manifest.ts";
 * const manifest = validateManifest({
 *   format: "spatialcal.measurement-set", version: 1,
 *   createdAt: "2026-11-26T10:00:00Z", sampleRate: 48000,
 *   device: { model: "studio5", serial: "SIM-000123", drivers: [{ id: "mid-left", kind: "midrange" }] },
 *   rig: { backend: "sim" },
 *   mics: [{ id: "ear-left", role: "ear-left" }],
 *   captures: [{
 *     driver: "mid-left", mic: "ear-left",
 *     position: { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 },
 *     ir: "ir/mid-left.ear-left.az+000.el+00.r2.00.wav",
 *   }],
 * }, { file: "manifest.json" });
 * console.log(manifest.captures.length); // 1
 * ```
 */
export function validateManifest(
  json: unknown,
  options: ValidateManifestOptions = {},
): MeasurementSetManifest {
  const c = new Checker(options.file, options.action ?? "read");
  const root = c.object(json, "manifest");
  const sampleRate = checkManifestHeader(c, root);
  const driverIds = checkDevice(c, root);
  checkRig(c, root);
  checkSweep(c, root, sampleRate);
  const micIds = checkMics(c, root);
  checkCaptures(c, root, driverIds, micIds);
  return structuredClone(root) as unknown as MeasurementSetManifest;
}

/** `format`, `version`, `createdAt` and `sampleRate`; returns the sample rate in Hz. */
function checkManifestHeader(c: Checker, root: Json): number {
  if (root.format !== MEASUREMENT_SET_FORMAT) {
    c.fail("format", root.format, `must be "${MEASUREMENT_SET_FORMAT}"`);
  }
  if (root.version !== MEASUREMENT_SET_VERSION) {
    c.fail(
      "version",
      root.version,
      `must be ${MEASUREMENT_SET_VERSION} (the version this code reads)`,
    );
  }
  const createdAt = c.string(root.createdAt, "createdAt");
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(createdAt) ||
    !Number.isFinite(Date.parse(createdAt))
  ) {
    c.fail("createdAt", createdAt, 'must be an ISO 8601 date-time like "2026-11-26T10:00:00Z"');
  }
  return c.number(
    root.sampleRate,
    "sampleRate",
    "must be a positive integer number of Hz, at most 768000",
    (x) => Number.isInteger(x) && x > 0 && x <= 768000,
  );
}

/** `device`: model, serial and drivers with unique ids; returns id → field of each driver. */
function checkDevice(c: Checker, root: Json): Map<string, string> {
  const device = c.object(root.device, "device");
  c.string(device.model, "device.model");
  c.string(device.serial, "device.serial");
  const driverIds = new Map<string, string>();
  c.array(device.drivers, "device.drivers", 1).forEach((entry, i) => {
    const field = `device.drivers[${i}]`;
    const driver = c.object(entry, field);
    const id = c.id(driver.id, `${field}.id`);
    const first = driverIds.get(id);
    if (first !== undefined) c.fail(`${field}.id`, id, `must be unique (also ${first})`);
    driverIds.set(id, `${field}.id`);
    c.string(driver.kind, `${field}.kind`);
  });

  return driverIds;
}

/** `rig`: the backend and an optional description. */
function checkRig(c: Checker, root: Json): void {
  const rig = c.object(root.rig, "rig");
  c.string(rig.backend, "rig.backend");
  if (rig.description !== undefined && typeof rig.description !== "string") {
    c.fail("rig.description", rig.description, "must be a string");
  }
}

/** `sweep`, when present: a band inside (0, sampleRate / 2], a duration and a level <= 0 dBFS. */
function checkSweep(c: Checker, root: Json, sampleRate: number): void {
  if (root.sweep === undefined) return;
  const sweep = c.object(root.sweep, "sweep");
  c.string(sweep.method, "sweep.method");
  const startHz = c.number(
    sweep.startHz,
    "sweep.startHz",
    "must be a positive number of Hz",
    (x) => x > 0,
  );
  c.number(
    sweep.endHz,
    "sweep.endHz",
    `must be > sweep.startHz (${startHz} Hz) and <= sampleRate / 2 (${sampleRate / 2} Hz)`,
    (x) => x > startHz && x <= sampleRate / 2,
  );
  c.number(
    sweep.durationSeconds,
    "sweep.durationSeconds",
    "must be a positive number of seconds",
    (x) => x > 0,
  );
  c.number(sweep.levelDbfs, "sweep.levelDbfs", "must be a number of dBFS <= 0", (x) => x <= 0);
}

/** `mics`: unique ids, a known role, an optional calibration; returns id → field of each mic. */
function checkMics(c: Checker, root: Json): Map<string, string> {
  const micIds = new Map<string, string>();
  c.array(root.mics, "mics", 1).forEach((entry, i) => {
    const field = `mics[${i}]`;
    const mic = c.object(entry, field);
    const id = c.id(mic.id, `${field}.id`);
    const first = micIds.get(id);
    if (first !== undefined) c.fail(`${field}.id`, id, `must be unique (also ${first})`);
    micIds.set(id, `${field}.id`);
    if (!(MIC_ROLES as readonly unknown[]).includes(mic.role)) {
      c.fail(
        `${field}.role`,
        mic.role,
        `must be one of ${MIC_ROLES.map((r) => `"${r}"`).join(", ")}`,
      );
    }
    if (mic.calibration !== undefined) {
      const cal = c.object(mic.calibration, `${field}.calibration`);
      const f = `${field}.calibration`;
      c.optional(
        cal,
        "sensitivityDbfs",
        f,
        (v, g) => c.number(v, g, "must be a finite number of dBFS"),
      );
      c.optional(cal, "responseFile", f, (v, g) => c.string(v, g));
      c.optional(cal, "responseSha256", f, (v, g) => {
        if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) {
          c.fail(g, v, "must be a SHA-256 as 64 lowercase hex digits");
        }
      });
    }
  });

  return micIds;
}

/**
 * `captures`: known driver and mic, a valid position, one capture per driver, mic and
 * position, file names no other entry uses (case-insensitively), valid figures.
 */
function checkCaptures(
  c: Checker,
  root: Json,
  driverIds: Map<string, string>,
  micIds: Map<string, string>,
): void {
  const paths = new Map<string, string>();
  const uniquePath = (path: string, field: string) => {
    const key = path.toLowerCase();
    const first = paths.get(key);
    if (first !== undefined) {
      c.fail(
        field,
        path,
        `must name a file no other entry uses (also ${first}, compared case-insensitively)`,
      );
    }
    paths.set(key, field);
  };
  const captureKeys = new Map<string, string>();
  const list = (ids: Map<string, string>) => [...ids.keys()].map((id) => `"${id}"`).join(", ");
  c.array(root.captures, "captures", 0).forEach((entry, i) => {
    const field = `captures[${i}]`;
    const capture = c.object(entry, field);
    const driver = c.string(capture.driver, `${field}.driver`);
    if (!driverIds.has(driver)) {
      c.fail(
        `${field}.driver`,
        driver,
        `must be one of the device.drivers ids (${list(driverIds)})`,
      );
    }
    const mic = c.string(capture.mic, `${field}.mic`);
    if (!micIds.has(mic)) {
      c.fail(`${field}.mic`, mic, `must be one of the mics ids (${list(micIds)})`);
    }

    const position = checkCapturePosition(c, capture.position, `${field}.position`);

    // One capture per driver, mic and position: a second one would silently replace the first.
    const captureKey = JSON.stringify([
      driver,
      mic,
      wrapDeg(position.azimuthDeg as number),
      position.elevationDeg,
      position.distanceMeters,
      wrapDeg((position.headYawDeg as number | undefined) ?? 0),
    ]);
    const same = captureKeys.get(captureKey);
    if (same !== undefined) {
      c.fail(
        `${field}.position`,
        JSON.stringify(position),
        `must differ from ${same} (driver "${driver}", mic "${mic}" at the same position): a set holds one capture per driver, mic and position`,
      );
    }
    captureKeys.set(captureKey, field);

    uniquePath(c.path(capture.ir, `${field}.ir`), `${field}.ir`);
    for (const key of ["harmonics", "recording"]) {
      if (capture[key] !== undefined) {
        uniquePath(c.path(capture[key], `${field}.${key}`), `${field}.${key}`);
      }
    }
    checkCaptureFigures(c, capture, field);
  });
}

/** One capture's `position`: finite azimuth, elevation in [-90, 90], distance > 0, optional yaw. */
function checkCapturePosition(c: Checker, value: unknown, p: string): Json {
  const position = c.object(value, p);
  c.number(position.azimuthDeg, `${p}.azimuthDeg`, "must be a finite number of degrees");
  c.number(
    position.elevationDeg,
    `${p}.elevationDeg`,
    "must be a number of degrees from -90 to 90",
    (x) => x >= -90 && x <= 90,
  );
  c.number(
    position.distanceMeters,
    `${p}.distanceMeters`,
    "must be a positive number of meters",
    (x) => x > 0,
  );
  c.optional(
    position,
    "headYawDeg",
    p,
    (v, f) => c.number(v, f, "must be a finite number of degrees"),
  );
  return position;
}

/** One capture's optional figures: SNR, levels, latency, THD and warnings. */
function checkCaptureFigures(c: Checker, capture: Json, field: string): void {
  for (const key of ["snrDb", "peakDbfs", "fullScaleLevelDbSpl", "peakDbSpl"]) {
    c.optional(capture, key, field, (v, f) => c.number(v, f, "must be a finite number"));
  }
  c.optional(
    capture,
    "latencySamples",
    field,
    (v, f) =>
      c.number(
        v,
        f,
        "must be an integer number of samples >= 0",
        (x) => Number.isInteger(x) && x >= 0,
      ),
  );
  c.optional(
    capture,
    "thdPercent",
    field,
    (v, f) => c.number(v, f, "must be a number of percent >= 0", (x) => x >= 0),
  );
  c.optional(capture, "warnings", field, (v, f) => {
    c.array(v, f, 0).forEach((w, j) => {
      if (typeof w !== "string") c.fail(`${f}[${j}]`, w, "must be a string");
    });
  });
}

/**
 * A measurement set as `--force` may replace it: a folder with `manifest.json` of format
 * {@linkcode MEASUREMENT_SET_FORMAT} holding only that file and the audio files its captures
 * name (see `io/own_output.ts`).
 */
export const MEASUREMENT_SET_OUTPUT: OwnOutput = ownFolder({
  what: "a measurement set",
  descriptor: MANIFEST_FILE_NAME,
  format: MEASUREMENT_SET_FORMAT,
  listed: (manifest) => {
    const captures = Array.isArray(manifest.captures) ? manifest.captures : [];
    return captures.flatMap((c: Record<string, unknown>) =>
      [c?.ir, c?.harmonics, c?.recording].filter((f): f is string => typeof f === "string")
    );
  },
});

/** A measurement set as an append rewrites it (every file is copied over, so any content is kept). */
const MEASUREMENT_SET_TO_APPEND: OwnOutput = ownFolder({
  what: "a measurement set",
  descriptor: MANIFEST_FILE_NAME,
  format: MEASUREMENT_SET_FORMAT,
});

/** Every audio file a manifest references, with the field that names it. */
export function referencedFiles(
  manifest: MeasurementSetManifest,
): { path: string; field: string }[] {
  const files: { path: string; field: string }[] = [];
  manifest.captures.forEach((capture, i) => {
    files.push({ path: capture.ir, field: `captures[${i}].ir` });
    if (capture.harmonics !== undefined) {
      files.push({ path: capture.harmonics, field: `captures[${i}].harmonics` });
    }
    if (capture.recording !== undefined) {
      files.push({ path: capture.recording, field: `captures[${i}].recording` });
    }
  });
  return files;
}

/** A measurement set opened by {@linkcode readMeasurementSet}. */
export interface MeasurementSet {
  /** The folder as given. */
  readonly folder: string;
  /** The validated manifest. */
  readonly manifest: MeasurementSetManifest;
  /**
   * Read a capture's impulse response (a one-channel WAV).
   * @throws {InputError} if the file is not a supported WAV, has more than one channel, or its sample rate differs from the manifest's.
   */
  readIr(capture: CaptureEntry): Promise<Signal>;
  /**
   * Read any WAV of the set by its relative path (`capture.harmonics`, `capture.recording`).
   * @throws {InputError} for an unsafe path, an unsupported WAV or a sample rate that differs from the manifest's.
   */
  readAudio(relativePath: string): Promise<DecodedWav>;
}

/**
 * Open a measurement-set folder: read and validate `manifest.json`
 * ({@linkcode validateManifest}) and check that every file it references
 * exists, is a regular file, and stays inside the folder once symbolic links
 * are resolved. Audio is read on demand with `readIr` / `readAudio`, which
 * check each file's sample rate against the manifest's.
 *
 * @param folder The set's folder.
 * @returns The folder, the manifest and readers for its audio.
 * @throws {InputError} for a missing folder or manifest, invalid JSON, a
 *   manifest that breaks the contract, or a missing or escaping audio file.
 *
 * @example
 * ```ts ignore
 * import { readMeasurementSet } from "./manifest.ts";
 * const set = await readMeasurementSet("runs/SIM-000123");
 * for (const capture of set.manifest.captures) {
 *   const ir = await set.readIr(capture);
 * }
 * ```
 */
export async function readMeasurementSet(folder: string): Promise<MeasurementSet> {
  const { json, path: manifestPath } = await readFolderJson(
    folder,
    MANIFEST_FILE_NAME,
    { folder: "measurement set", file: "manifest" },
  );
  const manifest = validateManifest(json, { file: manifestPath });
  const realFolder = await Deno.realPath(folder);
  for (const { path, field } of referencedFiles(manifest)) {
    checkInside(folder, realFolder, path, field, manifestPath);
  }

  const readAudio = async (relativePath: string): Promise<DecodedWav> => {
    const problem = relativePathProblem(relativePath);
    if (problem !== undefined) {
      throw new InputError(
        `Cannot read audio of measurement set "${folder}" as path must be a relative path inside the set folder (${problem}): current value is ${
          show(relativePath)
        }`,
        { file: folder, field: "path", value: relativePath },
      );
    }
    checkInside(folder, realFolder, relativePath, "path", manifestPath);
    const wav = await readWav(join(folder, relativePath));
    if (wav.sampleRate !== manifest.sampleRate) {
      throw new InputError(
        `Cannot read "${relativePath}" of measurement set "${folder}" as its sample rate ${wav.sampleRate} Hz differs from the manifest's sampleRate ${manifest.sampleRate} Hz`,
        { file: join(folder, relativePath), field: "sampleRate", value: wav.sampleRate },
      );
    }
    return wav;
  };
  return {
    folder,
    manifest,
    readAudio,
    readIr: async (capture: CaptureEntry) => {
      const wav = await readAudio(capture.ir);
      if (wav.channels.length !== 1) {
        throw new InputError(
          `Cannot read "${capture.ir}" of measurement set "${folder}" as an impulse response WAV must have one channel (one capture per driver and mic): it has ${wav.channels.length}`,
          { file: join(folder, capture.ir), field: "channels", value: wav.channels.length },
        );
      }
      return wav;
    },
  };
}

/** Refuse a referenced file that is missing, not a regular file, or outside the folder after resolving links. */
function checkInside(
  folder: string,
  realFolder: string,
  path: string,
  field: string,
  manifestPath: string,
): void {
  const fail = (rule: string, cause?: unknown): never => {
    throw new InputError(
      `Cannot read measurement set "${folder}" as ${field} ${rule}: current value is ${show(path)}`,
      { file: manifestPath, field, value: path, cause },
    );
  };
  let real: string;
  try {
    real = Deno.realPathSync(join(folder, path)); // sync: 2-5x less than an awaited op per file
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) fail("names a file that does not exist", error);
    if (error instanceof Deno.errors.FilesystemLoop) {
      fail("names a symbolic-link loop (too many levels of symbolic links)", error);
    }
    if (error instanceof Deno.errors.NotADirectory) fail("has a file where a folder should be");
    if ((error as { code?: unknown }).code === "ENAMETOOLONG") {
      fail("is too long a name for the file system", error);
    }
    throw error;
  }
  const rel = relative(realFolder, real);
  if (rel.startsWith(`..${sep}`) || rel === ".." || rel === "" || rel.startsWith(sep)) {
    fail("leads outside the set folder through a symbolic link");
  }
  if (!Deno.statSync(real).isFile) fail("must name a regular file");
}

/** Options of {@linkcode writeMeasurementSet}. */
export interface WriteMeasurementSetOptions {
  /** Replace an existing folder (renamed aside, removed once the new one is in place). Default false. */
  readonly force?: boolean;
}

/** Check that `audio` holds exactly the files `files` reference, at the manifest's sample rate. */
function checkAudioMap(
  action: string,
  folder: string,
  sampleRate: number,
  files: { path: string; field: string }[],
  audio: ReadonlyMap<string, Signal>,
): void {
  const referenced = new Set(files.map((f) => f.path));
  for (const { path, field } of files) {
    const signal = audio.get(path);
    if (signal === undefined) {
      throw new RangeError(
        `Cannot ${action} measurement set "${folder}" as ${field} names "${path}" but the audio map holds no signal for it`,
      );
    }
    if (signal.sampleRate !== sampleRate) {
      throw new RangeError(
        `Cannot ${action} measurement set "${folder}" as the signal for "${path}" has sampleRate ${signal.sampleRate} Hz but the manifest says ${sampleRate} Hz`,
      );
    }
  }
  for (const path of audio.keys()) {
    if (!referenced.has(path)) {
      throw new RangeError(
        `Cannot ${action} measurement set "${folder}" as the audio map holds "${path}", which no capture references`,
      );
    }
  }
}

async function writeAudioFiles(root: string, audio: ReadonlyMap<string, Signal>): Promise<void> {
  for (const [path, signal] of audio) {
    const target = join(root, path);
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.writeFile(target, encodeWav(signal), { createNew: true });
  }
}

async function writeManifestFile(root: string, manifest: MeasurementSetManifest): Promise<void> {
  await Deno.writeTextFile(
    join(root, MANIFEST_FILE_NAME),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
}

/**
 * Write a measurement set atomically: validate the manifest, write every
 * referenced audio file as float32 WAV and `manifest.json` into a temporary
 * sibling folder, and rename it into place ({@linkcode writeFolderAtomically}).
 *
 * @param folder Destination folder; refused if it exists unless `force`.
 * @param manifest The manifest (validated with action "write").
 * @param audio Signal per relative path: exactly the files the manifest
 *   references (`ir`, and `harmonics`/`recording` where present), each at the
 *   manifest's sample rate.
 * @param options `force` to replace an existing folder.
 * @throws {InputError} for an invalid manifest or an existing folder without `force`.
 * @throws {RangeError} if `audio` misses a referenced file, holds an
 *   unreferenced one, or a signal's sample rate differs from the manifest's.
 *
 * @example
 * ```ts ignore
 * import { irFileName, writeMeasurementSet } from "./manifest.ts";
 * const ir = irFileName("mid-left", "ear-left", { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 });
 * await writeMeasurementSet("runs/SIM-000123", manifest, new Map([[ir, signal]]));
 * ```
 */
export async function writeMeasurementSet(
  folder: string,
  manifest: MeasurementSetManifest,
  audio: ReadonlyMap<string, Signal>,
  options: WriteMeasurementSetOptions = {},
): Promise<void> {
  const valid = validateManifest(manifest, {
    file: join(folder, MANIFEST_FILE_NAME),
    action: "write",
  });
  checkAudioMap("write", folder, valid.sampleRate, referencedFiles(valid), audio);
  await writeFolderAtomically(folder, async (tmp) => {
    await writeAudioFiles(tmp, audio);
    await writeManifestFile(tmp, valid);
  }, { force: options.force ?? false, own: MEASUREMENT_SET_OUTPUT });
}

/** Copy a folder tree (files and folders; links are followed). */
async function copyTree(from: string, to: string): Promise<void> {
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    const info = await Deno.stat(source);
    if (info.isDirectory) {
      await Deno.mkdir(target);
      await copyTree(source, target);
    } else {
      await Deno.copyFile(source, target);
    }
  }
}

/**
 * Add captures to an existing measurement set, atomically: the old folder's
 * content and the new audio are assembled in a temporary sibling folder with
 * the merged manifest, which then replaces the old folder (removed only once
 * the new one is in place).
 *
 * `addition` is a manifest describing only the new captures (as a
 * measurement session produces one). It must name the same `device.model`,
 * `device.serial` and `sampleRate` as the set. Its drivers and mics are
 * merged into the set's (an id already present must keep its kind / role);
 * its captures are appended; everything else of the set (createdAt, rig,
 * sweep, extra fields) is kept. Not safe against two concurrent appends to
 * the same folder.
 *
 * @param folder An existing measurement-set folder.
 * @param addition Manifest of the new captures.
 * @param audio Signal per relative path for exactly the files `addition` references.
 * @returns The merged manifest as written.
 * @throws {InputError} if the set cannot be read, `addition` is invalid, the
 *   device or sample rate differ (naming both sides), an id changes kind or
 *   role, or a new file name is already used in the set.
 * @throws {RangeError} if `audio` does not match `addition`'s files.
 */
export async function appendToMeasurementSet(
  folder: string,
  addition: MeasurementSetManifest,
  audio: ReadonlyMap<string, Signal>,
): Promise<MeasurementSetManifest> {
  const set = await readMeasurementSet(folder);
  const old = set.manifest;
  const added = validateManifest(addition, { file: "(new captures)", action: "append to" });
  checkAudioMap("append to", folder, added.sampleRate, referencedFiles(added), audio);

  const mismatch = (field: string, ours: unknown, theirs: unknown): never => {
    throw new InputError(
      `Cannot append to measurement set "${folder}" as ${field} differs: the set has ${
        show(ours)
      }, the new captures have ${show(theirs)}`,
      { file: join(folder, MANIFEST_FILE_NAME), field, value: theirs },
    );
  };
  if (added.device.model !== old.device.model) {
    mismatch("device.model", old.device.model, added.device.model);
  }
  if (added.device.serial !== old.device.serial) {
    mismatch("device.serial", old.device.serial, added.device.serial);
  }
  if (added.sampleRate !== old.sampleRate) mismatch("sampleRate", old.sampleRate, added.sampleRate);

  const drivers = [...old.device.drivers];
  added.device.drivers.forEach((driver, i) => {
    const existing = drivers.find((d) => d.id === driver.id);
    if (existing === undefined) drivers.push(driver);
    else if (existing.kind !== driver.kind) {
      mismatch(`device.drivers[${i}].kind`, existing.kind, driver.kind);
    }
  });
  const mics = [...old.mics];
  added.mics.forEach((mic, i) => {
    const existing = mics.find((m) => m.id === mic.id);
    if (existing === undefined) mics.push(mic);
    else if (existing.role !== mic.role) mismatch(`mics[${i}].role`, existing.role, mic.role);
  });
  const merged = validateManifest(
    {
      ...old,
      device: { ...old.device, drivers },
      mics,
      captures: [...old.captures, ...added.captures],
    },
    { file: join(folder, MANIFEST_FILE_NAME), action: "append to" },
  );

  await writeFolderAtomically(folder, async (tmp) => {
    await copyTree(folder, tmp);
    for (const { path, field } of referencedFiles(added)) {
      const taken = await Deno.lstat(join(tmp, path)).then(() => true, () => false);
      if (taken) {
        throw new InputError(
          `Cannot append to measurement set "${folder}" as ${field} names a file the set already has: current value is ${
            show(path)
          }`,
          { file: join(folder, MANIFEST_FILE_NAME), field, value: path },
        );
      }
    }
    await writeAudioFiles(tmp, audio);
    await writeManifestFile(tmp, merged);
  }, { force: true, own: MEASUREMENT_SET_TO_APPEND });
  return merged;
}

/**
 * The conventional relative path of a capture's impulse response:
 * `ir/<driver>.<mic>.az±AAA.el±EE.rD.DD[.yaw±YYY].wav`.
 *
 * Angles carry their sign always, azimuth and yaw 3 integer digits,
 * elevation 2; fractions are kept to 0.01° without trailing zeros (2.5° →
 * `az+002.5`). Distance has 2 decimals (`r2.00`). Head yaw appears only
 * when it is nonzero at 0.01° resolution.
 *
 * @param driver Driver id (letters, digits, `-`, `_`).
 * @param mic Mic id (same rule).
 * @param position Finite angles in degrees; distance > 0 m.
 * @returns The path, relative to the set folder.
 * @throws {RangeError} for an id outside the rule or a non-finite / out-of-range number.
 *
 * @example
 * ```ts
 * import { irFileName } from "./manifest.ts";
 * irFileName("mid-left", "ear-left", { azimuthDeg: -30, elevationDeg: 2.5, distanceMeters: 2 });
 * // "ir/mid-left.ear-left.az-030.el+02.5.r2.00.wav"
 * ```
 */
export function irFileName(driver: string, mic: string, position: CapturePosition): string {
  for (const [name, id] of [["driver", driver], ["mic", mic]] as const) {
    if (typeof id !== "string" || !ID_PATTERN.test(id)) {
      throw new RangeError(
        `Cannot make IR file name as ${name} ${ID_RULE}: current value is ${show(id)}`,
      );
    }
  }
  const { azimuthDeg, elevationDeg, distanceMeters, headYawDeg = 0 } = position;
  const finite = (name: string, x: number) => {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new RangeError(
        `Cannot make IR file name as position.${name} must be a finite number: current value is ${x}`,
      );
    }
  };
  finite("azimuthDeg", azimuthDeg);
  finite("elevationDeg", elevationDeg);
  finite("headYawDeg", headYawDeg);
  if (
    typeof distanceMeters !== "number" || !(distanceMeters > 0) || !Number.isFinite(distanceMeters)
  ) {
    throw new RangeError(
      `Cannot make IR file name as position.distanceMeters must be a positive number of meters: current value is ${distanceMeters}`,
    );
  }
  const yaw = formatAngle(headYawDeg, 3);
  return `ir/${driver}.${mic}.az${formatAngle(azimuthDeg, 3)}.el${formatAngle(elevationDeg, 2)}.r${
    distanceMeters.toFixed(2)
  }${yaw === "+000" ? "" : `.yaw${yaw}`}.wav`;
}

/** `±` + integer part zero-padded to `digits` + up to 2 decimals without trailing zeros. */
function formatAngle(degrees: number, digits: number): string {
  const fixed = Math.abs(degrees).toFixed(2);
  const [whole = "0", fraction = ""] = fixed.split(".");
  const sign = degrees < 0 && Number(fixed) !== 0 ? "-" : "+";
  const decimals = fraction.replace(/0+$/, "");
  return `${sign}${whole.padStart(digits, "0")}${decimals === "" ? "" : `.${decimals}`}`;
}
