/**
 * Measurement sets ↔ SOFA (AES69-2022): the mapping between the project's
 * measurement-set contract (DESIGN.md) and the SOFA FIR conventions.
 *
 * Writing (`GeneralFIR-E`, the default): emitters E = the device's drivers
 * (manifest order), receivers R = the mics (manifest order), measurements
 * M = the set's distinct positions (order of first capture). The device is
 * the SOFA *source* at the origin facing +x (`SourcePosition` [0 0 0],
 * `SourceView` [1 0 0], `SourceUp` [0 0 1]), so the global frame is the
 * device frame of DESIGN.md. The mic or head centre is the *listener*:
 * `ListenerPosition` (M×3, spherical: the position's azimuth, elevation
 * and distance as they are), and
 * `ListenerView` (M×3) the head's facing: towards the device turned by
 * `headYawDeg`. Receivers sit in the listener's frame: an `ear-left` at
 * (0, +0.0875, 0) m, an `ear-right` at (0, −0.0875, 0) m (Duda & Martens'
 * head radius; a set does not record the real one), a reference mic at the
 * origin. `EmitterPosition` is (0, 0, 0) for every driver (a set does not
 * record where its drivers are). IRs keep their sample 0 (the DAC instant),
 * so `Data.Delay` is 0; IRs shorter than the longest are zero-padded.
 * `RoomType` is `reverberant` unless the rig says the set is anechoic.
 *
 * `SimpleFreeFieldHRIR` (a binaural set of one driver): the head is the
 * listener at the origin facing +x, `SourcePosition` (M×3, spherical) is the
 * device as the head sees it: azimuth `−headYawDeg`, elevation
 * `−elevationDeg`, radius `distanceMeters`. This keeps only the device's
 * direction relative to the head, so positions must have `azimuthDeg` 0
 * (the head in front of the device); other sets need GeneralFIR-E.
 *
 * Both write the global attributes `SpatialcalDevice`, `SpatialcalDrivers`
 * and `SpatialcalMics` (JSON: model and serial, driver ids and kinds, mic
 * ids and roles) and, when some driver × mic × position has no capture,
 * `SpatialcalMissingCaptures` (JSON list of [m, r, e]; those IRs are zero).
 *
 * Reading (any GeneralFIR, GeneralFIR-E or SimpleFreeFieldHRIR file): for
 * each measurement m, receiver r and emitter e one capture. The device
 * frame is the source's (`SourceView`, `SourceUp`; a file without
 * `SourceView` has a source that faces the listener, as loudspeakers of an
 * HRTF measurement do); the position is the listener's point in that frame
 * (azimuth, elevation, distance), and `headYawDeg` the angle from the
 * direction towards the source to `ListenerView`. A head-related file thus
 * reads as a head in front of the device (azimuth 0) turned by
 * `−azimuth` of the source and at elevation `−elevation`. Drivers and mics
 * take the `Spatialcal*` attributes' ids when present; otherwise emitters
 * are `emitter-1…`, two receivers on either side of the listener
 * (`ReceiverPosition` y > 0 and y < 0) are `ear-left` / `ear-right`, and
 * other receivers `receiver-1…` with role `reference`. `Data.Delay` is
 * applied (whole samples exactly; fractions with a windowed-sinc delay).
 *
 * @module
 */
import { basename } from "node:path";
import type { Signal } from "../dsp/signal.ts";
import { wrapDeg } from "../dsp/angles.ts";
import { delaySamples as integerDelay, fractionalDelayFir } from "../dsp/delay.ts";
import { resampleImpulseResponse } from "../dsp/resample.ts";
import { type InputFailure, inputFailure } from "./errors.ts";
import {
  type CaptureEntry,
  type CapturePosition,
  type DriverEntry,
  irFileName,
  MEASUREMENT_SET_FORMAT,
  MEASUREMENT_SET_VERSION,
  type MeasurementSet,
  type MeasurementSetManifest,
  MIC_ROLES,
  type MicEntry,
  validateManifest,
  writeMeasurementSet,
} from "./manifest.ts";
import {
  readSofa,
  sofaCartesian,
  type SofaFir,
  sofaIrOffset,
  type SofaPoints,
  sofaRow,
  writeSofa,
} from "./sofa.ts";

/** Ear offset from the head centre written for `ear-left` / `ear-right` receivers, in metres. */
export const SOFA_EAR_OFFSET_METERS = 0.0875;

