/**
 * The capture list `deno task import --captures` reads: which file and
 * channel holds each capture of a measurement set that was made with other
 * tools (a DAW, APx, REW), and where the mic was.
 *
 * Two spellings of the same table:
 *
 * - **CSV** (`.csv`, RFC 4180: comma-separated, a header row, fields may be
 *   double-quoted, `""` inside quotes is a quote; blank lines are skipped);
 * - **JSON** (`.json`): `{ "format": "spatialcal.capture-list", "version": 1,
 *   "captures": [ { "file": …, … } ] }` with the same keys and JSON types.
 *
 * Columns (snake_case, units in the name):
 *
 * | column | | meaning |
 * | --- | --- | --- |
 * | `file` | required | WAV path, relative to the list's folder |
 * | `channel` | default 1 | 1-based channel of that file |
 * | `driver` | required | driver id (letters, digits, `-`, `_`) |
 * | `driver_kind` | default `unknown` | `midrange`, `tweeter`, `woofer`, … |
 * | `mic` | required | mic id |
 * | `role` | required | `ear-left`, `ear-right` or `reference` |
 * | `azimuth_deg`, `elevation_deg`, `distance_m` | required | position (DESIGN.md conventions) |
 * | `head_yaw_deg` | optional | head yaw, counter-clockwise, 0 = facing the device |
 * | `kind` | required | `ir` (an impulse response from another tool) or `recording` (a recording of the sweep) |
 * | `mic_sensitivity_dbfs` | optional | the mic's level in dBFS for 94 dB SPL (same for every row of that mic) |
 * | `mic_response_file` | optional | the mic's frequency-response calibration file (`Hz dB [phase]` lines), relative to the list's folder |
 *
 * @module
 */
import { dirname } from "node:path";
import { InputError, inputError } from "./errors.ts";
import { type ManifestMicRole, MIC_ROLES } from "./manifest.ts";

/** The `format` string of a JSON capture list. */
export const CAPTURE_LIST_FORMAT = "spatialcal.capture-list";
/** What a capture-list file holds: an impulse response or a sweep recording. */
export const CAPTURE_KINDS = ["ir", "recording"] as const;
/** One of {@linkcode CAPTURE_KINDS}. */
export type CaptureKind = typeof CAPTURE_KINDS[number];

/** One row of a capture list. */
export interface CaptureListEntry {
  /** 1-based row number in the file (CSV: line of the row; JSON: index + 1), for messages. */
  readonly row: number;
  /** WAV path as written in the list (relative to the list's folder, or absolute). */
  readonly file: string;
  /** 1-based channel of the WAV. */
  readonly channel: number;
  /** Driver id. */
  readonly driver: string;
  /** Driver kind. */
  readonly driverKind: string;
  /** Mic id. */
  readonly mic: string;
  /** Mic role. */
  readonly role: ManifestMicRole;
  /** Degrees counter-clockwise from the device's front. */
  readonly azimuthDeg: number;
  /** Degrees up, -90..90. */
  readonly elevationDeg: number;
  /** Meters, > 0. */
  readonly distanceMeters: number;
  /** Head yaw in degrees, if given. */
  readonly headYawDeg?: number;
  /** What the file holds. */
  readonly kind: CaptureKind;
  /** Mic sensitivity, dBFS for 94 dB SPL, if given. */
  readonly micSensitivityDbfs?: number;
  /** Mic response calibration file, if given. */
  readonly micResponseFile?: string;
}

/** A parsed capture list. */
export interface CaptureList {
  /** The list's path as given. */
  readonly file: string;
  /** The folder relative paths are resolved against. */
  readonly folder: string;
  /** Its rows. */
  readonly entries: readonly CaptureListEntry[];
}

const COLUMNS = [
  "file",
  "channel",
  "driver",
  "driver_kind",
  "mic",
  "role",
  "azimuth_deg",
  "elevation_deg",
  "distance_m",
  "head_yaw_deg",
  "kind",
  "mic_sensitivity_dbfs",
  "mic_response_file",
] as const;
const REQUIRED = [
  "file",
  "driver",
  "mic",
  "role",
  "azimuth_deg",
  "elevation_deg",
  "distance_m",
  "kind",
];
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Split CSV text into rows of fields (RFC 4180), with the 1-based line each row starts on.
 * Blank lines are skipped.
 */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false, wasQuoted = false;
  let line = 1, rowLine = 1;
  const endField = () => {
    fields.push(wasQuoted ? field : field.trim());
    field = "";
    wasQuoted = false;
  };
  const endRow = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === "")) rows.push({ line: rowLine, fields });
    fields = [];
  };
  const s = text.startsWith("\ufeff") ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === "") {
      quoted = true;
      wasQuoted = true;
      field = "";
    } else if (ch === ",") endField();
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && s[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (field !== "" || fields.length > 0 || wasQuoted) endRow();
  return rows;
}

