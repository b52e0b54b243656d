/**
 * A measurement session: measure every driver × mic × position of a device
 * with a synchronized sweep and write a measurement set (DESIGN.md).
 *
 * For each position the device is moved there (`moveTo`); for each driver the
 * sweep is played on that driver alone while every requested mic (and the
 * device's loopback input, if it has one) records. The recording is
 * deconvolved; with a loopback input the latency it shows is removed, so
 * sample 0 of every IR is the instant the sweep reaches the DAC and the
 * acoustic propagation delay is kept. A capture that shows a dropout is
 * retried.
 *
 * Work in progress lives in `<out>.partial/` (`journal.json` + finished IR
 * files), updated after every driver: a session that is interrupted (device
 * gone, Ctrl-C, power) keeps its finished captures, and `resume: true`
 * measures only what is missing. The set itself is written atomically at the
 * end, or appended to an existing set of the same unit (`append: true`).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { AudioDevice, MicPosition } from "./audio_device.ts";
import {
  type Sweep,
  type SweepSpec,
  sweepToJson,
  synchronizedSweep,
} from "./synchronized_sweep.ts";
import { deconvolve } from "./deconvolve.ts";
import type { Signal } from "../dsp/signal.ts";
import { InputError } from "../io/errors.ts";
import { decodeWav, encodeWav } from "../io/wav.ts";
import { writeFileAtomically } from "../io/atomic.ts";
import {
  appendToMeasurementSet,
  type CaptureEntry,
  irFileName,
  MEASUREMENT_SET_FORMAT,
  MEASUREMENT_SET_VERSION,
  type MeasurementSetManifest,
  type MicEntry,
  writeMeasurementSet,
} from "../io/manifest.ts";

/** What to measure. */
export interface MeasurementPlan {
  /** The sweep (its sampleRate must equal the device's). */
  readonly sweep: SweepSpec;
  /** Mic positions, measured in this order. */
  readonly positions: readonly MicPosition[];
  /** Driver ids to measure (default: all the device's outputs). */
  readonly drivers?: readonly string[];
  /** Input ids to record (default: every non-loopback input). */
  readonly mics?: readonly string[];
  /** Length of each IR in seconds (default 0.5). */
  readonly irLengthSeconds?: number;
  /** Highest harmonic order separated for THD (default 5). */
  readonly harmonicCount?: number;
  /** Retries of a capture that shows a dropout (default 2). */
  readonly maxRetries?: number;
  /** Also write each capture's harmonic IRs (orders 2..harmonicCount) as `harmonics/….wav`. */
  readonly keepHarmonics?: boolean;
  /** Also write each capture's raw mic recording as `recordings/….wav`. */
  readonly keepRecordings?: boolean;
}

/** Options of {@linkcode runMeasurementSession}. */
export interface SessionOptions {
  /** The measurement-set folder to write. */
  readonly out: string;
  /** Replace an existing set. */
  readonly force?: boolean;
  /** Add the captures to the existing set of the same unit at `out`. */
  readonly append?: boolean;
  /** Continue an interrupted session from `<out>.partial/`. */
  readonly resume?: boolean;
  /** Free-text rig description for the manifest (default: the device's). */
  readonly rigDescription?: string;
  /** Called after each capture. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Clock for `createdAt` (tests). */
  readonly now?: () => Date;
}

/** Result of {@linkcode runMeasurementSession}. */
export interface SessionResult {
  /** The manifest written (the merged one when appending). */
  readonly manifest: MeasurementSetManifest;
  /** Captures measured in this run (resumed ones excluded). */
  readonly measured: number;
  /** Captures taken over from an interrupted session. */
  readonly resumed: number;
  /** Session-level warnings (no loopback, retried captures). */
  readonly warnings: readonly string[];
}

/** Thrown when a session stops part-way; finished captures are kept. */
export class SessionInterruptedError extends Error {
  /**
   * Create the error; its `name` is `"SessionInterruptedError"`.
   *
   * @param message Full message: device, captures finished, cause, and how to resume.
   * @param partialFolder Folder holding the finished captures and the journal, for `--resume`.
   * @param finished Captures (driver × mic × position) finished, including resumed ones.
   * @param total Captures the session plans.
   * @param cause The error that stopped the session.
   */
  constructor(
    message: string,
    readonly partialFolder: string,
    readonly finished: number,
    readonly total: number,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = "SessionInterruptedError";
  }
}

