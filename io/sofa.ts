/**
 * SOFA files (AES69-2022, "Spatially Oriented Format for Acoustics") through
 * a real HDF5 library (`h5wasm`): the FIR conventions `GeneralFIR`,
 * `GeneralFIR-E` and `SimpleFreeFieldHRIR`, read into and written from a
 * plain in-memory {@linkcode SofaFir}.
 *
 * The data model of AES69 [1]: `M` measurements, `R` receivers (mics,
 * ears), `E` emitters (loudspeakers, drivers), `N` samples, `C` = 3
 * coordinates, `I` = 1. `Data.IR` is M×R×N (GeneralFIR,
 * SimpleFreeFieldHRIR) or M×R×N×E (GeneralFIR-E); `Data.Delay` is an extra
 * delay in samples per receiver (I×R, M×R; GeneralFIR-E also I×R×E, M×R×E);
 * `Data.SamplingRate` is I or M. Positions are `ListenerPosition`,
 * `SourcePosition` (I×C or M×C), `ReceiverPosition` (R×C×I, relative to the
 * listener) and `EmitterPosition` (E×C×I, relative to the source), each with
 * a `Type` of `cartesian` (metre) or `spherical` (degree, degree, metre:
 * azimuth counter-clockwise from +x, elevation up, radius).
 *
 * What the writer does so that other tools read the file (checked with
 * h5py and libmysofa's `mysofa2json`, see tests/io/sofa_test.ts):
 * netCDF-4 layout (creation order tracked, dimensions as HDF5 dimension
 * scales named "This is a netCDF dimension but not a netCDF variable." and
 * attached to every variable), float64 variables without compression,
 * fixed-length ASCII attributes, the default HDF5 format version.
 *
 * References:
 * 1. AES69-2022, "AES standard for file exchange — Spatial acoustic data
 *    file format", Audio Engineering Society, 2022; convention tables of
 *    the SOFA Toolbox (GeneralFIR 1.0, GeneralFIR-E 2.0,
 *    SimpleFreeFieldHRIR 1.0).
 * 2. P. Majdak et al., "Spatially Oriented Format for Acoustics: A Data
 *    Exchange Format Representing Head-Related Transfer Functions", AES
 *    134th Convention, paper 8880, 2013.
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import { InputError, type InputFailure, inputFailure, showPlain } from "./errors.ts";

/** The SOFA conventions this module reads and writes. */
export const SOFA_CONVENTIONS = ["GeneralFIR", "GeneralFIR-E", "SimpleFreeFieldHRIR"] as const;
/** A SOFA convention this module handles. */
export type SofaConvention = typeof SOFA_CONVENTIONS[number];

/** Version of each convention the writer declares (`SOFAConventionsVersion`). */
export const SOFA_CONVENTION_VERSIONS: Readonly<Record<SofaConvention, string>> = {
  "GeneralFIR": "1.0",
  "GeneralFIR-E": "2.0",
  "SimpleFreeFieldHRIR": "1.0",
};

/** The SOFA specification version the writer declares (`Version`; AES69-2022 = SOFA 2.1). */
export const SOFA_VERSION = "2.1";

/** A coordinate type of AES69. */
export type SofaCoordinateType = "cartesian" | "spherical";

/** A list of points: `rows` × 3 values, row-major, in the given type. */
export interface SofaPoints {
  /** `cartesian` (x, y, z in metres) or `spherical` (azimuth °, elevation °, radius m). */
  readonly type: SofaCoordinateType;
  /** Row-major values, `3·rows` long. */
  readonly values: Float64Array;
}