/** The conventions a measurement set can be written as. */
export type SofaSetConvention = "GeneralFIR-E" | "SimpleFreeFieldHRIR";

/** Options of {@linkcode sofaFromMeasurementSet}. */
export interface SofaFromSetOptions {
  /** Convention to write. Default `"GeneralFIR-E"`. */
  readonly convention?: SofaSetConvention;
}

type V3 = [number, number, number];

function positionKey(p: CapturePosition): string {
  return JSON.stringify([p.azimuthDeg, p.elevationDeg, p.distanceMeters, p.headYawDeg ?? 0]);
}

function listenerPoint(p: CapturePosition): V3 {
  const az = (p.azimuthDeg * Math.PI) / 180, el = (p.elevationDeg * Math.PI) / 180;
  const d = p.distanceMeters;
  return [d * Math.cos(el) * Math.cos(az), d * Math.cos(el) * Math.sin(az), d * Math.sin(el)];
}

/** The head's facing in the device frame: towards the device (horizontally) turned by the yaw. */
function facing(p: CapturePosition): V3 {
  const [x, y] = listenerPoint(p);
  const angle = Math.atan2(0 - y, 0 - x) + ((p.headYawDeg ?? 0) * Math.PI) / 180;
  return [Math.cos(angle), Math.sin(angle), 0];
}

function receiverPoint(mic: MicEntry): V3 {
  if (mic.role === "ear-left") return [0, SOFA_EAR_OFFSET_METERS, 0];
  if (mic.role === "ear-right") return [0, -SOFA_EAR_OFFSET_METERS, 0];
  return [0, 0, 0];
}

/**
 * The SOFA content of a measurement set (see the module doc for the mapping).
 *
 * @param set An opened measurement set ({@linkcode readMeasurementSet}).
 * @param options `convention` (default GeneralFIR-E).
 * @returns The {@linkcode SofaFir} to write with {@linkcode writeSofa}.
 * @throws {InputError} when the set cannot be written in the convention
 *   (SimpleFreeFieldHRIR: not one driver, not two ears, or a position off
 *   azimuth 0), naming the field and value.
 */