/**
 * Parse a capture list (CSV or JSON, chosen by the file's extension) and
 * check every field.
 *
 * @param text The file's text.
 * @param file Its path (the extension picks the spelling; its folder resolves relative paths).
 * @returns The list.
 * @throws {InputError} naming the file, the row, the column and the value.
 *
 * @example
 * ```ts
 * import { parseCaptureList } from "./capture_list.ts";
 * const list = parseCaptureList(
 *   "file,channel,driver,mic,role,azimuth_deg,elevation_deg,distance_m,kind\n" +
 *     "left.wav,1,mid-left,ear-left,ear-left,0,0,2,ir\n",
 *   "lab/captures.csv",
 * );
 * console.log(list.entries[0]!.driver); // "mid-left"
 * ```
 */
export function parseCaptureList(text: string, file: string): CaptureList {
  const lower = file.toLowerCase();
  let records: { row: number; values: Record<string, unknown> }[];
  if (lower.endsWith(".json")) records = jsonRecords(text, file);
  else if (lower.endsWith(".csv")) records = csvRecords(text, file);
  else {
    throw new InputError(
      `Cannot read capture list "${file}" as its name must end in ".csv" or ".json"`,
      { file, field: "file", value: file },
    );
  }
  if (records.length === 0) {
    throw new InputError(`Cannot read capture list "${file}" as it lists no captures`, {
      file,
      field: "captures",
      value: 0,
    });
  }
  const entries = records.map((r) => entry(r.row, r.values, file, lower.endsWith(".json")));
  checkConsistent(entries, file);
  return { file, folder: dirname(file), entries };
}

/**
 * Read and parse a capture list file ({@linkcode parseCaptureList}).
 *
 * @throws {InputError} for a missing file and everything parseCaptureList refuses.
 */
export async function readCaptureList(path: string): Promise<CaptureList> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      throw new InputError(`Cannot read capture list "${path}" as the file does not exist`, {
        file: path,
        field: "file",
        value: path,
        cause: error,
      });
    }
    throw error;
  }
  return parseCaptureList(text, path);
}

function fail(file: string, where: string, field: string, rule: string, value: unknown): never {
  const show = (v: unknown) => v === undefined ? "missing" : JSON.stringify(v);
  throw inputError({
    action: `read capture list "${file}"`,
    file,
    field: `${where} ${field}`,
    rule,
    value,
    show,
  });
}

function csvRecords(text: string, file: string) {
  const rows = parseCsv(text);
  if (rows.length === 0) {
    throw new InputError(`Cannot read capture list "${file}" as it is empty (no header row)`, {
      file,
      field: "header",
      value: "",
    });
  }
  const header = rows[0]!.fields;
  header.forEach((name, i) => {
    if (!(COLUMNS as readonly string[]).includes(name)) {
      fail(
        file,
        "the header",
        `column ${i + 1}`,
        `must be one of ${COLUMNS.join(", ")}`,
        name,
      );
    }
    if (header.indexOf(name) !== i) {
      fail(file, "the header", `column ${i + 1}`, "repeats a column", name);
    }
  });
  for (const name of REQUIRED.filter((n) => n !== "channel")) {
    if (!header.includes(name)) fail(file, "the header", name, "is a required column", undefined);
  }
  return rows.slice(1).map(({ line, fields }) => {
    if (fields.length !== header.length) {
      fail(
        file,
        `row ${line}`,
        "the number of fields",
        `must equal the header's (${header.length})`,
        fields.length,
      );
    }
    const values: Record<string, unknown> = {};
    header.forEach((name, i) => {
      if (fields[i] !== "") values[name] = fields[i];
    });
    return { row: line, values };
  });
}

function jsonRecords(text: string, file: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `Cannot read capture list "${file}" as it is not valid JSON: ${(error as Error).message}`,
      { file, field: "file", value: undefined, cause: error },
    );
  }
  const o = json as Record<string, unknown>;
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    fail(file, "the file", "", "must hold a JSON object", json);
  }
  if (o.format !== CAPTURE_LIST_FORMAT) {
    fail(file, "the file", "format", `must be "${CAPTURE_LIST_FORMAT}"`, o.format);
  }
  if (o.version !== 1) fail(file, "the file", "version", "must be 1", o.version);
  if (!Array.isArray(o.captures)) {
    fail(file, "the file", "captures", "must be an array", o.captures);
  }
  return (o.captures as unknown[]).map((value, i) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(file, `captures[${i}]`, "", "must be an object", value);
    }
    for (const key of Object.keys(value)) {
      if (!(COLUMNS as readonly string[]).includes(key)) {
        fail(file, `captures[${i}]`, key, `is not a field (fields: ${COLUMNS.join(", ")})`, key);
      }
    }
    return { row: i + 1, values: value as Record<string, unknown> };
  });
}