/** The content of a SOFA FIR file, one level above HDF5. */
export interface SofaFir {
  /** The convention (global attribute `SOFAConventions`). */
  readonly convention: SofaConvention;
  /** Sample rate in Hz (`Data.SamplingRate`; one value for the whole file). */
  readonly sampleRate: number;
  /** Number of measurements M. */
  readonly measurements: number;
  /** Number of receivers R. */
  readonly receivers: number;
  /** Number of emitters E (1 unless GeneralFIR-E). */
  readonly emitters: number;
  /** IR length N in samples. */
  readonly samples: number;
  /**
   * `Data.IR` flattened in the order M, R, E, N: the IR of measurement m,
   * receiver r, emitter e is `ir.subarray(((m·R + r)·E + e)·N, … + N)`.
   * (GeneralFIR-E stores M×R×N×E on disk; the reader and writer transpose.)
   */
  readonly ir: Float64Array;
  /** `Data.Delay` in samples, flattened M×R×E (expanded from I×R / M×R / I×R×E). */
  readonly delaySamples: Float64Array;
  /** ListenerPosition: 1 or M rows. */
  readonly listenerPosition: SofaPoints;
  /** ListenerView (optional in GeneralFIR-E): 1 or M rows. */
  readonly listenerView?: SofaPoints;
  /** ListenerUp (optional): 1 or M rows, cartesian. */
  readonly listenerUp?: SofaPoints;
  /** SourcePosition: 1 or M rows. */
  readonly sourcePosition: SofaPoints;
  /** SourceView (optional): 1 or M rows. */
  readonly sourceView?: SofaPoints;
  /** SourceUp (optional): 1 or M rows, cartesian. */
  readonly sourceUp?: SofaPoints;
  /** ReceiverPosition relative to the listener: R rows. */
  readonly receiverPosition: SofaPoints;
  /** EmitterPosition relative to the source: E rows. */
  readonly emitterPosition: SofaPoints;
  /** Global attributes (strings), including the required ones. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Offset of the IR of (m, r, e) in {@linkcode SofaFir.ir}. */
export function sofaIrOffset(sofa: SofaFir, m: number, r: number, e: number): number {
  return ((m * sofa.receivers + r) * sofa.emitters + e) * sofa.samples;
}

/** The row of `points` for measurement m (a one-row list applies to every measurement). */
export function sofaRow(points: SofaPoints, m: number): [number, number, number] {
  const rows = points.values.length / 3;
  const i = rows === 1 ? 0 : m;
  return [points.values[3 * i]!, points.values[3 * i + 1]!, points.values[3 * i + 2]!];
}

/** A point as cartesian x, y, z in metres (spherical: azimuth, elevation in degrees, radius). */
export function sofaCartesian(
  type: SofaCoordinateType,
  [a, b, c]: readonly [number, number, number],
): [number, number, number] {
  if (type === "cartesian") return [a, b, c];
  const az = (a * Math.PI) / 180, el = (b * Math.PI) / 180;
  return [c * Math.cos(el) * Math.cos(az), c * Math.cos(el) * Math.sin(az), c * Math.sin(el)];
}

let ready: Promise<unknown> | undefined;
async function library(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

// ---------------------------------------------------------------- reading

/**
 * Read a SOFA file of convention GeneralFIR, GeneralFIR-E or
 * SimpleFreeFieldHRIR.
 *
 * @param path The `.sofa` file.
 * @returns Its content with every variable expanded to the shapes of {@linkcode SofaFir}.
 * @throws {InputError} for a file that is not HDF5, not SOFA, of another
 *   convention, or whose variables break the convention's dimensions (the
 *   message names the file, the variable and the value).
 *
 * @example
 * ```ts ignore
 * import { readSofa } from "./sofa.ts";
 * const sofa = await readSofa("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa");
 * console.log(sofa.convention, sofa.measurements, sofa.receivers, sofa.samples); // SimpleFreeFieldHRIR 710 2 512
 * ```
 */
export async function readSofa(path: string): Promise<SofaFir> {
  const fail: InputFailure = inputFailure(`read SOFA file "${path}"`, path, showPlain);
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) fail("the path", "must name a regular file", path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    fail("the path", "must name an existing file", path, error);
  }
  const magic = new Uint8Array(8);
  const handle = await Deno.open(path);
  try {
    await handle.read(magic);
  } finally {
    handle.close();
  }
  const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!HDF5_MAGIC.every((b, i) => magic[i] === b)) {
    fail("the HDF5 signature", "must open the file (SOFA is HDF5 / netCDF-4)", "missing");
  }
  const lib = await library();
  const file = new lib.File(path, "r");
  try {
    return readOpenFile(file, fail);
  } finally {
    file.close();
  }
}

type Fail = (field: string, rule: string, value: unknown, cause?: unknown) => never;
type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

function attributeText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string") return value[0];
  return String(value);
}

