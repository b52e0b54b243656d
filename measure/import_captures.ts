/**
 * A measurement set from files a lab already has: impulse responses exported
 * by another tool, or recordings of a `deno task sweep` stimulus made with a
 * DAW, listed in a capture list (`io/capture_list.ts`).
 *
 * Per capture, in order:
 * 1. the listed channel of the WAV is taken (any format `readWav` reads, any
 *    sample rate);
 * 2. `kind: "recording"`: the whole file is deconvolved once with the
 *    project's deconvolution (`deconvolve`), with the latency measured on the
 *    loopback channel removed when one is given (a recording that starts
 *    after the sweep is refused, naming the file); `kind: "ir"`: taken as is
 *    (its sample 0 must already be the instant the sweep reached the DAC —
 *    DESIGN.md — which the other tool decides);
 * 3. resampled to the set's sample rate keeping its frequency response
 *    (`resampleImpulseResponse`: flat to 0.9 of the lower Nyquist frequency,
 *    no added delay);
 * 4. divided by the mic's frequency response when a calibration file is
 *    given (`correctMicResponse`);
 * 5. with a mic sensitivity, levels are reported in dB SPL:
 *    `fullScaleLevelDbSpl` (the SPL at the mic for a 0 dBFS sine at 1 kHz on
 *    the driver) and, for recordings, `peakDbSpl`.
 *
 * The result is a manifest and its audio, ready for `writeMeasurementSet`
 * (which validates and writes atomically). Other sources (SOFA) produce the
 * same {@linkcode ImportedSet}.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { Signal } from "../dsp/signal.ts";
import { resampleImpulseResponse } from "../dsp/resample.ts";
import { InputError } from "../io/errors.ts";
import { sha256Hex } from "../io/atomic.ts";
import { type DecodedWav, readWav } from "../io/wav.ts";
import type { CaptureList, CaptureListEntry } from "../io/capture_list.ts";
import { type MicResponse, parseMicResponse } from "../io/mic_response_file.ts";
import {
  type CaptureEntry,
  irFileName,
  type MeasurementSetManifest,
  type MicEntry,
} from "../io/manifest.ts";
import { type Deconvolution, deconvolve } from "./deconvolve.ts";
import {
  type ClockEstimate,
  deconvolveOpenLoop,
  driftFromLoopback,
  driftWarning,
  type OpenLoopLayout,
} from "./open_loop.ts";
import type { Sweep } from "./synchronized_sweep.ts";
import { applyMicCalibration, calibrationEntry, type InputCalibration } from "./mic_calibration.ts";

/** Options of {@linkcode importCaptures}. */
export interface ImportCapturesOptions {
  /** Device model name. */
  readonly model: string;
  /** The unit's serial number. */
  readonly serial: string;
  /**
   * The set's sample rate in Hz. Default: the sweep's with recordings, else the
   * first listed file's.
   */
  readonly sampleRate?: number;
  /** The sweep the recordings captured (required when a capture is a `recording`). */
  readonly sweep?: Sweep;
  /** 1-based channel of every recording that carries the electrical loopback. */
  readonly loopbackChannel?: number;
  /**
   * The sweep's open-loop layout (`sweep.json` `openLoop`, written by `sweep --markers`): the
   * recordings are of that stimulus. Its markers are measured in every recording (a clock drift
   * is warned about) and, with `openLoop`, used to find the start and correct the drift.
   */
  readonly layout?: OpenLoopLayout;
  /** The recordings were made open loop (device on its own clock, start unknown); needs `layout`. */
  readonly openLoop?: boolean;
  /** With a layout of several sweep slots: the driver id of each slot, in order. */
  readonly slotDrivers?: readonly string[];
  /** `createdAt` of the manifest (default: now). */
  readonly createdAt?: string;
}

