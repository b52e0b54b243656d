/**
 * The rig file: how a lab's audio interface is wired to the device under
 * test, its microphones and the loopback reference (`--rig rig.json`).
 *
 * ```json
 * {
 *   "format": "spatialcal.rig", "version": 1,
 *   "description": "Lab A: 8-channel interface, measurement mic at 2 m on a turntable",
 *   "sampleRate": 48000,
 *   "device": { "model": "studio5", "serial": "PROTO-0007" },
 *   "interface": { "name": "system", "outputChannels": 8, "inputChannels": 8 },
 *   "drivers": [ { "id": "mid-left", "kind": "midrange", "outputChannel": 1 } ],
 *   "mics": [ { "id": "ref", "role": "reference", "inputChannel": 1 } ],
 *   "loopback": { "outputChannel": 8, "inputChannel": 8 },
 *   "digitalReference": { "converterLatencySamples": 256 },   (instead of "loopback", JACK only)
 *   "levels": { "maxLevelDbfs": -6, "checkLevelDbfs": -40, "clipDbfs": -1, "minCheckSnrDb": 10 },
 *   "capture": { "maxRetries": 3, "maxLatencySamples": 16384 }
 * }
 * ```
 *
 * Channel numbers are 1-based, as printed on the interface and as in JACK's
 * `system:playback_N` / `system:capture_N`. `interface.name` is the JACK
 * client whose ports are the interface (`system`), or, without JACK, the
 * output device label node-web-audio-api lists (`deno task devices`).
 * The loopback is a cable (or the interface's internal loopback) from output
 * `loopback.outputChannel` to input `loopback.inputChannel`: every capture
 * plays the stimulus on it too, and its recording measures that capture's
 * latency. Without a spare output/input pair, `digitalReference` records the
 * client's own output port beside the mic instead (JACK only): it measures
 * the software part of each capture's latency, and `converterLatencySamples`
 * (the DAC + ADC part, measured once with a loopback cable by
 * `deno task devices --calibrate-latency --rig rig.json`) is added. A rig has
 * one or the other. `device.serial` is optional (`--serial` gives it per
 * unit). A mic may give its calibration: `sensitivityDbfs` (dBFS for 94 dB
 * SPL, `deno task calibrate-mic`) and `responseFile` (its `Hz dB [phase]`
 * response file, relative to the rig file): the session divides the response
 * out of every IR of that mic, gives levels in dB SPL and records both in the
 * manifest (`mics[].calibration`). Extra fields are allowed and ignored.
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import type { MicRole } from "./audio_device.ts";
import { InputError } from "../io/errors.ts";
import { readJsonFile } from "../io/read_file.ts";
import type { InputCalibration } from "./mic_calibration.ts";
import { parseMicResponse } from "../io/mic_response_file.ts";
import { sha256Hex } from "../io/atomic.ts";

/** One driver of the device under test and the interface output feeding it. */
export interface RigDriver {
  /** Driver id used in manifests (`"mid-left"`), non-empty, unique among the drivers. */
  readonly id: string;
  /** Driver kind (`"midrange"`, `"tweeter"`, …), non-empty. */
  readonly kind: string;
  /** 1-based output channel of the interface. */
  readonly outputChannel: number;
}

/** One microphone and the interface input it is plugged into. */
export interface RigMic {
  /** Mic id used in manifests (`"ref"`), non-empty, unique among the mics, not `"loopback"`. */
  readonly id: string;
  /** What the mic stands for: `"ear-left"`, `"ear-right"` or `"reference"`. */
  readonly role: MicRole;
  /** 1-based input channel of the interface. */
  readonly inputChannel: number;
  /** The mic's sensitivity: dBFS (AES17) for 94 dB SPL (`deno task calibrate-mic`), if known. */
  readonly sensitivityDbfs?: number;
  /** Its frequency-response calibration file (`Hz dB [phase]`), relative to the rig file's folder. */
  readonly responseFile?: string;
  /** That file, read by {@linkcode readRigFile}. */
  readonly response?: InputCalibration["response"];
}

/** Level limits and the pre-session check, in dBFS (full scale = amplitude 1). */
export interface RigLevels {
  /** No stimulus sample may exceed this peak level; louder requests are refused. Default −6. */
  readonly maxLevelDbfs: number;
  /** Peak level of the pre-session check tone burst. Default −40. */
  readonly checkLevelDbfs: number;
  /** A recording peak at or above this level counts as clipping. Default −1. */
  readonly clipDbfs: number;
  /** The check tone must stand this far above the mic's noise floor (dB). Default 10. */
  readonly minCheckSnrDb: number;
  /** Frequency of the check tone in Hz. Default 1000. */
  readonly checkToneHz: number;
}