function readOpenFile(file: H5File, fail: Fail): SofaFir {
  const attributes: Record<string, string> = {};
  for (const [name, attr] of Object.entries(file.attrs)) {
    // "_NCProperties" and the like are netCDF's bookkeeping, not SOFA metadata (and
    // libmysofa refuses a file that copies them)
    if (name.startsWith("_")) continue;
    try {
      attributes[name] = attributeText(attr.value);
    } catch {
      // attributes of types we cannot show (references) are not SOFA metadata
    }
  }
  if (attributes["Conventions"] !== "SOFA") {
    fail("global attribute Conventions", 'must be "SOFA"', attributes["Conventions"] ?? "missing");
  }
  const convention = attributes["SOFAConventions"];
  if (!SOFA_CONVENTIONS.includes(convention as SofaConvention)) {
    fail(
      "global attribute SOFAConventions",
      `must be one of ${SOFA_CONVENTIONS.join(", ")}`,
      convention ?? "missing",
    );
  }
  const conv = convention as SofaConvention;
  const dataType = attributes["DataType"];
  const wantType = conv === "GeneralFIR-E" ? "FIR-E" : "FIR";
  if (dataType !== wantType) {
    fail("global attribute DataType", `must be "${wantType}" for ${conv}`, dataType ?? "missing");
  }

  const dataset = (name: string, required: boolean): H5Dataset | undefined => {
    const node = file.get(name);
    if (node === null || node === undefined) {
      if (required) fail(`variable ${name}`, "must exist", "missing");
      return undefined;
    }
    if (!(node instanceof h5wasm.Dataset)) fail(`variable ${name}`, "must be a dataset", "a group");
    return node as H5Dataset;
  };
  const numbers = (d: H5Dataset, name: string): Float64Array => {
    const v = d.value as unknown;
    if (v instanceof Float64Array) return v;
    if (v instanceof Float32Array || Array.isArray(v)) return Float64Array.from(v as number[]);
    if (typeof v === "number") return Float64Array.of(v);
    return fail(`variable ${name}`, "must hold numbers", d.dtype);
  };
  const shapeOf = (d: H5Dataset): number[] => (d.shape ?? []).map(Number);

  const irSet = dataset("Data.IR", true)!;
  const irShape = shapeOf(irSet);
  const wantRank = conv === "GeneralFIR-E" ? 4 : 3;
  if (irShape.length !== wantRank) {
    fail(
      "variable Data.IR",
      `must have ${wantRank} dimensions (${conv === "GeneralFIR-E" ? "M×R×N×E" : "M×R×N"})`,
      `shape ${JSON.stringify(irShape)}`,
    );
  }
  const [M, R, N] = irShape as [number, number, number];
  const E = conv === "GeneralFIR-E" ? irShape[3]! : 1;
  if (!(M >= 1 && R >= 1 && N >= 1 && E >= 1)) {
    fail(
      "variable Data.IR",
      "must hold at least one IR of at least one sample",
      JSON.stringify(irShape),
    );
  }
  const raw = numbers(irSet, "Data.IR");
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isFinite(raw[i]!)) {
      fail("variable Data.IR", "must hold finite samples", `${raw[i]} at flat index ${i}`);
    }
  }
  let ir = raw;
  if (E > 1) {
    // on disk M×R×N×E, in memory M×R×E×N
    ir = new Float64Array(raw.length);
    for (let mr = 0; mr < M * R; mr++) {
      for (let n = 0; n < N; n++) {
        for (let e = 0; e < E; e++) ir[(mr * E + e) * N + n] = raw[(mr * N + n) * E + e]!;
      }
    }
  }

  const rateSet = dataset("Data.SamplingRate", true)!;
  const rates = numbers(rateSet, "Data.SamplingRate");
  const sampleRate = rates[0]!;
  if (!(rates.length === 1 || rates.length === M) || !rates.every((r) => r === sampleRate)) {
    fail(
      "variable Data.SamplingRate",
      "must be one sample rate for the whole file",
      Array.from(rates).slice(0, 4).join(", "),
    );
  }
  if (!(Number.isInteger(sampleRate) && sampleRate >= 8000 && sampleRate <= 768000)) {
    fail(
      "variable Data.SamplingRate",
      "must be an integer number of Hz in [8000, 768000]",
      sampleRate,
    );
  }
  const rateUnits = attributeText(rateSet.attrs["Units"]?.value).toLowerCase();
  if (rateUnits !== "" && rateUnits !== "hertz" && rateUnits !== "hz") {
    fail("attribute Data.SamplingRate:Units", 'must be "hertz"', rateUnits);
  }

  const delaySamples = new Float64Array(M * R * E);
  const delaySet = dataset("Data.Delay", false);
  if (delaySet) {
    const d = numbers(delaySet, "Data.Delay");
    const shape = shapeOf(delaySet);
    const rows = shape[0] ?? 1;
    const perE = shape.length >= 3 ? shape[2]! : 1;
    if (!((rows === 1 || rows === M) && (shape[1] ?? 1) === R && (perE === 1 || perE === E))) {
      fail(
        "variable Data.Delay",
        `must be I×R or M×R (×E) with M=${M}, R=${R}, E=${E}`,
        JSON.stringify(shape),
      );
    }
    for (let m = 0; m < M; m++) {
      for (let r = 0; r < R; r++) {
        for (let e = 0; e < E; e++) {
          const v = d[((rows === 1 ? 0 : m) * R + r) * perE + (perE === 1 ? 0 : e)]!;
          if (!(Number.isFinite(v) && v >= 0)) {
            fail("variable Data.Delay", "must hold finite delays >= 0 samples", v);
          }
          delaySamples[(m * R + r) * E + e] = v;
        }
      }
    }
  }

  const points = (
    name: string,
    rows: readonly number[],
    required: boolean,
  ): SofaPoints | undefined => {
    const d = dataset(name, required);
    if (!d) return undefined;
    const values = numbers(d, name);
    const shape = shapeOf(d);
    // X×C or X×C×I (receivers, emitters); an X×C×M list keeps the first measurement's positions
    const count = shape[0] ?? 0;
    if (shape[1] !== 3 || !rows.includes(count)) {
      fail(
        `variable ${name}`,
        `must be ${rows.join(" or ")} rows of 3 coordinates`,
        JSON.stringify(shape),
      );
    }
    let flat = values;
    if (shape.length === 3 && shape[2]! > 1) {
      flat = new Float64Array(count * 3);
      for (let i = 0; i < count * 3; i++) flat[i] = values[i * shape[2]!]!;
    } else if (shape.length === 3) flat = values.slice(0, count * 3);
    for (const v of flat) {
      if (!Number.isFinite(v)) fail(`variable ${name}`, "must hold finite coordinates", v);
    }
    const typeText = attributeText(d.attrs["Type"]?.value).toLowerCase() || "cartesian";
    if (typeText !== "cartesian" && typeText !== "spherical") {
      fail(`attribute ${name}:Type`, 'must be "cartesian" or "spherical"', typeText);
    }
    return { type: typeText as SofaCoordinateType, values: flat };
  };
  const perMeasurement = [1, M];
  const listenerPosition = points("ListenerPosition", perMeasurement, true)!;
  const sourcePosition = points("SourcePosition", perMeasurement, true)!;
  const receiverPosition = points("ReceiverPosition", [R], true)!;
  const emitterPosition = conv === "GeneralFIR-E" ? points("EmitterPosition", [E], true)! : points(
    "EmitterPosition",
    [(dataset("EmitterPosition", false)?.shape?.[0] ?? 1) as number],
    false,
  ) ??
    { type: "cartesian" as const, values: new Float64Array(3) };
  const listenerView = points("ListenerView", perMeasurement, conv === "SimpleFreeFieldHRIR");
  const listenerUp = points("ListenerUp", perMeasurement, false);
  const sourceView = points("SourceView", perMeasurement, false);
  const sourceUp = points("SourceUp", perMeasurement, false);

  return {
    convention: conv,
    sampleRate,
    measurements: M,
    receivers: R,
    emitters: E,
    samples: N,
    ir,
    delaySamples,
    listenerPosition,
    sourcePosition,
    receiverPosition,
    emitterPosition: conv === "GeneralFIR-E"
      ? emitterPosition
      : { type: emitterPosition.type, values: emitterPosition.values.slice(0, 3) },
    ...(listenerView ? { listenerView } : {}),
    ...(listenerUp ? { listenerUp } : {}),
    ...(sourceView ? { sourceView } : {}),
    ...(sourceUp ? { sourceUp } : {}),
    attributes,
  };
}