/** A set ready to be written: its manifest and one signal per referenced file. */
export interface ImportedSet {
  /** The manifest (not yet validated; `writeMeasurementSet` does). */
  readonly manifest: MeasurementSetManifest;
  /** Signal per relative path in the manifest. */
  readonly audio: Map<string, Signal>;
  /** Plain-language warnings, each naming its capture-list row. */
  readonly warnings: readonly string[];
}

/**
 * Build a measurement set from a capture list (see the module documentation).
 *
 * @param list The parsed capture list.
 * @param options Device, sample rate, sweep and loopback.
 * @returns The manifest, its audio and warnings.
 * @throws {InputError} naming the list's row and the file: a missing or
 *   unreadable WAV, a channel the file does not have, a recording without a
 *   sweep or at another rate than the sweep, a recording that starts after
 *   the sweep, a capture listed twice.
 *
 * @example
 * ```ts ignore
 * import { readCaptureList } from "../io/capture_list.ts";
 * import { writeMeasurementSet } from "../io/manifest.ts";
 * import { importCaptures } from "./import_captures.ts";
 * const list = await readCaptureList("lab/captures.csv");
 * const set = await importCaptures(list, { model: "studio5", serial: "A1234" });
 * await writeMeasurementSet("runs/A1234", set.manifest, set.audio);
 * ```
 */