export async function sofaFromMeasurementSet(
  set: MeasurementSet,
  options: SofaFromSetOptions = {},
): Promise<SofaFir> {
  const convention = options.convention ?? "GeneralFIR-E";
  const manifest = set.manifest;
  const fail: InputFailure = inputFailure(
    `write measurement set "${set.folder}" as ${convention}`,
    set.folder,
  );
  const drivers = manifest.device.drivers;
  let mics = manifest.mics;
  if (convention === "SimpleFreeFieldHRIR") {
    if (drivers.length !== 1) {
      fail(
        "device.drivers",
        "must hold one driver (one source per file)",
        drivers.map((d) => d.id),
      );
    }
    const left = mics.find((m) => m.role === "ear-left");
    const right = mics.find((m) => m.role === "ear-right");
    if (!left || !right || mics.length !== 2) {
      fail("mics", "must be one ear-left and one ear-right mic", mics.map((m) => m.id));
    }
    mics = [left!, right!];
  }
  const positions: CapturePosition[] = [];
  const index = new Map<string, number>();
  for (const c of manifest.captures) {
    const key = positionKey(c.position);
    if (!index.has(key)) {
      index.set(key, positions.length);
      positions.push(c.position);
    }
  }
  if (positions.length === 0) fail("captures", "must hold at least one capture", []);
  if (convention === "SimpleFreeFieldHRIR") {
    positions.forEach((p, m) => {
      if (Math.abs(p.azimuthDeg) > 1e-9) {
        fail(
          `captures position ${m + 1} azimuthDeg`,
          "must be 0 (SimpleFreeFieldHRIR keeps only the device's direction seen from the head; write GeneralFIR-E to keep the head's place around the device)",
          p.azimuthDeg,
        );
      }
    });
  }
  const M = positions.length, R = mics.length, E = drivers.length;
  const irs = new Map<string, Float64Array>();
  let N = 1;
  for (const c of manifest.captures) {
    const signal = await set.readIr(c);
    const ir = signal.channels[0]!;
    N = Math.max(N, ir.length);
    const m = index.get(positionKey(c.position))!;
    const r = mics.findIndex((x) => x.id === c.mic);
    const e = drivers.findIndex((x) => x.id === c.driver);
    const key = `${m}/${r}/${e}`;
    if (irs.has(key)) {
      fail(
        "captures",
        "must hold one capture per driver, mic and position",
        `${c.driver} / ${c.mic} at ${positionKey(c.position)} twice`,
      );
    }
    irs.set(key, ir);
  }
  const ir = new Float64Array(M * R * E * N);
  const missing: [number, number, number][] = [];
  for (let m = 0; m < M; m++) {
    for (let r = 0; r < R; r++) {
      for (let e = 0; e < E; e++) {
        const x = irs.get(`${m}/${r}/${e}`);
        if (x) ir.set(x, ((m * R + r) * E + e) * N);
        else missing.push([m, r, e]);
      }
    }
  }
  const rows = (f: (p: CapturePosition) => V3) => Float64Array.from(positions.flatMap(f));
  const anechoic = /\banechoic\b/i.test(manifest.rig.description ?? "");
  const attributes: Record<string, string> = {
    Title: `${manifest.device.model} ${manifest.device.serial}`,
    RoomType: convention === "SimpleFreeFieldHRIR" || anechoic ? "free field" : "reverberant",
    Comment: `Measurement set of ${manifest.device.model} unit ${manifest.device.serial}` +
      ` (rig ${manifest.rig.backend}${
        manifest.rig.description ? `: ${manifest.rig.description}` : ""
      })`,
    ApplicationName: "spatialcal",
    ApplicationVersion: "0.1.0",
    SpatialcalDevice: JSON.stringify({
      model: manifest.device.model,
      serial: manifest.device.serial,
    }),
    SpatialcalDrivers: JSON.stringify(drivers.map((d) => ({ id: d.id, kind: d.kind }))),
    SpatialcalMics: JSON.stringify(mics.map((m) => ({ id: m.id, role: m.role }))),
    ...(missing.length ? { SpatialcalMissingCaptures: JSON.stringify(missing) } : {}),
    ...(convention === "SimpleFreeFieldHRIR"
      ? { DatabaseName: manifest.device.model, ListenerShortName: manifest.device.serial }
      : {}),
  };
  const common = {
    convention,
    sampleRate: manifest.sampleRate,
    measurements: M,
    receivers: R,
    emitters: E,
    samples: N,
    ir,
    delaySamples: new Float64Array(M * R * E),
    receiverPosition: {
      type: "cartesian" as const,
      values: Float64Array.from(mics.flatMap(receiverPoint)),
    },
    emitterPosition: { type: "cartesian" as const, values: new Float64Array(3 * E) },
    listenerUp: { type: "cartesian" as const, values: Float64Array.of(0, 0, 1) },
    attributes,
  };
  if (convention === "SimpleFreeFieldHRIR") {
    return {
      ...common,
      listenerPosition: { type: "cartesian", values: new Float64Array(3) },
      listenerView: { type: "cartesian", values: Float64Array.of(1, 0, 0) },
      sourcePosition: {
        type: "spherical",
        values: rows((p) => [
          (((-(p.headYawDeg ?? 0)) % 360) + 360) % 360,
          -p.elevationDeg + 0,
          p.distanceMeters,
        ]),
      },
    };
  }
  return {
    ...common,
    // spherical: the set's own azimuth, elevation and distance, bit for bit
    listenerPosition: {
      type: "spherical",
      values: rows((p) => [p.azimuthDeg, p.elevationDeg, p.distanceMeters]),
    },
    listenerView: { type: "cartesian", values: rows(facing) },
    sourcePosition: { type: "cartesian", values: new Float64Array(3) },
    sourceView: { type: "cartesian", values: Float64Array.of(1, 0, 0) },
    sourceUp: { type: "cartesian", values: Float64Array.of(0, 0, 1) },
  };
}

/** Options of {@linkcode measurementSetFromSofa}. */
export interface SetFromSofaOptions {
  /** Device model to record (`device.model`). */
  readonly model: string;
  /** Unit serial to record (`device.serial`). */
  readonly serial: string;
  /** The file's name, recorded in the manifest (`importedFrom.file`) and used in messages. */
  readonly file?: string;
  /**
   * The set's sample rate in Hz; IRs at another rate are resampled
   * (`resampleImpulseResponse`, frequency response kept). Default: the file's.
   */
  readonly sampleRate?: number;
}