// ---------------------------------------------------------------- writing

/** Zero bytes written after the HDF5 data (see {@linkcode writeSofa}). */
const TRAILING_ZERO_BYTES = 16;

/** Text netCDF-4 gives a dimension that has no variable of its own. */
function dimensionScaleName(size: number): string {
  return `This is a netCDF dimension but not a netCDF variable.${String(size).padStart(10)}`;
}

/** The global attributes every convention requires (AES69 "m" flag), with the writer's defaults. */
export function requiredSofaAttributes(convention: SofaConvention): string[] {
  const base = [
    "Conventions",
    "Version",
    "SOFAConventions",
    "SOFAConventionsVersion",
    "APIName",
    "APIVersion",
    "AuthorContact",
    "DataType",
    "License",
    "Organization",
    "RoomType",
    "DateCreated",
    "DateModified",
    "Title",
  ];
  return convention === "SimpleFreeFieldHRIR"
    ? [...base, "DatabaseName", "ListenerShortName"]
    : base;
}

function unitsOf(type: SofaCoordinateType): string {
  return type === "cartesian" ? "metre" : "degree, degree, metre";
}

/**
 * Write a SOFA file (see the module doc for the layout other tools need).
 * The file is built under a temporary name beside `path` and renamed into
 * place, so a failed write leaves nothing behind.
 *
 * Required global attributes missing from `sofa.attributes` are filled:
 * `Conventions`, `Version`, `SOFAConventions(Version)`, `DataType`,
 * `APIName`/`APIVersion` (spatialcal), `DateCreated`/`DateModified` (now),
 * `RoomType` (`free field`), `License`, and empty `AuthorContact`,
 * `Organization`, `Title`, `DatabaseName`, `ListenerShortName`.
 *
 * @param path Destination `.sofa` file (replaced if it exists).
 * @param sofa The content; `delaySamples` is written as I×R(×E) when all
 *   measurements share it, else M×R(×E).
 * @throws {RangeError} for inconsistent sizes (IR length ≠ M·R·E·N, point lists of the wrong row count).
 */
