/**
 * The filter-bundle contract (DESIGN.md "Filter bundle (a folder)"): a folder
 * holding `bundle.json` and one float32 WAV per input, `filters/<input>.wav`,
 * with one channel per driver (in `device.drivers` order), `taps` samples
 * long. `files` holds the SHA-256 of every file the bundle references, and a
 * reader refuses a bundle whose files do not match. `bundle.json` cannot list
 * its own hash there, so it carries `sha256`: the SHA-256 of its canonical JSON
 * (keys sorted, no spaces) without that field — the rule of the limits file —
 * and a reader refuses an edited `bundle.json` (e.g. a changed prediction).
 *
 * Rendering (see `render/`): `inputs = upmix(stereo)`; for every driver d,
 * `out_d = Σ_i filters[i][d] * inputs_i` (linear convolution). A bundle
 * without `upmix` has `inputs: ["left", "right"]`.
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { InputError, inputFailure } from "../io/errors.ts";
import { readFolderJson } from "../io/folder_json.ts";
import { MAX_WAV_BYTES, readRegularFile } from "../io/read_file.ts";
import { canonicalJsonSha256 } from "../io/canonical_json.ts";
import { type DocumentSignature, signDocument, type SigningKey } from "./signature.ts";
import { sha256Hex, writeFolderAtomically } from "../io/atomic.ts";
import { ownFolder, type OwnOutput } from "../io/own_output.ts";
import { relativePathProblem } from "../io/manifest.ts";
import { decodeWav, encodeWav } from "../io/wav.ts";
import { upmixParameters } from "../design/upmix.ts";

/** The `format` string of every bundle. */
export const FILTER_BUNDLE_FORMAT = "spatialcal.filter-bundle";
/** The bundle version this code reads and writes. */
export const FILTER_BUNDLE_VERSION = 1;
/** File name of the bundle description inside a bundle folder. */
export const BUNDLE_FILE_NAME = "bundle.json";
/** Inputs of a bundle with upmix (left, right, center) in this order. */
export const UPMIX_INPUTS = ["left", "right", "center"] as const;
/** Inputs of a bundle without upmix. */
export const STEREO_INPUTS = ["left", "right"] as const;
/** Upmix methods `render/` knows how to apply. */
export const UPMIX_METHODS = ["mid-side-projection"] as const;

/**
 * A bundle as `--force` may replace it: a folder with `bundle.json` of format
 * {@linkcode FILTER_BUNDLE_FORMAT} holding only that file and the files of its `files` table
 * (see `io/own_output.ts`).
 */
export const FILTER_BUNDLE_OUTPUT: OwnOutput = ownFolder({
  what: "a filter bundle",
  descriptor: "bundle.json",
  format: FILTER_BUNDLE_FORMAT,
  listed: (bundle) => {
    const files = bundle.files;
    return files !== null && typeof files === "object" ? Object.keys(files) : [];
  },
});

/** The unit a bundle was fitted to. */
export interface BundleDevice {
  /** Model name (`"studio5"`). */
  readonly model: string;
  /** The unit's serial. */
  readonly serial: string;
  /** Driver ids in the order of every filter file's channels. */
  readonly drivers: readonly string[];
}

/** The measurement set a bundle was fitted from. */
export interface BundleSource {
  /** The set's folder as given to the fit. */
  readonly measurementSet: string;
  /** SHA-256 (hex) of the set's `manifest.json` bytes. */
  readonly sha256: string;
}

/** The upmix of a three-input bundle: its method and every parameter. */
export interface BundleUpmix {
  /** One of {@linkcode UPMIX_METHODS}. */
  readonly method: string;
  /** The method's parameters (`design/upmix.ts` names and units), validated on read. */
  readonly [parameter: string]: unknown;
}