function entry(
  row: number,
  v: Record<string, unknown>,
  file: string,
  json: boolean,
): CaptureListEntry {
  const where = json ? `captures[${row - 1}]` : `row ${row}`;
  const text = (name: string, required: boolean): string | undefined => {
    const x = v[name];
    if (x === undefined) {
      if (required) fail(file, where, name, "is required", undefined);
      return undefined;
    }
    if (typeof x !== "string" || x.length === 0) {
      fail(file, where, name, "must be a non-empty string", x);
    }
    return x;
  };
  const number = (
    name: string,
    required: boolean,
    rule: string,
    ok: (x: number) => boolean = () => true,
  ): number | undefined => {
    const x = v[name];
    if (x === undefined) {
      if (required) fail(file, where, name, "is required", undefined);
      return undefined;
    }
    const n = typeof x === "number" ? x : typeof x === "string" && !json ? Number(x) : NaN;
    if (!Number.isFinite(n) || !ok(n)) fail(file, where, name, rule, x);
    return n;
  };
  const id = (name: string): string => {
    const x = text(name, true)!;
    if (!ID.test(x)) {
      fail(
        file,
        where,
        name,
        'must be an id of letters, digits, "-" and "_" starting with a letter or digit',
        x,
      );
    }
    return x;
  };
  const role = text("role", true)!;
  if (!(MIC_ROLES as readonly string[]).includes(role)) {
    fail(file, where, "role", `must be one of ${MIC_ROLES.join(", ")}`, role);
  }
  const kind = text("kind", true)!;
  if (!(CAPTURE_KINDS as readonly string[]).includes(kind)) {
    fail(file, where, "kind", `must be one of ${CAPTURE_KINDS.join(", ")}`, kind);
  }
  const headYawDeg = number("head_yaw_deg", false, "must be a finite number of degrees");
  const micSensitivityDbfs = number(
    "mic_sensitivity_dbfs",
    false,
    "must be a number of dBFS <= 0",
    (x) => x <= 0,
  );
  const micResponseFile = text("mic_response_file", false);
  return {
    row,
    file: text("file", true)!,
    channel: number(
      "channel",
      false,
      "must be a channel number >= 1",
      (x) => Number.isInteger(x) && x >= 1,
    ) ?? 1,
    driver: id("driver"),
    driverKind: text("driver_kind", false) ?? "unknown",
    mic: id("mic"),
    role: role as ManifestMicRole,
    azimuthDeg: number("azimuth_deg", true, "must be a finite number of degrees")!,
    elevationDeg: number(
      "elevation_deg",
      true,
      "must be a number of degrees from -90 to 90",
      (x) => x >= -90 && x <= 90,
    )!,
    distanceMeters: number(
      "distance_m",
      true,
      "must be a positive number of meters",
      (x) => x > 0,
    )!,
    ...(headYawDeg === undefined ? {} : { headYawDeg }),
    kind: kind as CaptureKind,
    ...(micSensitivityDbfs === undefined ? {} : { micSensitivityDbfs }),
    ...(micResponseFile === undefined ? {} : { micResponseFile }),
  };
}

/** A driver keeps one kind, a mic one role and one calibration, across the rows. */
function checkConsistent(entries: readonly CaptureListEntry[], file: string): void {
  const first = new Map<string, CaptureListEntry>();
  for (const e of entries) {
    const where = `row ${e.row}`;
    const d = first.get(`driver:${e.driver}`);
    if (d === undefined) first.set(`driver:${e.driver}`, e);
    else if (d.driverKind !== e.driverKind) {
      fail(
        file,
        where,
        "driver_kind",
        `must match row ${d.row}'s for driver "${e.driver}" (${d.driverKind})`,
        e.driverKind,
      );
    }
    const m = first.get(`mic:${e.mic}`);
    if (m === undefined) {
      first.set(`mic:${e.mic}`, e);
      continue;
    }
    if (m.role !== e.role) {
      fail(file, where, "role", `must match row ${m.row}'s for mic "${e.mic}" (${m.role})`, e.role);
    }
    if (m.micSensitivityDbfs !== e.micSensitivityDbfs) {
      fail(
        file,
        where,
        "mic_sensitivity_dbfs",
        `must match row ${m.row}'s for mic "${e.mic}" (${m.micSensitivityDbfs ?? "none"})`,
        e.micSensitivityDbfs,
      );
    }
    if (m.micResponseFile !== e.micResponseFile) {
      fail(
        file,
        where,
        "mic_response_file",
        `must match row ${m.row}'s for mic "${e.mic}" (${m.micResponseFile ?? "none"})`,
        e.micResponseFile,
      );
    }
  }
}