/** Capture timing and retry settings. */
export interface RigCapture {
  /** Captures retried after a detected dropout before giving up. Default 3. */
  readonly maxRetries: number;
  /** Longest round-trip latency searched on the loopback, in samples. Default 16384. */
  readonly maxLatencySamples: number;
}

/** A validated rig file (defaults filled in). */
export interface RigFile {
  /** File format tag, always `"spatialcal.rig"`. */
  readonly format: "spatialcal.rig";
  /** Format version, always 1. */
  readonly version: 1;
  /** Free-text description of the rig for the manifest (`rig.description`); `""` when absent. */
  readonly description: string;
  /** Sample rate in Hz the interface must run at. */
  readonly sampleRate: number;
  /** The model this channel map is for; `serial` may come from `--serial` instead. */
  readonly device: { readonly model: string; readonly serial?: string };
  /** The audio interface: its JACK client or device label, and its channel counts. */
  readonly interface: {
    /** JACK client of the interface, or the node-web-audio-api output device label. Default `"system"`. */
    readonly name: string;
    /** Number of output channels (1–256). */
    readonly outputChannels: number;
    /** Number of input channels (1–256). */
    readonly inputChannels: number;
  };
  /** The drivers and their outputs, at least one, no two on one output. */
  readonly drivers: readonly RigDriver[];
  /** The microphones and their inputs, at least one, no two on one input. */
  readonly mics: readonly RigMic[];
  /** The electrical loopback reference; absent means none is wired. */
  readonly loopback?: { readonly outputChannel: number; readonly inputChannel: number };
  /** The digital reference (JACK only), used when no loopback is wired. */
  readonly digitalReference?: { readonly converterLatencySamples: number };
  /** Level limits and the pre-session check. */
  readonly levels: RigLevels;
  /** Capture retry and latency settings. */
  readonly capture: RigCapture;
}

/** Defaults of the optional rig sections. */
export const RIG_DEFAULT_LEVELS: RigLevels = {
  maxLevelDbfs: -6,
  checkLevelDbfs: -40,
  clipDbfs: -1,
  minCheckSnrDb: 10,
  checkToneHz: 1000,
};
/** Defaults of the optional rig `capture` section. */
export const RIG_DEFAULT_CAPTURE: RigCapture = { maxRetries: 3, maxLatencySamples: 16384 };

const MIC_ROLES: readonly MicRole[] = ["ear-left", "ear-right", "reference"];

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class RigReader {
  constructor(readonly source: string) {}

  fail(kind: "type" | "range", field: string, rule: string, value: Json): never {
    const shown = typeof value === "string"
      ? JSON.stringify(value)
      : JSON.stringify(value) ?? String(value);
    const message =
      `Cannot read rig file ${this.source} as ${field} ${rule}: current value is ${shown}`;
    throw kind === "type"
      ? new InputError(message, { file: this.source, field, value })
      : new RangeError(message);
  }

  object(value: Json, field: string): Record<string, Json> {
    if (!isObject(value)) this.fail("type", field, "must be an object", value);
    return value;
  }

  string(value: Json, field: string): string {
    if (typeof value !== "string" || value.trim() === "") {
      this.fail("type", field, "must be a non-empty string", value);
    }
    return value;
  }

  integer(value: Json, field: string, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.fail("type", field, "must be an integer", value);
    }
    if (value < min || value > max) this.fail("range", field, `must be in ${min}..${max}`, value);
    return value;
  }

  number(value: Json, field: string, min: number, max: number, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.fail("type", field, "must be a finite number", value);
    }
    if (value < min || value > max) this.fail("range", field, `must be in [${min}, ${max}]`, value);
    return value;
  }
}

/**
 * Validate a parsed rig file and fill in defaults.
 *
 * Rules: `format` is `"spatialcal.rig"`, `version` 1; `sampleRate` an integer
 * in 8000..384000 Hz; at least one driver; ids unique; channel numbers
 * integers within the interface's channel counts; no two drivers on one
 * output, no two mics on one input; the loopback output and input are used by
 * no driver or mic; `maxLevelDbfs` ≤ 0, `checkLevelDbfs` < `maxLevelDbfs`.
 *
 * @param value The parsed JSON.
 * @param source File name for messages.
 * @throws {InputError} for a missing field or wrong type; {RangeError} for a value out of range.
 */