/** `bundle.json` (DESIGN.md). Extra fields are allowed and kept. */
export interface FilterBundle {
  /** Always {@linkcode FILTER_BUNDLE_FORMAT}. */
  readonly format: typeof FILTER_BUNDLE_FORMAT;
  /** Always {@linkcode FILTER_BUNDLE_VERSION}. */
  readonly version: typeof FILTER_BUNDLE_VERSION;
  /** Sample rate in Hz of every filter, a positive integer. */
  readonly sampleRate: number;
  /** Length of every filter in samples, a positive integer. */
  readonly taps: number;
  /** Delay the filters add (modelling delay plus alignment), samples, 0 ≤ value < taps. */
  readonly latencySamples: number;
  /** The unit fitted; `drivers` fixes the channel order of every filter file. */
  readonly device: BundleDevice;
  /** The measurement set fitted from. */
  readonly source: BundleSource;
  /** `["left", "right", "center"]` with upmix, `["left", "right"]` without. */
  readonly inputs: readonly string[];
  /** Present exactly when the inputs include "center". */
  readonly upmix?: BundleUpmix;
  /** Relative path of each input's filter WAV (`filters/<input>.wav`). */
  readonly filters: Readonly<Record<string, string>>;
  /** Every parameter the fit used. */
  readonly design: Readonly<Record<string, unknown>>;
  /** Metrics the fit predicts. */
  readonly predicted: Readonly<Record<string, unknown>>;
  /** SHA-256 (hex) of every referenced file, keyed by relative path. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * SHA-256 (hex) of the canonical JSON of `bundle.json` without this field
   * (set by {@linkcode writeBundle}, checked by {@linkcode readBundle}).
   */
  readonly sha256?: string;
  /**
   * The lab's Ed25519 signature of the canonical JSON of everything else, `sha256` and `files`
   * included (`signature.ts`; set by {@linkcode writeBundle} with a signer).
   */
  readonly signature?: DocumentSignature;
}

/** A bundle without its `files` table, `sha256` and `signature` (set by {@linkcode writeBundle}). */
export type FilterBundleDraft = Omit<FilterBundle, "files" | "sha256" | "signature">;

/** Filters per input: `filters[input][driver]`, each `taps` samples (driver order of the bundle). */
export type BundleFilters = Readonly<Record<string, readonly Float64Array[]>>;

/** A bundle read from disk. */
export interface LoadedBundle {
  /** The bundle folder as given to {@linkcode readBundle}. */
  readonly folder: string;
  /** The validated `bundle.json`; every referenced file matched its SHA-256. */
  readonly bundle: FilterBundle;
  /** `filters[input][driver]` as stored (float32 values widened to float64). */
  readonly filters: Record<string, Float64Array[]>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9_-]+$/;