export async function writeSofa(path: string, sofa: SofaFir): Promise<void> {
  checkSizes(sofa);
  const lib = await library();
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const file = new lib.File(tmp, "w", { track_order: true });
    try {
      writeOpenFile(file, sofa);
    } finally {
      file.close();
    }
    // libmysofa walks a fractal-heap block by reading each object's type, offset and length
    // before it looks at the type; when the global attributes' last heap block ends within 3
    // bytes of the end of the file, that read runs past the end and it refuses the file
    // ("unsupported format", for about one attribute length in 256). Zeros appended and
    // counted as allocated in the superblock end its walk; HDF5 leaves them unused.
    await Deno.writeFile(tmp, padHdf5File(await Deno.readFile(tmp), TRAILING_ZERO_BYTES));
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

function checkSizes(sofa: SofaFir): void {
  const { measurements: M, receivers: R, emitters: E, samples: N } = sofa;
  const bad = (what: string, want: string, value: unknown): never => {
    throw new RangeError(`Cannot write SOFA as ${what} must be ${want}: current value is ${value}`);
  };
  for (
    const [name, v] of [["measurements", M], ["receivers", R], ["emitters", E], [
      "samples",
      N,
    ]] as const
  ) {
    if (!Number.isInteger(v) || v < 1) bad(name, "an integer >= 1", v);
  }
  if (sofa.convention !== "GeneralFIR-E" && E !== 1) bad("emitters", `1 for ${sofa.convention}`, E);
  if (sofa.convention === "SimpleFreeFieldHRIR" && R !== 2) {
    bad("receivers", "2 (two ears) for SimpleFreeFieldHRIR", R);
  }
  if (sofa.ir.length !== M * R * E * N) {
    bad("ir.length", `M·R·E·N = ${M * R * E * N}`, sofa.ir.length);
  }
  if (sofa.delaySamples.length !== M * R * E) {
    bad("delaySamples.length", `M·R·E = ${M * R * E}`, sofa.delaySamples.length);
  }
  const rows = (p: SofaPoints | undefined, name: string, allowed: number[]) => {
    if (p && !allowed.includes(p.values.length / 3)) {
      bad(`${name} rows`, allowed.join(" or "), p.values.length / 3);
    }
  };
  rows(sofa.listenerPosition, "listenerPosition", [1, M]);
  rows(sofa.sourcePosition, "sourcePosition", [1, M]);
  rows(sofa.listenerView, "listenerView", [1, M]);
  rows(sofa.listenerUp, "listenerUp", [1, M]);
  rows(sofa.sourceView, "sourceView", [1, M]);
  rows(sofa.sourceUp, "sourceUp", [1, M]);
  rows(sofa.receiverPosition, "receiverPosition", [R]);
  rows(sofa.emitterPosition, "emitterPosition", [E]);
  if (!(Number.isInteger(sofa.sampleRate) && sofa.sampleRate > 0)) {
    bad("sampleRate", "a positive integer", sofa.sampleRate);
  }
}

function writeOpenFile(file: H5File, sofa: SofaFir): void {
  const { convention, measurements: M, receivers: R, emitters: E, samples: N } = sofa;
  const now = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
  const defaults: Record<string, string> = {
    Conventions: "SOFA",
    Version: SOFA_VERSION,
    SOFAConventions: convention,
    SOFAConventionsVersion: SOFA_CONVENTION_VERSIONS[convention],
    APIName: "spatialcal",
    APIVersion: "0.1.0",
    AuthorContact: "",
    DataType: convention === "GeneralFIR-E" ? "FIR-E" : "FIR",
    License: "No license provided, ask the author for permission",
    Organization: "",
    RoomType: "free field",
    DateCreated: now,
    DateModified: now,
    Title: "",
    ...(convention === "SimpleFreeFieldHRIR" ? { DatabaseName: "", ListenerShortName: "" } : {}),
  };
  // fixed ones first and in the convention's order, then the caller's others
  const fixed = new Set([
    "Conventions",
    "Version",
    "SOFAConventions",
    "SOFAConventionsVersion",
    "DataType",
  ]);
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaults)) {
    attributes[k] = fixed.has(k) ? v : (sofa.attributes[k] ?? v);
  }
  for (const [k, v] of Object.entries(sofa.attributes)) attributes[k] ??= v;
  for (const [name, value] of Object.entries(attributes)) writeText(file, name, value);

  // dimensions (netCDF dimension scales); sizes as netCDF-4 stores them (float32 placeholders)
  const dims: Record<string, number> = { I: 1, C: 3, M, R, N };
  if (convention === "GeneralFIR-E" || E > 1) dims["E"] = E;
  else dims["E"] = 1;
  for (const [name, size] of Object.entries(dims)) {
    const d = file.create_dataset({
      name,
      data: new Float32Array(size),
      shape: [size],
      dtype: "<f4",
    });
    d.make_scale(dimensionScaleName(size));
  }

  const variable = (
    name: string,
    data: Float64Array,
    dimNames: string[],
    attrs: Record<string, string> = {},
  ): void => {
    const shape = dimNames.map((d) => dims[d]!);
    const d = file.create_dataset({ name, data, shape, dtype: "<d" });
    for (const [k, v] of Object.entries(attrs)) writeText(d, k, v);
    dimNames.forEach((dim, i) => d.attach_scale(i, dim));
  };
  const pointVariable = (name: string, p: SofaPoints | undefined, rowDim: string): void => {
    if (!p) return;
    const rows = p.values.length / 3;
    const dimNames = rowDim === "R" || rowDim === "E"
      ? [rowDim, "C", "I"]
      : [rows === 1 ? "I" : "M", "C"];
    const typed = name.endsWith("Up") ? {} : { Type: p.type, Units: unitsOf(p.type) };
    variable(name, p.values, dimNames, typed);
  };
  pointVariable("ListenerPosition", sofa.listenerPosition, "M");
  pointVariable("ReceiverPosition", sofa.receiverPosition, "R");
  pointVariable("SourcePosition", sofa.sourcePosition, "M");
  pointVariable("EmitterPosition", sofa.emitterPosition, "E");
  pointVariable("ListenerUp", sofa.listenerUp, "M");
  pointVariable("ListenerView", sofa.listenerView, "M");
  pointVariable("SourceUp", sofa.sourceUp, "M");
  pointVariable("SourceView", sofa.sourceView, "M");

  if (convention === "GeneralFIR-E") {
    const onDisk = new Float64Array(sofa.ir.length);
    for (let mr = 0; mr < M * R; mr++) {
      for (let e = 0; e < E; e++) {
        for (let n = 0; n < N; n++) onDisk[(mr * N + n) * E + e] = sofa.ir[(mr * E + e) * N + n]!;
      }
    }
    variable("Data.IR", onDisk, ["M", "R", "N", "E"]);
  } else {
    variable("Data.IR", sofa.ir, ["M", "R", "N"]);
  }
  variable("Data.SamplingRate", Float64Array.of(sofa.sampleRate), ["I"], { Units: "hertz" });
  const shared = sofa.delaySamples.every((v, i) => v === sofa.delaySamples[i % (R * E)]);
  const delay = shared ? sofa.delaySamples.slice(0, R * E) : sofa.delaySamples;
  const delayDims = [shared ? "I" : "M", "R", ...(convention === "GeneralFIR-E" ? ["E"] : [])];
  variable("Data.Delay", delay, delayDims);
}