export function parseRig(value: unknown, source = "rig.json"): RigFile {
  const r = new RigReader(source);
  const root = r.object(value, "the top level");
  if (root.format !== "spatialcal.rig") {
    r.fail("type", "format", 'must be "spatialcal.rig"', root.format);
  }
  if (root.version !== 1) r.fail("range", "version", "must be 1", root.version);
  const description = root.description === undefined
    ? ""
    : r.string(root.description, "description");
  const sampleRate = r.integer(root.sampleRate, "sampleRate", 8000, 384000);
  const device = r.object(root.device, "device");
  const model = r.string(device.model, "device.model");
  const serial = device.serial === undefined ? undefined : r.string(device.serial, "device.serial");
  const iface = r.object(root.interface ?? {}, "interface");
  const name = iface.name === undefined ? "system" : r.string(iface.name, "interface.name");
  const outputChannels = r.integer(iface.outputChannels, "interface.outputChannels", 1, 256);
  const inputChannels = r.integer(iface.inputChannels, "interface.inputChannels", 1, 256);

  if (!Array.isArray(root.drivers) || root.drivers.length === 0) {
    r.fail("type", "drivers", "must be a non-empty array", root.drivers);
  }
  const ids = new Set<string>();
  const outputsUsed = new Map<number, string>();
  const drivers: RigDriver[] = (root.drivers as Json[]).map((d: Json, i: number) => {
    const o = r.object(d, `drivers[${i}]`);
    const id = r.string(o.id, `drivers[${i}].id`);
    if (ids.has(id)) r.fail("range", `drivers[${i}].id`, "must be unique", id);
    ids.add(id);
    const kind = r.string(o.kind, `drivers[${i}].kind`);
    const outputChannel = r.integer(
      o.outputChannel,
      `drivers[${i}].outputChannel`,
      1,
      outputChannels,
    );
    const other = outputsUsed.get(outputChannel);
    if (other !== undefined) {
      r.fail(
        "range",
        `drivers[${i}].outputChannel`,
        `must differ from driver "${other}"'s`,
        outputChannel,
      );
    }
    outputsUsed.set(outputChannel, id);
    return { id, kind, outputChannel };
  });

  if (!Array.isArray(root.mics) || root.mics.length === 0) {
    r.fail("type", "mics", "must be a non-empty array", root.mics);
  }
  const micIds = new Set<string>();
  const inputsUsed = new Map<number, string>();
  const mics: RigMic[] = (root.mics as Json[]).map((m: Json, i: number) => {
    const o = r.object(m, `mics[${i}]`);
    const id = r.string(o.id, `mics[${i}].id`);
    if (micIds.has(id) || id === "loopback") {
      r.fail("range", `mics[${i}].id`, 'must be unique and not "loopback"', id);
    }
    micIds.add(id);
    if (!MIC_ROLES.includes(o.role as MicRole)) {
      r.fail("range", `mics[${i}].role`, `must be one of ${MIC_ROLES.join(", ")}`, o.role);
    }
    const inputChannel = r.integer(o.inputChannel, `mics[${i}].inputChannel`, 1, inputChannels);
    const other = inputsUsed.get(inputChannel);
    if (other !== undefined) {
      r.fail("range", `mics[${i}].inputChannel`, `must differ from mic "${other}"'s`, inputChannel);
    }
    inputsUsed.set(inputChannel, id);
    const sensitivityDbfs = o.sensitivityDbfs === undefined
      ? undefined
      : r.number(o.sensitivityDbfs, `mics[${i}].sensitivityDbfs`, -200, 20, 0);
    const responseFile = o.responseFile === undefined
      ? undefined
      : r.string(o.responseFile, `mics[${i}].responseFile`);
    return {
      id,
      role: o.role as MicRole,
      inputChannel,
      ...(sensitivityDbfs === undefined ? {} : { sensitivityDbfs }),
      ...(responseFile === undefined ? {} : { responseFile }),
    };
  });

  let loopback: { outputChannel: number; inputChannel: number } | undefined;
  if (root.loopback !== undefined) {
    const o = r.object(root.loopback, "loopback");
    const out = r.integer(o.outputChannel, "loopback.outputChannel", 1, outputChannels);
    const inp = r.integer(o.inputChannel, "loopback.inputChannel", 1, inputChannels);
    if (outputsUsed.has(out)) {
      r.fail(
        "range",
        "loopback.outputChannel",
        `must differ from driver "${outputsUsed.get(out)}"'s`,
        out,
      );
    }
    if (inputsUsed.has(inp)) {
      r.fail(
        "range",
        "loopback.inputChannel",
        `must differ from mic "${inputsUsed.get(inp)}"'s`,
        inp,
      );
    }
    loopback = { outputChannel: out, inputChannel: inp };
  }

  let digitalReference: { converterLatencySamples: number } | undefined;
  if (root.digitalReference !== undefined) {
    if (loopback !== undefined) {
      r.fail(
        "range",
        "digitalReference",
        'must be absent when "loopback" is given (one timing reference)',
        root.digitalReference,
      );
    }
    const o = r.object(root.digitalReference, "digitalReference");
    digitalReference = {
      converterLatencySamples: r.integer(
        o.converterLatencySamples,
        "digitalReference.converterLatencySamples",
        0,
        10 * sampleRate,
      ),
    };
  }

  const lv = r.object(root.levels ?? {}, "levels");
  const maxLevelDbfs = r.number(
    lv.maxLevelDbfs,
    "levels.maxLevelDbfs",
    -120,
    0,
    RIG_DEFAULT_LEVELS.maxLevelDbfs,
  );
  const checkLevelDbfs = r.number(
    lv.checkLevelDbfs,
    "levels.checkLevelDbfs",
    -120,
    maxLevelDbfs,
    Math.min(RIG_DEFAULT_LEVELS.checkLevelDbfs, maxLevelDbfs),
  );
  const levels: RigLevels = {
    maxLevelDbfs,
    checkLevelDbfs,
    clipDbfs: r.number(lv.clipDbfs, "levels.clipDbfs", -60, 0, RIG_DEFAULT_LEVELS.clipDbfs),
    minCheckSnrDb: r.number(
      lv.minCheckSnrDb,
      "levels.minCheckSnrDb",
      0,
      100,
      RIG_DEFAULT_LEVELS.minCheckSnrDb,
    ),
    checkToneHz: r.number(
      lv.checkToneHz,
      "levels.checkToneHz",
      20,
      sampleRate / 2 - 1,
      RIG_DEFAULT_LEVELS.checkToneHz,
    ),
  };
  const cp = r.object(root.capture ?? {}, "capture");
  const capture: RigCapture = {
    maxRetries: cp.maxRetries === undefined
      ? RIG_DEFAULT_CAPTURE.maxRetries
      : r.integer(cp.maxRetries, "capture.maxRetries", 0, 20),
    maxLatencySamples: cp.maxLatencySamples === undefined
      ? RIG_DEFAULT_CAPTURE.maxLatencySamples
      : r.integer(cp.maxLatencySamples, "capture.maxLatencySamples", 64, 10 * sampleRate),
  };

  return {
    format: "spatialcal.rig",
    version: 1,
    description,
    sampleRate,
    device: serial === undefined ? { model } : { model, serial },
    interface: { name, outputChannels, inputChannels },
    drivers,
    mics,
    ...(loopback === undefined ? {} : { loopback }),
    ...(digitalReference === undefined ? {} : { digitalReference }),
    levels,
    capture,
  };
}