type Fail = (field: string, rule: string, value: unknown) => never;

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function failer(file: string | undefined): Fail {
  return inputFailure(`read bundle${file ? ` "${file}"` : ""}`, file, show);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Check a parsed `bundle.json` against the contract (everything but the
 * files themselves; see {@linkcode readBundle}).
 *
 * Rules: `format` is `"spatialcal.filter-bundle"`, `version` 1; `sampleRate`
 * and `taps` positive integers; `latencySamples` an integer in 0..taps−1;
 * `device.model`/`serial` non-empty strings and `device.drivers` a non-empty
 * list of unique ids; `source.measurementSet` a non-empty string and
 * `source.sha256` 64 lowercase hex digits; `inputs` exactly
 * `["left", "right", "center"]` with an `upmix` object (known `method`, valid
 * parameters) or exactly `["left", "right"]` without one; `filters` one safe
 * relative `.wav` path per input, no other keys, no path used twice;
 * `design`, `predicted` objects; `files` safe relative paths to 64-hex
 * digests, covering every filter path.
 *
 * @param json The parsed JSON.
 * @param options `file`: the name to put in errors.
 * @returns The bundle, typed (the same object).
 * @throws {InputError} naming the file, the field, the rule and the value.
 */
export function validateBundle(json: unknown, options: { file?: string } = {}): FilterBundle {
  const fail = failer(options.file);
  if (!isRecord(json)) fail("the top level", "must be a JSON object", json);
  const b = json as Record<string, unknown>;
  if (b.format !== FILTER_BUNDLE_FORMAT) {
    fail("format", `must be "${FILTER_BUNDLE_FORMAT}"`, b.format);
  }
  if (b.version !== FILTER_BUNDLE_VERSION) {
    fail("version", `must be ${FILTER_BUNDLE_VERSION} (the version this code reads)`, b.version);
  }
  const positiveInteger = (field: string, v: unknown): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      fail(field, "must be a positive integer", v);
    }
    return v as number;
  };
  positiveInteger("sampleRate", b.sampleRate);
  const taps = positiveInteger("taps", b.taps);
  const latency = b.latencySamples;
  if (
    typeof latency !== "number" || !Number.isInteger(latency) || latency < 0 || latency >= taps
  ) {
    fail("latencySamples", `must be an integer within 0..taps-1 (${taps - 1})`, latency);
  }
  const nonEmptyString = (field: string, v: unknown): string => {
    if (typeof v !== "string" || v.length === 0) fail(field, "must be a non-empty string", v);
    return v as string;
  };
  if (!isRecord(b.device)) fail("device", "must be an object", b.device);
  const device = b.device as Record<string, unknown>;
  nonEmptyString("device.model", device.model);
  nonEmptyString("device.serial", device.serial);
  if (!Array.isArray(device.drivers) || device.drivers.length === 0) {
    fail("device.drivers", "must be a non-empty list of driver ids", device.drivers);
  }
  const drivers = device.drivers as unknown[];
  drivers.forEach((d, i) => {
    if (typeof d !== "string" || !ID.test(d)) {
      fail(`device.drivers[${i}]`, "must be an id of letters, digits, - and _", d);
    }
    if (drivers.indexOf(d) !== i) fail(`device.drivers[${i}]`, "must be unique", d);
  });
  if (!isRecord(b.source)) fail("source", "must be an object", b.source);
  const source = b.source as Record<string, unknown>;
  nonEmptyString("source.measurementSet", source.measurementSet);
  if (typeof source.sha256 !== "string" || !HEX64.test(source.sha256)) {
    fail("source.sha256", "must be 64 lowercase hex digits", source.sha256);
  }
  const inputs = b.inputs;
  const same = (a: unknown, e: readonly string[]) =>
    Array.isArray(a) && a.length === e.length && a.every((x, i) => x === e[i]);
  if (b.upmix === undefined) {
    if (!same(inputs, STEREO_INPUTS)) {
      fail(
        "inputs",
        `must be ${show(STEREO_INPUTS)} in a bundle without upmix (or add an upmix for ${
          show(UPMIX_INPUTS)
        })`,
        inputs,
      );
    }
  } else {
    if (!isRecord(b.upmix)) fail("upmix", "must be an object when present", b.upmix);
    const upmix = b.upmix as Record<string, unknown>;
    if (!(UPMIX_METHODS as readonly unknown[]).includes(upmix.method)) {
      fail("upmix.method", `must be one of ${show(UPMIX_METHODS)}`, upmix.method);
    }
    try {
      const p = upmixParameters(upmix as Parameters<typeof upmixParameters>[0]);
      if (upmix.hopSize !== undefined && upmix.hopSize !== p.hopSize) {
        fail("upmix.hopSize", `must be frameSize/4 (${p.hopSize})`, upmix.hopSize);
      }
    } catch (error) {
      if (error instanceof InputError) throw error;
      fail("upmix", `must hold valid parameters (${(error as Error).message})`, upmix);
    }
    if (!same(inputs, UPMIX_INPUTS)) {
      fail("inputs", `must be ${show(UPMIX_INPUTS)} in a bundle with upmix`, inputs);
    }
  }
  const inputList = inputs as string[];
  if (!isRecord(b.filters)) fail("filters", "must be an object", b.filters);
  const filters = b.filters as Record<string, unknown>;
  for (const key of Object.keys(filters)) {
    if (!inputList.includes(key)) {
      fail(`filters.${key}`, `must name one of the inputs ${show(inputList)}`, filters[key]);
    }
  }
  const used = new Set<string>();
  for (const input of inputList) {
    const path = filters[input];
    if (typeof path !== "string") fail(`filters.${input}`, "must be a path string", path);
    const p = path as string;
    const problem = relativePathProblem(p);
    if (problem !== undefined) {
      fail(`filters.${input}`, `must be a relative path inside the bundle (${problem})`, p);
    }
    if (!p.toLowerCase().endsWith(".wav")) fail(`filters.${input}`, "must be a .wav file", p);
    if (used.has(p)) fail(`filters.${input}`, "must not reuse another input's file", p);
    used.add(p);
  }
  if (!isRecord(b.design)) fail("design", "must be an object", b.design);
  if (!isRecord(b.predicted)) fail("predicted", "must be an object", b.predicted);
  if (!isRecord(b.files)) fail("files", "must be an object of path: sha256", b.files);
  const files = b.files as Record<string, unknown>;
  for (const [path, hash] of Object.entries(files)) {
    const problem = relativePathProblem(path);
    if (problem !== undefined) {
      fail(
        `files["${path}"]`,
        `must be keyed by a relative path inside the bundle (${problem})`,
        path,
      );
    }
    if (typeof hash !== "string" || !HEX64.test(hash)) {
      fail(`files["${path}"]`, "must be 64 lowercase hex digits", hash);
    }
  }
  for (const path of used) {
    if (!(path in files)) fail("files", `must hold the SHA-256 of "${path}"`, Object.keys(files));
  }
  return json as unknown as FilterBundle;
}