/** A fixed-length ASCII string attribute (libmysofa reads neither variable-length nor UTF-8 ones). */
function writeText(
  target: { create_attribute: H5File["create_attribute"] },
  name: string,
  value: string,
): void {
  const bytes = new TextEncoder().encode(value);
  const ascii = bytes.length === value.length ? value : value.replace(/[^\x20-\x7e\n]/g, "?");
  target.create_attribute(name, ascii, null, `A${Math.max(1, ascii.length)}` as never);
}

/**
 * `bytes` (an HDF5 file with a version 2 or 3 superblock at offset 0, 8-byte
 * addresses) with `count` zero bytes appended and the superblock's end-of-file
 * address and checksum updated to cover them.
 */
export function padHdf5File(bytes: Uint8Array, count: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8];
  if ((version !== 2 && version !== 3) || bytes[9] !== 8) {
    throw new RangeError(
      `Cannot pad HDF5 file as it must have a version 2 or 3 superblock with 8-byte addresses: current version is ${version}, address size ${
        bytes[9]
      }`,
    );
  }
  const eof = view.getBigUint64(28, true);
  if (eof !== BigInt(bytes.length)) {
    throw new RangeError(
      `Cannot pad HDF5 file as its end-of-file address must be its length (${bytes.length}): current value is ${eof}`,
    );
  }
  const out = new Uint8Array(bytes.length + count);
  out.set(bytes);
  const outView = new DataView(out.buffer);
  outView.setBigUint64(28, BigInt(out.length), true);
  outView.setUint32(44, lookup3(out.subarray(0, 44)), true);
  return out;
}

/**
 * Bob Jenkins' lookup3 `hashlittle` with initial value 0, the checksum of
 * HDF5's version 2 superblock (H5_checksum_lookup3).
 * Reference: B. Jenkins, "lookup3.c", 2006 (public domain).
 */
export function lookup3(key: Uint8Array): number {
  const rot = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  let length = key.length;
  let a = (0xdeadbeef + length) >>> 0, b = a, c = a;
  let i = 0;
  const word = (j: number) =>
    (key[j]! | (key[j + 1]! << 8) | (key[j + 2]! << 16) | (key[j + 3]! << 24)) >>> 0;
  while (length > 12) {
    a = (a + word(i)) >>> 0;
    b = (b + word(i + 4)) >>> 0;
    c = (c + word(i + 8)) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    length -= 12;
    i += 12;
  }
  if (length === 0) return c;
  const tail = new Uint8Array(12);
  tail.set(key.subarray(i, i + length));
  const t = (j: number) =>
    (tail[j]! | (tail[j + 1]! << 8) | (tail[j + 2]! << 16) | (tail[j + 3]! << 24)) >>> 0;
  a = (a + t(0)) >>> 0;
  b = (b + t(4)) >>> 0;
  c = (c + t(8)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 24)) >>> 0;
  return c;
}