export async function importCaptures(
  list: CaptureList,
  options: ImportCapturesOptions,
): Promise<ImportedSet> {
  const resolve = (file: string) => (isAbsolute(file) ? file : join(list.folder, file));
  const wavs = new Map<string, DecodedWav>();
  const readListed = async (entry: CaptureListEntry): Promise<DecodedWav> => {
    const path = resolve(entry.file);
    let wav = wavs.get(path);
    if (wav === undefined) {
      wav = await readWav(path).catch((error) => {
        throw rowError(list, entry, "file", (error as Error).message, error);
      });
      wavs.set(path, wav);
    }
    if (entry.channel > wav.channels.length) {
      throw rowError(
        list,
        entry,
        "channel",
        `channel must be 1..${wav.channels.length} of "${path}": current value is ${entry.channel}`,
      );
    }
    return wav;
  };

  const needsSweep = list.entries.find((e) => e.kind === "recording");
  if (needsSweep && options.sweep === undefined) {
    throw rowError(
      list,
      needsSweep,
      "kind",
      'a "recording" needs the sweep it recorded (--sweep sweep.json)',
    );
  }
  const sampleRate = options.sampleRate ??
    (needsSweep ? options.sweep!.sampleRate : (await readListed(list.entries[0]!)).sampleRate);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new RangeError(
      `Cannot import captures as sampleRate must be a positive integer number of Hz: current value is ${sampleRate}`,
    );
  }

  const layout = options.layout;
  const slots = layout?.sweepStartsSamples.length ?? 1;
  if (slots > 1 && options.slotDrivers?.length !== slots) {
    throw new RangeError(
      `Cannot import captures as the sweep has ${slots} sweep slots (drivers in sequence): name the driver of each slot in order (--slot-drivers): current value is ${
        JSON.stringify(options.slotDrivers ?? [])
      }`,
    );
  }
  const slotOf = (entry: CaptureListEntry): number => {
    if (slots === 1) return 0;
    const k = options.slotDrivers!.indexOf(entry.driver);
    if (k < 0) {
      throw rowError(
        list,
        entry,
        "driver",
        `driver "${entry.driver}" must be one of the sweep slots' drivers (${
          options.slotDrivers!.join(", ")
        })`,
      );
    }
    return k;
  };
  const deconvolutions = new Map<
    string,
    { slots: readonly Deconvolution[]; clock: ClockEstimate | null; warnings: readonly string[] }
  >();
  const deconvolved = (
    entry: CaptureListEntry,
    wav: DecodedWav,
  ): {
    slots: readonly Deconvolution[];
    clock: ClockEstimate | null;
    warnings: readonly string[];
  } => {
    const path = resolve(entry.file);
    const done = deconvolutions.get(path);
    if (done) return done;
    const sweep = options.sweep!;
    if (wav.sampleRate !== sweep.sampleRate) {
      throw rowError(
        list,
        entry,
        "file",
        `a recording must be at the sweep's sample rate (${sweep.sampleRate} Hz): "${path}" is at ${wav.sampleRate} Hz`,
      );
    }
    const loopback = options.loopbackChannel;
    if (loopback !== undefined && loopback > wav.channels.length) {
      throw rowError(
        list,
        entry,
        "file",
        `the loopback channel ${loopback} is not in "${path}", which has ${wav.channels.length} channel(s)`,
      );
    }
    let result: {
      slots: readonly Deconvolution[];
      clock: ClockEstimate | null;
      warnings: readonly string[];
    };
    try {
      const common = {
        requireCausal: !options.openLoop,
        ...(loopback === undefined ? {} : { loopbackChannel: loopback - 1 }),
      };
      const drift = layout === undefined && loopback !== undefined
        ? driftFromLoopback(sweep, wav.channels[loopback - 1]!)
        : undefined;
      const warning = drift === undefined ? undefined : driftWarning(
        drift,
        `the loopback's group delays (channel ${loopback})`,
        "write the stimulus with deno task sweep --markers and pass --open-loop",
      );
      result = layout === undefined
        ? {
          slots: [deconvolve(sweep, wav, common)],
          clock: null,
          warnings: warning === undefined ? [] : [warning],
        }
        : deconvolveOpenLoop(sweep, layout, wav, {
          ...common,
          openLoop: options.openLoop ?? false,
        });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw rowError(list, entry, "file", `recording "${path}": ${error.message}`, error);
    }
    deconvolutions.set(path, result);
    return result;
  };

  const responses = new Map<string, { points: MicResponse; sha256: string }>();
  const micResponse = async (entry: CaptureListEntry) => {
    const name = entry.micResponseFile!;
    const path = resolve(name);
    let r = responses.get(path);
    if (r === undefined) {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(path);
      } catch (error) {
        throw rowError(
          list,
          entry,
          "mic_response_file",
          `"${path}" cannot be read: ${(error as Error).message}`,
          error,
        );
      }
      r = {
        points: parseMicResponse(new TextDecoder().decode(bytes), path),
        sha256: await sha256Hex(bytes),
      };
      responses.set(path, r);
    }
    return r;
  };

  const drivers: { id: string; kind: string }[] = [];
  const mics: MicEntry[] = [];
  const captures: CaptureEntry[] = [];
  const audio = new Map<string, Signal>();
  const warnings: string[] = [];
  const rowOf = new Map<string, number>();
  for (const entry of list.entries) {
    const position = {
      azimuthDeg: entry.azimuthDeg,
      elevationDeg: entry.elevationDeg,
      distanceMeters: entry.distanceMeters,
      ...(entry.headYawDeg === undefined ? {} : { headYawDeg: entry.headYawDeg }),
    };
    const ir = irFileName(entry.driver, entry.mic, position);
    const twin = rowOf.get(ir);
    if (twin !== undefined) {
      throw rowError(
        list,
        entry,
        "driver",
        `lists driver "${entry.driver}", mic "${entry.mic}" at the position of row ${twin} again`,
      );
    }
    rowOf.set(ir, entry.row);
    if (!drivers.some((d) => d.id === entry.driver)) {
      drivers.push({ id: entry.driver, kind: entry.driverKind });
    }

    const wav = await readListed(entry);
    const c = entry.channel - 1;
    let h: Float64Array, rate: number;
    const extra: Record<string, unknown> = {};
    if (entry.kind === "recording") {
      if (options.loopbackChannel === entry.channel) {
        throw rowError(
          list,
          entry,
          "channel",
          `channel ${entry.channel} is the loopback channel, not a mic`,
        );
      }
      const all = deconvolved(entry, wav);
      const d = all.slots[slotOf(entry)]!;
      h = d.ir.channels[c]!;
      rate = d.ir.sampleRate;
      const q = d.quality[c]!;
      Object.assign(extra, {
        snrDb: round(q.snrDb, 2),
        peakDbfs: round(q.peakDbfs, 2),
        // THD only where the harmonic windows are clear of the linear response (as measure)
        ...(q.harmonicsSeparable ? { thdPercent: round(q.thdPercent, 4) } : {}),
        ...(d.latencySamples === null ? {} : { latencySamples: d.latencySamples }),
        ...(all.clock === null || !options.openLoop ? {} : {
          clock: {
            driftPpm: round(all.clock.driftPpm, 4),
            driftUncertaintyPpm: round(all.clock.driftUncertaintyPpm, 4),
          },
        }),
      });
      const drift = all.warnings.filter((w) => w.startsWith("clock drift"));
      warnings.push(
        ...[...q.warnings, ...drift].map((w) =>
          `row ${entry.row} (${entry.file} channel ${entry.channel}): ${w}`
        ),
      );
      extra.warnings = [...q.warnings, ...drift];
    } else {
      h = wav.channels[c]!;
      rate = wav.sampleRate;
    }
    if (rate !== sampleRate) {
      h = resampleImpulseResponse({ sampleRate: rate, channels: [h] }, sampleRate).channels[0]!;
    }

    const calibration: InputCalibration = {
      ...(entry.micSensitivityDbfs === undefined
        ? {}
        : { sensitivityDbfs: entry.micSensitivityDbfs }),
      ...(entry.micResponseFile === undefined ? {} : {
        response: { file: entry.micResponseFile, ...(await micResponse(entry)) },
      }),
    };
    if (!mics.some((m) => m.id === entry.mic)) {
      const recorded = calibrationEntry(calibration);
      mics.push({
        id: entry.mic,
        role: entry.role,
        ...(recorded === undefined ? {} : { calibration: recorded }),
      });
    }
    const calibrated = applyMicCalibration(
      h,
      sampleRate,
      calibration,
      typeof extra.peakDbfs === "number" ? extra.peakDbfs : undefined,
    );
    h = calibrated.ir;
    Object.assign(extra, calibrated.levels);
    audio.set(ir, { sampleRate, channels: [h] });
    captures.push({
      driver: entry.driver,
      mic: entry.mic,
      position,
      ir,
      ...extra,
      source: {
        file: entry.file,
        channel: entry.channel,
        kind: entry.kind,
        sampleRate: wav.sampleRate,
      },
    } as CaptureEntry);
  }

  const sweep = options.sweep;
  const sweepEntry = needsSweep && sweep !== undefined && sweep.endHz <= sampleRate / 2
    ? {
      sweep: {
        method: sweep.method,
        startHz: sweep.startHz,
        endHz: sweep.endHz,
        durationSeconds: sweep.durationSeconds,
        levelDbfs: sweep.levelDbfs,
        sampleRate: sweep.sampleRate,
      },
    }
    : {};
  const manifest = {
    format: "spatialcal.measurement-set",
    version: 1,
    createdAt: options.createdAt ?? new Date().toISOString(),
    sampleRate,
    device: { model: options.model, serial: options.serial, drivers },
    rig: { backend: "file", description: `imported from capture list ${list.file}` },
    ...sweepEntry,
    mics,
    captures,
  } as MeasurementSetManifest;
  return { manifest, audio, warnings };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Number.isFinite(x) ? Math.round(x * f) / f : x;
}

function rowError(
  list: CaptureList,
  entry: CaptureListEntry,
  field: string,
  rule: string,
  cause?: unknown,
): InputError {
  return new InputError(
    `Cannot import row ${entry.row} of capture list "${list.file}" as ${rule}`,
    {
      file: list.file,
      field: `row ${entry.row} ${field}`,
      value: entry[field as keyof CaptureListEntry] ?? entry.file,
      cause,
    },
  );
}