function checkFilters(
  action: string,
  bundle: FilterBundleDraft,
  filters: BundleFilters,
): void {
  for (const input of bundle.inputs) {
    const channels = filters[input];
    if (channels === undefined) {
      throw new TypeError(`Cannot ${action} as filters must have input "${input}": it is missing`);
    }
    if (channels.length !== bundle.device.drivers.length) {
      throw new RangeError(
        `Cannot ${action} as filters.${input} must have one channel per driver (${bundle.device.drivers.length}): current value is ${channels.length}`,
      );
    }
    channels.forEach((h, d) => {
      if (h.length !== bundle.taps) {
        throw new RangeError(
          `Cannot ${action} as filters.${input} channel ${d} must have taps (${bundle.taps}) samples: current value is ${h.length}`,
        );
      }
      for (let n = 0; n < h.length; n++) {
        if (!Number.isFinite(h[n] as number)) {
          throw new RangeError(
            `Cannot ${action} as filters must be finite: filters.${input} channel ${d} sample ${n} is ${
              h[n]
            }`,
          );
        }
      }
    });
  }
  const extra = Object.keys(filters).filter((k) => !bundle.inputs.includes(k));
  if (extra.length > 0) {
    throw new TypeError(
      `Cannot ${action} as filters must have only the bundle's inputs ${
        show(bundle.inputs)
      }: extra ${show(extra)}`,
    );
  }
}

/** Options of {@linkcode writeBundle}. */
export interface WriteBundleOptions {
  /** Replace an existing folder (default false: refused with an InputError). */
  readonly force?: boolean;
  /** Sign `bundle.json` with this key (`signature.ts`); default unsigned. */
  readonly signer?: SigningKey;
}

/**
 * Write a bundle folder atomically: every `filters/<input>.wav` (float32, one
 * channel per driver), then `bundle.json` with the `files` table of their
 * SHA-256 digests; built under a temporary sibling name and renamed into
 * place ({@linkcode writeFolderAtomically}).
 *
 * Filter samples are stored as float32; pass values already rounded to
 * float32 (`Math.fround`) to have {@linkcode readBundle} give them back
 * bit-identically.
 *
 * @param folder The bundle folder to create.
 * @param draft The bundle without `files` (any `files` given is replaced).
 * @param filters `filters[input][driver]`, `taps` samples each.
 * @param options `force` to replace an existing folder.
 * @returns The bundle as written (with `files`).
 * @throws {InputError} when the folder exists and `force` is not set, or the draft breaks the
 *   contract; {@linkcode TypeError}/{@linkcode RangeError} for filters that do not fit the draft.
 */
export async function writeBundle(
  folder: string,
  draft: FilterBundleDraft | FilterBundle,
  filters: BundleFilters,
  options: WriteBundleOptions = {},
): Promise<FilterBundle> {
  const action = `write bundle "${folder}"`;
  const encoded = new Map<string, Uint8Array>();
  const files: Record<string, string> = {};
  checkFilters(action, draft, filters);
  for (const input of draft.inputs) {
    const path = draft.filters[input];
    if (path === undefined) {
      throw new TypeError(`Cannot ${action} as filters.${input} must name a file: it is missing`);
    }
    const bytes = encodeWav({ sampleRate: draft.sampleRate, channels: filters[input]! }, {
      encoding: "float",
    });
    encoded.set(path, bytes);
    files[path] = await sha256Hex(bytes);
  }
  const { files: _old, sha256: _oldSha, signature: _oldSignature, ...rest } = draft as FilterBundle;
  const checked = validateBundle({ ...rest, files }, { file: join(folder, BUNDLE_FILE_NAME) });
  const hashed: FilterBundle = { ...checked, sha256: await bundleContentSha256(checked) };
  const bundle: FilterBundle = options.signer === undefined
    ? hashed
    : await signDocument(hashed, options.signer);
  await writeFolderAtomically(folder, async (tmp) => {
    for (const [path, bytes] of encoded) {
      const target = join(tmp, path);
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.writeFile(target, bytes);
    }
    await Deno.writeTextFile(join(tmp, BUNDLE_FILE_NAME), `${JSON.stringify(bundle, null, 2)}\n`);
  }, { force: options.force ?? false, own: FILTER_BUNDLE_OUTPUT });
  return bundle;
}

/**
 * Read and check a bundle folder: parse and validate `bundle.json`
 * ({@linkcode validateBundle}), check every file in `files` against its
 * SHA-256, and decode each filter WAV (float32, the bundle's sample rate,
 * one channel per driver, `taps` samples).
 *
 * @param folder The bundle folder.
 * @returns The bundle and its filters.
 * @throws {InputError} naming the file, the field and the value for any breach, and naming the
 *   file and both digests for a file whose SHA-256 does not match.
 */