interface Journal {
  readonly format: "spatialcal.session-journal";
  readonly version: 1;
  readonly device: { readonly model: string; readonly serial: string; readonly sampleRate: number };
  readonly sweep: ReturnType<typeof sweepToJson>;
  readonly createdAt: string;
  readonly captures: CaptureEntry[];
  readonly done: string[];
}

const JOURNAL = "journal.json";

function stepKey(driver: string, position: MicPosition): string {
  return JSON.stringify([
    driver,
    position.azimuthDeg,
    position.elevationDeg,
    position.distanceMeters,
    position.headYawDeg ?? 0,
  ]);
}

/**
 * Measure a device and write (or extend) a measurement set.
 *
 * @param device Any {@linkcode AudioDevice} (simulator, web audio, ...).
 * @param plan What to measure.
 * @param options Where to write and how.
 * @returns The manifest and counts.
 * @throws {InputError} for a plan the device cannot satisfy, an existing output without force/append, or a partial session without resume.
 * @throws {SessionInterruptedError} when the device fails part-way (finished captures are kept).
 */
export async function runMeasurementSession(
  device: AudioDevice,
  plan: MeasurementPlan,
  options: SessionOptions,
): Promise<SessionResult> {
  const sweep = synchronizedSweep(plan.sweep);
  const fs = device.sampleRate;
  if (sweep.sampleRate !== fs) {
    throw new InputError(
      `Cannot measure as the sweep's sampleRate (${sweep.sampleRate} Hz) differs from the device's (${fs} Hz)`,
      { file: undefined, field: "sampleRate", value: sweep.sampleRate },
    );
  }
  const drivers = plan.drivers ?? device.outputs.map((o) => o.id);
  for (const d of drivers) {
    if (!device.outputs.some((o) => o.id === d)) {
      throw new InputError(
        `Cannot measure as driver "${d}" is not an output of ${device.name} (outputs: ${
          device.outputs.map((o) => o.id).join(", ")
        })`,
        { file: undefined, field: "drivers", value: d },
      );
    }
  }
  const micIds = plan.mics ?? device.inputs.filter((i) => i.role !== "loopback").map((i) => i.id);
  const mics: MicEntry[] = micIds.map((id) => {
    const input = device.inputs.find((i) => i.id === id);
    if (!input || input.role === "loopback") {
      throw new InputError(
        `Cannot measure as mic "${id}" is not a mic input of ${device.name} (inputs: ${
          device.inputs.map((i) => i.id).join(", ")
        })`,
        { file: undefined, field: "mics", value: id },
      );
    }
    return { id, role: input.role };
  });
  if (plan.positions.length === 0) {
    throw new InputError("Cannot measure as no position was given", {
      file: undefined,
      field: "positions",
      value: [],
    });
  }
  const loopback = device.inputs.find((i) => i.role === "loopback");
  const irLengthSamples = Math.round((plan.irLengthSeconds ?? 0.5) * fs);
  if (!(irLengthSamples >= 64)) {
    throw new RangeError(
      `Cannot measure as irLengthSeconds must be >= ${
        64 / fs
      } s: current value is ${plan.irLengthSeconds}`,
    );
  }
  const tailSamples = irLengthSamples + Math.round(0.25 * fs);
  const maxRetries = plan.maxRetries ?? 2;
  const out = options.out;
  const partial = `${out}.partial`;
  const now = options.now ?? (() => new Date());

  const outExists = await exists(out);
  if (outExists && !options.force && !options.append) {
    throw new InputError(
      `Cannot measure into "${out}" as it already exists: pass --force to replace it or --append to add to it`,
      {
        file: out,
        field: "out",
        value: out,
      },
    );
  }
  if (options.append && !outExists) {
    throw new InputError(`Cannot append to "${out}" as it does not exist`, {
      file: out,
      field: "out",
      value: out,
    });
  }

  // Journal: start fresh or resume.
  let journal: Journal;
  const partialExists = await exists(partial);
  if (partialExists && !options.resume) {
    if (!options.force) {
      throw new InputError(
        `Cannot measure into "${out}" as an interrupted session is kept in "${partial}": pass --resume to finish it or --force to start over`,
        { file: partial, field: "out", value: partial },
      );
    }
    await Deno.remove(partial, { recursive: true });
  }
  const fresh: Journal = {
    format: "spatialcal.session-journal",
    version: 1,
    device: { model: device.model, serial: device.serial, sampleRate: fs },
    sweep: sweepToJson(sweep),
    createdAt: now().toISOString(),
    captures: [],
    done: [],
  };
  if (options.resume && partialExists) {
    journal = await readJournal(partial);
    const mismatch = (what: string, a: unknown, b: unknown) => {
      throw new InputError(
        `Cannot resume "${partial}" as its ${what} (${
          JSON.stringify(a)
        }) differs from this session's (${JSON.stringify(b)})`,
        { file: join(partial, JOURNAL), field: what, value: b },
      );
    };
    if (journal.device.serial !== device.serial) {
      mismatch("device serial", journal.device.serial, device.serial);
    }
    if (journal.device.model !== device.model) {
      mismatch("device model", journal.device.model, device.model);
    }
    if (journal.device.sampleRate !== fs) mismatch("sample rate", journal.device.sampleRate, fs);
    if (JSON.stringify(journal.sweep) !== JSON.stringify(fresh.sweep)) {
      mismatch("sweep", journal.sweep, fresh.sweep);
    }
  } else {
    journal = fresh;
    try {
      for (const sub of ["ir", "harmonics", "recordings"]) {
        await Deno.mkdir(join(partial, sub), { recursive: true });
      }
      await saveJournal(partial, journal);
    } catch (error) {
      throw new InputError(
        `Cannot measure into "${out}" as its folder "${dirname(out) || "."}" cannot be written: ${
          (error as Error).message
        }`,
        { file: out, field: "out", value: out, cause: error },
      );
    }
  }
  const done = new Set(journal.done);
  const resumed = journal.captures.length;

  const warnings: string[] = [];
  if (!loopback) {
    warnings.push(
      `${device.name} has no loopback input: latency is not removed, IR sample 0 is the sweep's first sample`,
    );
  }
  const total = plan.positions.length * drivers.length * mics.length;
  let finished = journal.captures.length;
  let measured = 0;
  const inputs = [...micIds, ...(loopback ? [loopback.id] : [])];
  try {
    for (const position of plan.positions) {
      const pending = drivers.filter((d) => !done.has(stepKey(d, position)));
      if (pending.length === 0) continue;
      await device.moveTo(position);
      for (const driver of pending) {
        const { captures, irs } = await measureDriver(device, sweep, driver, position, {
          mics,
          inputs,
          loopbackChannel: loopback ? micIds.length : undefined,
          irLengthSamples,
          tailSamples,
          harmonicCount: plan.harmonicCount ?? 5,
          maxRetries,
          warnings,
          keepHarmonics: plan.keepHarmonics ?? false,
          keepRecordings: plan.keepRecordings ?? false,
        });
        for (const [path, signal] of irs) {
          await writeFileAtomically(join(partial, path), encodeWav(signal));
        }
        journal.captures.push(...captures);
        journal.done.push(stepKey(driver, position));
        await saveJournal(partial, journal);
        finished += captures.length;
        measured += captures.length;
        options.onProgress?.(finished, total, `${driver} @ az ${position.azimuthDeg}°`);
      }
    }
  } catch (error) {
    if (error instanceof InputError || error instanceof RangeError || error instanceof TypeError) {
      // Bad input found on the way (e.g. a position inside the enclosure): leave nothing behind
      // unless captures were finished, which are kept for --resume.
      if (journal.captures.length === 0) {
        await Deno.remove(partial, { recursive: true }).catch(() => {});
      }
      throw error;
    }
    throw new SessionInterruptedError(
      `Measurement of ${device.name} was interrupted after ${finished} of ${total} captures: ${
        (error as Error).message
      }. The finished captures are kept in "${partial}"; run the same command with --resume to finish.`,
      partial,
      finished,
      total,
      error,
    );
  }

  const manifest: MeasurementSetManifest = {
    format: MEASUREMENT_SET_FORMAT,
    version: MEASUREMENT_SET_VERSION,
    createdAt: journal.createdAt,
    sampleRate: fs,
    device: {
      model: device.model,
      serial: device.serial,
      drivers: device.outputs.filter((o) => drivers.includes(o.id)).map((o) => ({
        id: o.id,
        kind: o.kind,
      })),
    },
    rig: { backend: device.backend, description: options.rigDescription ?? device.description },
    sweep: {
      method: sweep.method,
      startHz: sweep.startHz,
      endHz: sweep.endHz,
      durationSeconds: sweep.durationSeconds,
      levelDbfs: sweep.levelDbfs,
    },
    mics,
    captures: journal.captures,
  };
  const audio = new Map<string, Signal>();
  for (const capture of journal.captures) {
    for (const file of [capture.ir, capture.harmonics, capture.recording]) {
      if (file === undefined) continue;
      const decoded = decodeWav(await Deno.readFile(join(partial, file)), {
        name: join(partial, file),
      });
      audio.set(file, { sampleRate: decoded.sampleRate, channels: decoded.channels });
    }
  }
  const written = options.append
    ? await appendToMeasurementSet(out, manifest, audio)
    : (await writeMeasurementSet(out, manifest, audio, { force: options.force ?? false }),
      manifest);
  await Deno.remove(partial, { recursive: true });
  return { manifest: written, measured, resumed, warnings };
}