/**
 * Read and validate a rig file.
 *
 * @throws {InputError} / {RangeError} naming the file, field and value, also for a
 *   missing or unreadable file (or a folder).
 */
export async function readRigFile(path: string): Promise<RigFile> {
  let value: unknown;
  try {
    value = await readJsonFile(path, "rig file");
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // Rig files name the path unquoted, as they always have.
    const reason = error.message.replace(/^Cannot read rig file ".*?" as /s, "");
    throw new InputError(
      `Cannot read rig file ${path} as ${
        reason === "it is a folder"
          ? "it is a folder, not a JSON file"
          : reason === "the file does not exist"
          ? "it does not exist"
          : reason
      }`,
      { file: path, field: error.field, value: error.value, cause: error },
    );
  }
  const rig = parseRig(value, path);
  if (!rig.mics.some((m) => m.responseFile !== undefined)) return rig;
  const mics: RigMic[] = [];
  for (const [i, m] of rig.mics.entries()) {
    if (m.responseFile === undefined) {
      mics.push(m);
      continue;
    }
    const file = isAbsolute(m.responseFile) ? m.responseFile : join(dirname(path), m.responseFile);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (error) {
      throw new InputError(
        `Cannot read rig file ${path} as mics[${i}].responseFile names a file that cannot be read (${
          (error as Error).message
        }): current value is ${JSON.stringify(m.responseFile)}`,
        { file: path, field: `mics[${i}].responseFile`, value: m.responseFile, cause: error },
      );
    }
    const points = parseMicResponse(new TextDecoder().decode(bytes), file);
    mics.push({ ...m, response: { file: m.responseFile, sha256: await sha256Hex(bytes), points } });
  }
  return { ...rig, mics };
}

/** A rig mic's calibration as an input channel carries it (undefined when it has none). */
export function rigMicCalibration(mic: RigMic): InputCalibration | undefined {
  if (mic.sensitivityDbfs === undefined && mic.response === undefined) return undefined;
  return {
    ...(mic.sensitivityDbfs === undefined ? {} : { sensitivityDbfs: mic.sensitivityDbfs }),
    ...(mic.response === undefined ? {} : { response: mic.response }),
  };
}