export async function readBundle(folder: string): Promise<LoadedBundle> {
  const { json, path } = await readFolderJson(folder, BUNDLE_FILE_NAME, {
    folder: "bundle",
    file: "bundle",
  });
  const bundle = validateBundle(json, { file: path });
  const stated = (json as Record<string, unknown>).sha256;
  if (typeof stated !== "string" || !HEX64.test(stated)) {
    throw new InputError(
      `Cannot read bundle "${folder}" as sha256 must be 64 lowercase hex digits (the SHA-256 of bundle.json's content): current value is ${
        JSON.stringify(stated)
      }`,
      { file: path, field: "sha256", value: stated },
    );
  }
  const content = await bundleContentSha256(json as FilterBundle);
  if (content !== stated) {
    throw new InputError(
      `Cannot read bundle "${folder}" as bundle.json was changed after it was written: its sha256 says ${stated}, its content hashes to ${content}`,
      { file: path, field: "sha256", value: content },
    );
  }
  const bytesOf = new Map<string, Uint8Array>();
  // A link may not lead out of the bundle: what is hashed and used is the bundle's own file.
  const realFolder = await Deno.realPath(folder);
  const refuseOutside = async (file: string, field: string) => {
    let real: string;
    try {
      real = await Deno.realPath(file);
    } catch {
      return; // missing, a link loop, unreadable: the reader below names why
    }
    const inside = relative(realFolder, real);
    if (inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw new InputError(
        `Cannot read bundle "${folder}" as ${field} must be a file inside the bundle: "${file}" leads to "${real}", outside "${realFolder}"`,
        { file, field, value: real },
      );
    }
  };
  await refuseOutside(path, BUNDLE_FILE_NAME);
  for (const [rel, expected] of Object.entries(bundle.files)) {
    const file = join(folder, rel);
    let bytes: Uint8Array;
    try {
      await refuseOutside(file, `files["${rel}"]`);
      bytes = await readRegularFile(file, { what: "bundle file", maxBytes: MAX_WAV_BYTES });
    } catch (error) {
      if (!(error instanceof InputError) || error.field !== "path") throw error;
      throw new InputError(
        `Cannot read bundle "${folder}" as files["${rel}"] must exist as a file: "${file}" ${
          error.cause instanceof Deno.errors.NotFound
            ? "is missing"
            : error.message.replace(/^Cannot read .*? as it /s, "")
        }`,
        { file, field: `files["${rel}"]`, value: rel, cause: error },
      );
    }
    const actual = await sha256Hex(bytes);
    if (actual !== expected) {
      throw new InputError(
        `Cannot read bundle "${folder}" as "${rel}" does not match its hash: bundle.json says sha256 ${expected}, the file has ${actual}`,
        { file, field: `files["${rel}"]`, value: actual },
      );
    }
    bytesOf.set(rel, bytes);
  }
  const filters: Record<string, Float64Array[]> = {};
  for (const input of bundle.inputs) {
    const rel = bundle.filters[input]!;
    const file = join(folder, rel);
    const wav = decodeWav(bytesOf.get(rel)!, { name: file });
    const fail = (field: string, rule: string, value: unknown): never => {
      throw new InputError(
        `Cannot read bundle filter "${file}" as ${field} ${rule}: current value is ${show(value)}`,
        { file, field, value },
      );
    };
    if (wav.format.encoding !== "float") {
      fail("encoding", "must be float32", `${wav.format.encoding}${wav.format.bitsPerSample}`);
    }
    if (wav.sampleRate !== bundle.sampleRate) {
      fail("sampleRate", `must be the bundle's sampleRate ${bundle.sampleRate} Hz`, wav.sampleRate);
    }
    if (wav.channels.length !== bundle.device.drivers.length) {
      fail(
        "channels",
        `must be one per driver of device.drivers (${bundle.device.drivers.length})`,
        wav.channels.length,
      );
    }
    const length = wav.channels[0]?.length ?? 0;
    if (length !== bundle.taps) fail("length", `must be taps (${bundle.taps}) samples`, length);
    filters[input] = wav.channels;
  }
  return { folder, bundle, filters };
}

/** SHA-256 hex of the canonical JSON of a bundle without its `sha256` and `signature` fields. */
export async function bundleContentSha256(bundle: FilterBundle): Promise<string> {
  const { sha256: _ignored, signature: _signature, ...rest } = bundle;
  return await canonicalJsonSha256(rest);
}