interface DriverStep {
  readonly mics: readonly MicEntry[];
  readonly inputs: readonly string[];
  readonly loopbackChannel: number | undefined;
  readonly irLengthSamples: number;
  readonly tailSamples: number;
  readonly harmonicCount: number;
  readonly maxRetries: number;
  readonly warnings: string[];
  readonly keepHarmonics: boolean;
  readonly keepRecordings: boolean;
}

async function measureDriver(
  device: AudioDevice,
  sweep: Sweep,
  driver: string,
  position: MicPosition,
  step: DriverStep,
): Promise<{ captures: CaptureEntry[]; irs: Map<string, Signal> }> {
  for (let attempt = 0;; attempt++) {
    const recording = await device.playRecord({
      outputs: [driver],
      stimulus: [sweep.samples],
      inputs: step.inputs,
      tailSamples: step.tailSamples,
    });
    const result = deconvolve(sweep, recording.signal, {
      ...(step.loopbackChannel === undefined ? {} : { loopbackChannel: step.loopbackChannel }),
      irLengthSamples: step.irLengthSamples,
      harmonicCount: step.harmonicCount,
    });
    const dropout = result.warnings.some((w) => w.includes("dropout")) ||
      recording.warnings.some((w) => /dropout|xrun/i.test(w));
    if (dropout && attempt < step.maxRetries) {
      step.warnings.push(
        `${driver} @ az ${position.azimuthDeg}°: dropout, capture retried (attempt ${attempt + 2})`,
      );
      continue;
    }
    const captures: CaptureEntry[] = [];
    const irs = new Map<string, Signal>();
    step.mics.forEach((mic, c) => {
      const path = irFileName(driver, mic.id, position);
      const harmonicsPath = step.keepHarmonics ? path.replace(/^ir\//, "harmonics/") : undefined;
      const recordingPath = step.keepRecordings ? path.replace(/^ir\//, "recordings/") : undefined;
      const q = result.quality[c]!;
      const capture: CaptureEntry = {
        driver,
        mic: mic.id,
        position: { ...position },
        ir: path,
        snrDb: Math.round(q.snrDb * 10) / 10,
        peakDbfs: Math.round(q.peakDbfs * 100) / 100,
        thdPercent: Math.round(q.thdPercent * 1000) / 1000,
        ...(result.latencySamples === null ? {} : { latencySamples: result.latencySamples }),
        warnings: [...recording.warnings, ...q.warnings],
        ...(harmonicsPath === undefined ? {} : { harmonics: harmonicsPath }),
        ...(recordingPath === undefined ? {} : { recording: recordingPath }),
      };
      captures.push(capture);
      irs.set(path, { sampleRate: sweep.sampleRate, channels: [result.ir.channels[c]!] });
      if (harmonicsPath !== undefined) irs.set(harmonicsPath, result.harmonics[c]!);
      if (recordingPath !== undefined) {
        irs.set(recordingPath, {
          sampleRate: sweep.sampleRate,
          channels: [recording.signal.channels[c]!],
        });
      }
    });
    return { captures, irs };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function saveJournal(partial: string, journal: Journal): Promise<void> {
  await writeFileAtomically(
    join(partial, JOURNAL),
    new TextEncoder().encode(JSON.stringify(journal, null, 2) + "\n"),
  );
}

async function readJournal(partial: string): Promise<Journal> {
  const file = join(partial, JOURNAL);
  try {
    const j = JSON.parse(await Deno.readTextFile(file)) as Journal;
    if (
      j.format !== "spatialcal.session-journal" || j.version !== 1 || !Array.isArray(j.captures) ||
      !Array.isArray(j.done)
    ) {
      throw new Error("not a session journal");
    }
    return j;
  } catch (error) {
    throw new InputError(
      `Cannot resume from "${file}" as it is not a valid session journal: ${
        (error as Error).message
      }`,
      {
        file,
        field: "journal",
        value: undefined,
        cause: error,
      },
    );
  }
}