/** A measurement set in memory: a manifest and the IR signal of each of its files. */
export interface MeasurementSetContent {
  /** The validated manifest. */
  readonly manifest: MeasurementSetManifest;
  /** Signal per relative path (every `captures[].ir`). */
  readonly audio: Map<string, Signal>;
}

function sub(a: V3, b: V3): V3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function dot(a: V3, b: V3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function cross(a: V3, b: V3): V3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function unit(a: V3): V3 | undefined {
  const n = Math.hypot(...a);
  return n > 1e-12 ? [a[0] / n, a[1] / n, a[2] / n] : undefined;
}
/** A direction: cartesian as is, spherical (az, el, r) as the unit vector of (az, el). */
function direction(p: SofaPoints, m: number): V3 {
  const row = sofaRow(p, m);
  return p.type === "cartesian" ? row : sofaCartesian("spherical", [row[0], row[1], 1]);
}
/** `x` to `decimals` decimal places (drops the round-off of angles recomputed from vectors). */
const round = (x: number, decimals: number) => Number(x.toFixed(decimals)) + 0;

function parseJsonAttribute<T>(
  sofa: SofaFir,
  name: string,
  check: (v: unknown) => v is T,
): T | undefined {
  const text = sofa.attributes[name];
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text);
    return check(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const isList = (n: number, keys: [string, string]) => (v: unknown): v is Record<string, string>[] =>
  Array.isArray(v) && v.length === n &&
  v.every((x) =>
    typeof x === "object" && x !== null && keys.every((k) => typeof x[k] === "string")
  );

/**
 * A measurement set from the content of a SOFA file (see the module doc).
 *
 * @param sofa The file's content ({@linkcode readSofa}).
 * @param options The device model and serial to record, the file name.
 * @returns The manifest (rig backend `file`, no sweep, `importedFrom`
 *   naming the file and convention) and one IR per measurement × receiver × emitter.
 * @throws {InputError} when a listener sits on the source, two measurements
 *   give the same position, or the manifest breaks the contract (bad model
 *   or serial), naming the field and value.
 */
export function measurementSetFromSofa(
  sofa: SofaFir,
  options: SetFromSofaOptions,
): MeasurementSetContent {
  const file = options.file ?? "(SOFA)";
  const fail: InputFailure = inputFailure(`import SOFA file "${file}"`, file);
  const { measurements: M, receivers: R, emitters: E, samples: N } = sofa;
  const sampleRate = options.sampleRate ?? sofa.sampleRate;

  const drivers: DriverEntry[] =
    parseJsonAttribute(sofa, "SpatialcalDrivers", isList(E, ["id", "kind"]))
      ?.map((d) => ({ id: d["id"]!, kind: d["kind"]! })) ??
      Array.from({ length: E }, (_, e) => ({ id: `emitter-${e + 1}`, kind: "unknown" }));
  let mics: MicEntry[] | undefined = parseJsonAttribute(
    sofa,
    "SpatialcalMics",
    isList(R, ["id", "role"]),
  )?.filter((m) => (MIC_ROLES as readonly string[]).includes(m["role"]!))
    .map((m) => ({ id: m["id"]!, role: m["role"] as MicEntry["role"] }));
  if (mics?.length !== R) mics = undefined;
  if (!mics) {
    const ys = Array.from({ length: R }, (_, r) => {
      const [x, y, z] = sofaRow(sofa.receiverPosition, r);
      return sofaCartesian(sofa.receiverPosition.type, [x, y, z])[1];
    });
    mics = R === 2 && ys[0]! * ys[1]! < 0
      ? ys.map((
        y,
      ) => (y > 0 ? { id: "ear-left", role: "ear-left" } : { id: "ear-right", role: "ear-right" }))
      : ys.map((_, r) => ({ id: `receiver-${r + 1}`, role: "reference" }));
  }
  const missing = new Set(
    (parseJsonAttribute(
      sofa,
      "SpatialcalMissingCaptures",
      (v): v is number[][] => Array.isArray(v),
    ) ?? [])
      .map((t) => t.join("/")),
  );

  // positions: the listener in the source's frame
  const positions: CapturePosition[] = [];
  const seen = new Map<string, number>();
  for (let m = 0; m < M; m++) {
    const L = sofaCartesian(sofa.listenerPosition.type, sofaRow(sofa.listenerPosition, m));
    const S = sofaCartesian(sofa.sourcePosition.type, sofaRow(sofa.sourcePosition, m));
    const rel = sub(L, S);
    const up = (sofa.sourceUp && unit(direction(sofa.sourceUp, m))) ?? [0, 0, 1] as V3;
    let front = sofa.sourceView ? unit(direction(sofa.sourceView, m)) : undefined;
    // no SourceView: the source faces the listener (horizontally, about its up axis)
    front ??= unit(sub(rel, up.map((u) => u * dot(rel, up)) as V3)) ?? [1, 0, 0];
    const left = unit(cross(up, front)) ?? [0, 1, 0];
    const zAxis = cross(front, left);
    const P: V3 = [dot(rel, front), dot(rel, left), dot(rel, zAxis)];
    const distanceMeters = Math.hypot(...P);
    if (!(distanceMeters > 1e-9)) {
      fail(
        `ListenerPosition − SourcePosition of measurement ${m + 1}`,
        "must not be zero (the listener sits on the source)",
        Array.from(L),
      );
    }
    let azimuthDeg = round((Math.atan2(P[1], P[0]) * 180) / Math.PI, 9);
    let elevationDeg = round((Math.atan2(P[2], Math.hypot(P[0], P[1])) * 180) / Math.PI, 9);
    let distance = round(distanceMeters, 12);
    const identityFrame = S.every((v) => v === 0) && front.join() === "1,0,0" &&
      up.join() === "0,0,1";
    if (identityFrame && sofa.listenerPosition.type === "spherical") {
      // the device frame is the global one: keep the file's own angles (-180 stays -180)
      [azimuthDeg, elevationDeg, distance] = sofaRow(sofa.listenerPosition, m);
    }
    // straight above or below the device the azimuth is arbitrary: 0
    if (Math.abs(elevationDeg) === 90) azimuthDeg = 0;
    const view = sofa.listenerView ? direction(sofa.listenerView, m) : [1, 0, 0] as V3;
    const facingAngle = Math.atan2(dot(view, left), dot(view, front));
    // towards the device as the writer and the simulator compute it (from the position)
    const [px, py] = listenerPoint({ azimuthDeg, elevationDeg, distanceMeters: distance });
    const towardAngle = Math.atan2(0 - py, 0 - px);
    let yaw = ((facingAngle - towardAngle) * 180) / Math.PI;
    yaw = round(wrapDeg(yaw), 9);
    const position: CapturePosition = {
      azimuthDeg,
      elevationDeg,
      distanceMeters: distance,
      ...(Math.abs(yaw) > 1e-9 ? { headYawDeg: yaw === -180 ? 180 : yaw } : {}),
    };
    const key = positionKey(position);
    const before = seen.get(key);
    if (before !== undefined) {
      fail(
        `measurement ${m + 1}`,
        `must be at another position than measurement ${
          before + 1
        } (one capture per driver, mic and position)`,
        position,
      );
    }
    seen.set(key, m);
    positions.push(position);
  }

  // IRs, with Data.Delay applied
  let maxDelay = 0;
  for (const d of sofa.delaySamples) maxDelay = Math.max(maxDelay, d);
  const length = N + Math.ceil(maxDelay) + (Number.isInteger(maxDelay) ? 0 : 32);
  const captures: CaptureEntry[] = [];
  const audio = new Map<string, Signal>();
  const names = new Set<string>();
  const planned: { m: number; r: number; e: number; name: string }[] = [];
  let collision = false;
  for (let m = 0; m < M; m++) {
    for (let r = 0; r < R; r++) {
      for (let e = 0; e < E; e++) {
        if (missing.has(`${m}/${r}/${e}`)) continue;
        const name = irFileName(drivers[e]!.id, mics[r]!.id, positions[m]!);
        if (names.has(name)) collision = true;
        names.add(name);
        planned.push({ m, r, e, name });
      }
    }
  }
  for (const { m, r, e, name } of planned) {
    // positions closer than the file names' 0.01° resolution: name the files by measurement
    const path = collision
      ? `ir/${drivers[e]!.id}.${mics[r]!.id}.m${String(m + 1).padStart(5, "0")}.wav`
      : name;
    const offset = sofaIrOffset(sofa, m, r, e);
    const raw = sofa.ir.subarray(offset, offset + N);
    const delay = sofa.delaySamples[(m * R + r) * E + e]!;
    const ir = applyDelay(raw, delay, length);
    const signal = { sampleRate: sofa.sampleRate, channels: [ir] };
    audio.set(
      path,
      sampleRate === sofa.sampleRate ? signal : resampleImpulseResponse(signal, sampleRate),
    );
    captures.push({ driver: drivers[e]!.id, mic: mics[r]!.id, position: positions[m]!, ir: path });
  }

  const device = parseJsonAttribute(
    sofa,
    "SpatialcalDevice",
    (v): v is { model: string; serial: string } => typeof v === "object" && v !== null,
  );
  const described = [
    sofa.attributes["Title"],
    sofa.attributes["DatabaseName"],
    sofa.attributes["ListenerShortName"],
  ].filter((s) => s).join(", ");
  const manifest = {
    format: MEASUREMENT_SET_FORMAT,
    version: MEASUREMENT_SET_VERSION,
    createdAt: sofaDate(sofa.attributes["DateCreated"]) ?? new Date().toISOString(),
    sampleRate,
    device: { model: options.model, serial: options.serial, drivers },
    rig: {
      backend: "file",
      description: `imported from SOFA ${sofa.convention} file ${basename(file)}${
        described ? ` (${described})` : ""
      }; room type ${sofa.attributes["RoomType"] || "not given"}`,
    },
    mics,
    captures,
    importedFrom: {
      format: "SOFA",
      file: basename(file),
      convention: sofa.convention,
      sampleRate: sofa.sampleRate,
      ...(device ? { device } : {}),
    },
  };
  return {
    manifest: validateManifest(manifest, { file: `${file} (as measurement set)`, action: "write" }),
    audio,
  };
}

/** `x` delayed by `delay` samples (whole samples exactly, fractions by a windowed sinc), `length` long. */
function applyDelay(x: Float64Array, delay: number, length: number): Float64Array {
  if (Number.isInteger(delay)) return integerDelay(x, delay, { length });
  const whole = Math.floor(delay);
  const fir = fractionalDelayFir(delay - whole + 16);
  const y = new Float64Array(length);
  for (let n = 0; n < x.length; n++) {
    const v = x[n]!;
    if (v === 0) continue;
    for (let k = 0; k < fir.length; k++) {
      const i = n + whole + k - 16;
      if (i >= 0 && i < length) y[i]! += v * fir[k]!;
    }
  }
  return y;
}

/** SOFA dates ("2020-04-12 10:58:24", UTC by AES69) as ISO 8601, or undefined. */
function sofaDate(text: string | undefined): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})/.exec(text ?? "");
  if (!m) return undefined;
  const iso = `${m[1]}T${m[2]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/**
 * Write a measurement set as a SOFA file (`deno task sofa`).
 *
 * @param set An opened measurement set.
 * @param path The `.sofa` file to write (atomically).
 * @param options `convention`.
 * @returns The written content's sizes.
 */
export async function writeMeasurementSetSofa(
  set: MeasurementSet,
  path: string,
  options: SofaFromSetOptions = {},
): Promise<
  {
    convention: SofaSetConvention;
    measurements: number;
    receivers: number;
    emitters: number;
    samples: number;
  }
> {
  const sofa = await sofaFromMeasurementSet(set, options);
  await writeSofa(path, sofa);
  return {
    convention: sofa.convention as SofaSetConvention,
    measurements: sofa.measurements,
    receivers: sofa.receivers,
    emitters: sofa.emitters,
    samples: sofa.samples,
  };
}

/** Options of {@linkcode importSofa}. */
export interface ImportSofaOptions extends SetFromSofaOptions {
  /** Replace an existing set folder. Default false. */
  readonly force?: boolean;
}

/**
 * Import a SOFA file as a measurement set folder (`deno task import --sofa`).
 *
 * @param path The `.sofa` file (GeneralFIR, GeneralFIR-E or SimpleFreeFieldHRIR).
 * @param folder The set folder to write (atomically; refused if it exists unless `force`).
 * @param options Model and serial to record; `force`.
 * @returns The written manifest.
 */
export async function importSofa(
  path: string,
  folder: string,
  options: ImportSofaOptions,
): Promise<MeasurementSetManifest> {
  const sofa = await readSofa(path);
  const { manifest, audio } = measurementSetFromSofa(sofa, {
    ...options,
    file: options.file ?? path,
  });
  await writeMeasurementSet(folder, manifest, audio, { force: options.force ?? false });
  return manifest;
}
