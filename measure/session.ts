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
import type { AudioDevice, InputChannel, MicPosition } from "./audio_device.ts";
import {
  type Sweep,
  type SweepSpec,
  sweepToJson,
  synchronizedSweep,
} from "./synchronized_sweep.ts";
import { deconvolve } from "./deconvolve.ts";
import { captureOpenLoop, type ClockEstimate, openLoopPreSamples } from "./open_loop.ts";
import type { Signal } from "../dsp/signal.ts";
import { InputError } from "../io/errors.ts";
import { decodeWav, encodeWav } from "../io/wav.ts";
import { pathExists, writeFileAtomically } from "../io/atomic.ts";
import { checkReplaceable, ownFolder, type OwnOutput } from "../io/own_output.ts";
import {
  appendToMeasurementSet,
  type CaptureEntry,
  irFileName,
  MEASUREMENT_SET_FORMAT,
  MEASUREMENT_SET_OUTPUT,
  MEASUREMENT_SET_VERSION,
  type MeasurementSetManifest,
  type MicEntry,
  readMeasurementSet,
  referencedFiles,
  writeMeasurementSet,
} from "../io/manifest.ts";
import { normalizePosition } from "./positions.ts";
import { MAX_WAV_BYTES, readJsonFile, readRegularFile } from "../io/read_file.ts";

/** How the session reads back its own WAV files: regular files of at most MAX_WAV_BYTES. */
const WAV_READ = { what: "WAV", maxBytes: MAX_WAV_BYTES } as const;
import { applyMicCalibration, calibrationEntry } from "./mic_calibration.ts";

/** Longest IR a session measures, in seconds (a 10 s IR covers the reverberation of a large hall). */
export const MAX_IR_LENGTH_SECONDS = 10;

/**
 * The parts of a session a message may have to name: the CLI maps them to its flags
 * (`{ serial: "--serial", drivers: "--drivers", ... }`) with {@linkcode SessionOptions.labels}.
 */
export type SessionField =
  | "model"
  | "serial"
  | "sampleRate"
  | "sweep.method"
  | "sweep.startHz"
  | "sweep.endHz"
  | "sweep.durationSeconds"
  | "sweep.levelDbfs"
  | "sweep"
  | "drivers"
  | "mics"
  | "positions"
  | "irLengthSeconds"
  | "harmonicCount"
  | "keepHarmonics"
  | "keepRecordings"
  | "openLoop";

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
  /**
   * Open loop (`measure/open_loop.ts`): the device plays a marker stimulus on its own clock from
   * an unknown start (up to 2 s); each capture's start and clock drift are found from the
   * markers, and recorded in the capture's `clock`. Default false.
   */
  readonly openLoop?: boolean;
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
  /**
   * Called with a one-line note the caller should show (the library never prints), e.g. that a
   * stale `<out>.partial` whose captures are all in the set already was removed.
   */
  readonly onNotice?: (message: string) => void;
  /**
   * How messages name the session's parts (default: the field names). The CLI passes its flags,
   * so an error says `--serial differs` rather than `serial differs`.
   */
  readonly labels?: Readonly<Partial<Record<SessionField, string>>>;
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
  /** Session-level warnings (no loopback, retried captures, unreadable resumed files). */
  readonly warnings: readonly string[];
  /**
   * True when `resume` found the interrupted session already written into the set (a run
   * stopped between writing the set and removing `<out>.partial`): nothing was measured and
   * `manifest` is the set's.
   */
  readonly alreadyComplete?: boolean;
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

/** What a session measures, as its journal records it (so `resume` can check it is the same). */
interface JournalPlan {
  readonly drivers: readonly string[];
  readonly mics: readonly string[];
  readonly positions: readonly MicPosition[];
  readonly irLengthSamples: number;
  readonly harmonicCount: number;
  readonly keepHarmonics: boolean;
  readonly keepRecordings: boolean;
  /** Absent in journals written before open loop existed: false. */
  readonly openLoop?: boolean;
}

interface Journal {
  readonly format: "spatialcal.session-journal";
  readonly version: 1;
  readonly device: { readonly model: string; readonly serial: string; readonly sampleRate: number };
  readonly sweep: ReturnType<typeof sweepToJson>;
  /** Absent in journals written before the plan was recorded. */
  readonly plan?: JournalPlan;
  readonly createdAt: string;
  captures: CaptureEntry[];
  done: string[];
}

const JOURNAL = "journal.json";

/**
 * How many finished captures the interrupted session in `partial` keeps (as
 * its journal, written atomically after every driver, says), or `undefined`
 * when there is no readable journal. Synchronous, for signal handlers.
 *
 * @param partial The `<out>.partial` folder.
 */
export function keptCaptureCount(partial: string): number | undefined {
  try {
    const j = JSON.parse(Deno.readTextFileSync(join(partial, JOURNAL))) as Partial<Journal>;
    return Array.isArray(j.captures) ? j.captures.length : undefined;
  } catch {
    return undefined;
  }
}
/** `<out>.partial` as a fresh start may remove it: a folder with this module's journal. */
const SESSION_PARTIAL: OwnOutput = ownFolder({
  what: "an interrupted measurement session",
  descriptor: JOURNAL,
  format: "spatialcal.session-journal",
});

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
  const label = (field: SessionField): string =>
    options.labels?.[field] ??
      (field === "model" || field === "serial" ? `device.${field}` : field);
  const session = resolveSession(device, plan, label);
  const partial = `${options.out}.partial`;
  const output = await prepareOutput(device, session, partial, options, label);
  if (output.complete !== undefined) return output.complete;
  const warnings: string[] = [];
  const journal = await openJournal(device, session, partial, output.partialExists, options, {
    label,
    warnings,
  });
  const resumed = journal.captures.length;
  const measured = await measureCaptures(device, session, journal, partial, options, warnings);
  const manifest = await writeSessionSet(device, session, journal, partial, options);
  await Deno.remove(partial, { recursive: true });
  return { manifest, measured, resumed, warnings };
}

/** A plan checked against the device, with every default filled in. */
interface ResolvedSession {
  readonly sweep: Sweep;
  readonly drivers: string[];
  readonly micIds: readonly string[];
  readonly mics: MicEntry[];
  readonly positions: MicPosition[];
  readonly loopback: InputChannel | undefined;
  readonly irLengthSamples: number;
  readonly tailSamples: number;
  readonly maxRetries: number;
  readonly harmonicCount: number;
  readonly keepHarmonics: boolean;
  readonly keepRecordings: boolean;
  /** The device plays on its own clock: markers locate each capture, drift is corrected. */
  readonly openLoop: boolean;
  readonly journalPlan: JournalPlan;
}

/**
 * Stage 1 of {@linkcode runMeasurementSession}: check the plan against the
 * device (sample rate, drivers and mics it has, each named once, distinct
 * positions, IR length) and fill in the defaults.
 */
function resolveSession(
  device: AudioDevice,
  plan: MeasurementPlan,
  label: (field: SessionField) => string,
): ResolvedSession {
  const sweep = synchronizedSweep(plan.sweep);
  const fs = device.sampleRate;
  if (sweep.sampleRate !== fs) {
    throw new InputError(
      `Cannot measure as the sweep's sampleRate (${sweep.sampleRate} Hz) differs from the device's (${fs} Hz)`,
      { file: undefined, field: "sampleRate", value: sweep.sampleRate },
    );
  }
  const drivers = resolveDrivers(device, plan, label);
  const { micIds, mics } = resolveMics(device, plan, label);
  const positions = resolvePositions(plan, label);
  const loopback = device.inputs.find((i) => i.role === "loopback");
  const irLengthSeconds = plan.irLengthSeconds ?? 0.5;
  const irLengthSamples = Math.round(irLengthSeconds * fs);
  if (!(irLengthSamples >= 64) || !(irLengthSeconds <= MAX_IR_LENGTH_SECONDS)) {
    throw new RangeError(
      `Cannot measure as ${label("irLengthSeconds")} must be in [${
        64 / fs
      }, ${MAX_IR_LENGTH_SECONDS}] s: current value is ${plan.irLengthSeconds}`,
    );
  }
  // The recording runs on for the IR length + 0.25 s after the sweep, so the IR always fits in it.
  const tailSamples = irLengthSamples + Math.round(0.25 * fs);
  const maxRetries = plan.maxRetries ?? 2;
  const harmonicCount = plan.harmonicCount ?? 5;
  const keepHarmonics = plan.keepHarmonics ?? false;
  const keepRecordings = plan.keepRecordings ?? false;
  const journalPlan: JournalPlan = {
    drivers,
    mics: micIds,
    positions,
    irLengthSamples,
    harmonicCount,
    keepHarmonics,
    keepRecordings,
    ...(plan.openLoop ? { openLoop: true } : {}),
  };
  return {
    sweep,
    drivers,
    micIds,
    mics,
    positions,
    loopback,
    irLengthSamples,
    tailSamples,
    maxRetries,
    harmonicCount,
    keepHarmonics,
    keepRecordings,
    openLoop: plan.openLoop ?? false,
    journalPlan,
  };
}

/** The drivers to measure (default: all the device's outputs), each an output of the device, once. */
function resolveDrivers(
  device: AudioDevice,
  plan: MeasurementPlan,
  label: (field: SessionField) => string,
): string[] {
  const drivers = [...(plan.drivers ?? device.outputs.map((o) => o.id))];
  const twice = drivers.find((d, i) => drivers.indexOf(d) !== i);
  if (twice !== undefined) {
    throw new InputError(
      `Cannot measure as ${
        label("drivers")
      } must name each driver once: "${twice}" appears twice in ${drivers.join(",")}`,
      { file: undefined, field: "drivers", value: drivers },
    );
  }
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
  return drivers;
}

/** The mics to record (default: every mic input), each a mic input of the device, once. */
function resolveMics(
  device: AudioDevice,
  plan: MeasurementPlan,
  label: (field: SessionField) => string,
): { micIds: readonly string[]; mics: MicEntry[] } {
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
    const calibration = calibrationEntry(input.calibration);
    return { id, role: input.role, ...(calibration === undefined ? {} : { calibration }) };
  });
  const micTwice = micIds.find((m, i) => micIds.indexOf(m) !== i);
  if (micTwice !== undefined) {
    throw new InputError(
      `Cannot measure as ${label("mics")} must name each mic once: "${micTwice}" appears twice`,
      { file: undefined, field: "mics", value: micIds },
    );
  }
  return { micIds, mics };
}

/** At least one position, each spelled one way (azimuth and yaw in (−180, 180]) and distinct. */
function resolvePositions(
  plan: MeasurementPlan,
  label: (field: SessionField) => string,
): MicPosition[] {
  if (plan.positions.length === 0) {
    throw new InputError("Cannot measure as no position was given", {
      file: undefined,
      field: "positions",
      value: [],
    });
  }
  // One spelling per direction (azimuth and yaw in (−180, 180]), so 360° is the same place as 0°.
  const positions = plan.positions.map(normalizePosition);
  const positionKeys = positions.map((p) => stepKey("", p));
  positionKeys.forEach((key, i) => {
    const first = positionKeys.indexOf(key);
    if (first !== i) {
      throw new InputError(
        `Cannot measure as ${label("positions")} must be distinct: position ${i + 1} (${
          describePosition(positions[i]!)
        }) repeats position ${first + 1}`,
        { file: undefined, field: "positions", value: plan.positions[i] },
      );
    }
  });
  return positions;
}

/**
 * Stage 2 of {@linkcode runMeasurementSession}: the output folder's parent must
 * exist; an existing set, an interrupted session (`<out>.partial`) and the
 * `force` / `append` / `resume` options must agree, and anything `force` would
 * replace must be this tool's own. A stale journal (all its captures already in
 * the set) is removed; with `resume` that finishes the session (`complete`).
 */
async function prepareOutput(
  device: AudioDevice,
  session: ResolvedSession,
  partial: string,
  options: SessionOptions,
  label: (field: SessionField) => string,
): Promise<{ readonly partialExists: boolean; readonly complete?: SessionResult }> {
  const out = options.out;
  const { sweep, journalPlan } = session;
  // The set's folder must exist: a mistyped path is refused, not created (README, Tasks).
  const parent = dirname(out) || ".";
  const parentInfo = await Deno.stat(parent).catch(() => undefined);
  if (!parentInfo?.isDirectory) {
    throw new InputError(
      `Cannot measure into "${out}" as its folder "${parent}" ${
        parentInfo === undefined ? "does not exist" : "is not a folder"
      }`,
      { file: out, field: "out", value: out },
    );
  }
  const outExists = await pathExists(out);
  let partialExists = await pathExists(partial);
  // A run stopped after writing the set but before removing <out>.partial leaves a journal whose
  // captures are all in the set: it is stale, and removing it loses nothing.
  if (partialExists && outExists) {
    const stale = await staleJournal(partial, out);
    if (stale !== undefined) {
      await Deno.remove(partial, { recursive: true });
      partialExists = false;
      options.onNotice?.(
        `removed "${partial}": its ${stale.captures} captures are all in "${out}" already (a run was stopped after writing the set)`,
      );
      if (options.resume) {
        return {
          partialExists,
          complete: {
            manifest: stale.manifest,
            measured: 0,
            resumed: stale.captures,
            warnings: [],
            alreadyComplete: true,
          },
        };
      }
    }
  }

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
  if (partialExists && !options.resume && !options.force) {
    throw new InputError(
      `Cannot measure into "${out}" as an interrupted session is kept in "${partial}": pass --resume to finish it or --force to start over`,
      { file: partial, field: "out", value: partial },
    );
  }
  if (options.append) {
    await checkAppendable(out, device, sweep, journalPlan, label);
  }
  // --force replaces only a set and an interrupted session this tool wrote: checked before any
  // measuring, so nothing else is deleted and no measurement is wasted on a refused output.
  if (outExists && options.force && !options.append) {
    await checkReplaceable(out, MEASUREMENT_SET_OUTPUT);
  }
  if (partialExists && !options.resume) await checkReplaceable(partial, SESSION_PARTIAL);

  return { partialExists };
}

/**
 * Stage 3 of {@linkcode runMeasurementSession}: resume the journal in
 * `<out>.partial` (checked against this session; unreadable captures dropped)
 * or start a fresh one there.
 */
async function openJournal(
  device: AudioDevice,
  session: ResolvedSession,
  partial: string,
  partialExists: boolean,
  options: SessionOptions,
  context: { readonly label: (field: SessionField) => string; readonly warnings: string[] },
): Promise<Journal> {
  const { label, warnings } = context;
  const out = options.out;
  const fs = device.sampleRate;
  const now = options.now ?? (() => new Date());
  const fresh: Journal = {
    format: "spatialcal.session-journal",
    version: 1,
    device: { model: device.model, serial: device.serial, sampleRate: fs },
    sweep: sweepToJson(session.sweep),
    plan: session.journalPlan,
    createdAt: now().toISOString(),
    captures: [],
    done: [],
  };
  let journal: Journal;
  if (options.resume && partialExists) {
    journal = await readJournal(partial);
    checkResumable(partial, journal, fresh, label);
    const dropped = await dropUnreadable(partial, journal, fs, warnings);
    if (dropped > 0) await saveJournal(partial, journal);
  } else {
    if (partialExists) await Deno.remove(partial, { recursive: true });
    journal = fresh;
    try {
      for (const sub of ["ir", "harmonics", "recordings"]) {
        await Deno.mkdir(join(partial, sub), { recursive: true });
      }
      await saveJournal(partial, journal);
    } catch (error) {
      await Deno.remove(partial, { recursive: true }).catch(() => {});
      throw new InputError(
        `Cannot measure into "${out}" as its folder "${dirname(out) || "."}" cannot be written: ${
          (error as Error).message
        }`,
        { file: out, field: "out", value: out, cause: error },
      );
    }
  }
  return journal;
}

/**
 * Stage 4 of {@linkcode runMeasurementSession}: move to each position and
 * measure every driver not done yet, journaling each finished step. Bad input
 * found on the way is rethrown (the partial folder removed if it holds no
 * capture); any other failure becomes a {@linkcode SessionInterruptedError}.
 *
 * @returns The number of captures measured in this run.
 */
async function measureCaptures(
  device: AudioDevice,
  session: ResolvedSession,
  journal: Journal,
  partial: string,
  options: SessionOptions,
  warnings: string[],
): Promise<number> {
  const { drivers, micIds, mics, positions, loopback, sweep } = session;
  const { irLengthSamples, tailSamples, harmonicCount, maxRetries } = session;
  const { keepHarmonics, keepRecordings, openLoop } = session;
  const done = new Set(journal.done);

  if (openLoop) {
    warnings.push(
      `${device.name} measured open loop: each IR's sample ${
        openLoopPreSamples(sweep, harmonicCount)
      } is the first marker's arrival at the first mic; the device's clock drift is corrected per capture`,
    );
  } else if (!loopback) {
    warnings.push(
      `${device.name} has no loopback input: latency is not removed, IR sample 0 is the sweep's first sample`,
    );
  }
  const total = positions.length * drivers.length * mics.length;
  let finished = journal.captures.length;
  let measured = 0;
  const inputs = [...micIds, ...(loopback ? [loopback.id] : [])];
  try {
    for (const position of positions) {
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
          harmonicCount,
          maxRetries,
          warnings,
          keepHarmonics,
          keepRecordings,
          openLoop,
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
    if (error instanceof InputError || error instanceof RangeError) {
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

  return measured;
}

/**
 * Stage 5 of {@linkcode runMeasurementSession}: the manifest of the journaled
 * captures, their audio read back from `<out>.partial`, written as a new set
 * (or appended to the existing one).
 */
async function writeSessionSet(
  device: AudioDevice,
  session: ResolvedSession,
  journal: Journal,
  partial: string,
  options: SessionOptions,
): Promise<MeasurementSetManifest> {
  const out = options.out;
  const fs = device.sampleRate;
  const { sweep, drivers, mics } = session;
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
      const decoded = decodeWav(await readRegularFile(join(partial, file), WAV_READ), {
        name: join(partial, file),
      });
      audio.set(file, { sampleRate: decoded.sampleRate, channels: decoded.channels });
    }
  }
  const written = options.append
    ? await appendToMeasurementSet(out, manifest, audio)
    : (await writeMeasurementSet(out, manifest, audio, { force: options.force ?? false }),
      manifest);
  return written;
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
  readonly openLoop: boolean;
}

async function measureDriver(
  device: AudioDevice,
  sweep: Sweep,
  driver: string,
  position: MicPosition,
  step: DriverStep,
): Promise<{ captures: CaptureEntry[]; irs: Map<string, Signal> }> {
  for (let attempt = 0;; attempt++) {
    let clock: ClockEstimate | undefined;
    const { recording, result } = step.openLoop
      ? await captureOpenLoop(device, sweep, driver, step).then((r) => {
        clock = r.clock;
        return r;
      })
      : await (async () => {
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
        return { recording, result };
      })();
    const dropout = result.warnings.some((w) => w.includes("dropout")) ||
      recording.warnings.some((w) => /dropout|xrun/i.test(w));
    if (dropout && attempt < step.maxRetries) {
      step.warnings.push(
        `${driver} @ az ${position.azimuthDeg}°: dropout, capture retried (attempt ${attempt + 2})`,
      );
      continue;
    }
    refuseClipping(driver, position, step.mics, result.quality, sweep);
    const captures: CaptureEntry[] = [];
    const irs = new Map<string, Signal>();
    step.mics.forEach((mic, c) => {
      const path = irFileName(driver, mic.id, position);
      const harmonicsPath = step.keepHarmonics ? path.replace(/^ir\//, "harmonics/") : undefined;
      const recordingPath = step.keepRecordings ? path.replace(/^ir\//, "recordings/") : undefined;
      const q = result.quality[c]!;
      // The mic's calibration (if its input has one): response divided out, levels in dB SPL.
      const calibrated = applyMicCalibration(
        result.ir.channels[c]!,
        sweep.sampleRate,
        device.inputs.find((i) => i.id === mic.id)?.calibration,
        q.peakDbfs,
      );
      const capture: CaptureEntry = {
        driver,
        mic: mic.id,
        position: { ...position },
        ir: path,
        snrDb: Math.round(q.snrDb * 10) / 10,
        peakDbfs: Math.round(q.peakDbfs * 100) / 100,
        // A response beyond the harmonic window (no loopback, much latency) has no THD to store.
        ...(q.harmonicsSeparable ? { thdPercent: Math.round(q.thdPercent * 1000) / 1000 } : {}),
        ...(result.latencySamples === null ? {} : { latencySamples: result.latencySamples }),
        ...(clock === undefined ? {} : {
          clock: {
            driftPpm: Math.round(clock.driftPpm * 1e4) / 1e4,
            driftUncertaintyPpm: Math.round(clock.driftUncertaintyPpm * 1e4) / 1e4,
          },
        }),
        warnings: [...recording.warnings, ...q.warnings],
        ...(harmonicsPath === undefined ? {} : { harmonics: harmonicsPath }),
        ...(recordingPath === undefined ? {} : { recording: recordingPath }),
        ...calibrated.levels,
      };
      captures.push(capture);
      irs.set(path, { sampleRate: sweep.sampleRate, channels: [calibrated.ir] });
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

/**
 * A clipped capture cannot be judged (README, exit codes): stop the session
 * with an InputError naming the driver, position, mic and clipping, before
 * the capture is kept. Captures finished before stay in `<out>.partial`.
 */
function refuseClipping(
  driver: string,
  position: MicPosition,
  mics: readonly MicEntry[],
  quality: readonly { readonly peakDbfs: number; readonly warnings: readonly string[] }[],
  sweep: Sweep,
): void {
  mics.forEach((mic, c) => {
    const clip = quality[c]!.warnings.find((w) => w.startsWith("clipping"));
    if (clip === undefined) return;
    throw new InputError(
      `Cannot measure ${driver} at ${
        describePosition(position)
      } as mic "${mic.id}" clipped (${clip}; peak ${
        quality[c]!.peakDbfs.toFixed(2)
      } dBFS): a clipped capture cannot be judged; lower the sweep level (now ${sweep.levelDbfs} dBFS) or the input gain`,
      { file: undefined, field: "levelDbfs", value: sweep.levelDbfs },
    );
  });
}

/** `az 30°, el 0°, 2 m` (+ `, yaw 5°` when the head is turned). */
function describePosition(p: MicPosition): string {
  return `az ${p.azimuthDeg}°, el ${p.elevationDeg}°, ${p.distanceMeters} m${
    p.headYawDeg ? `, yaw ${p.headYawDeg}°` : ""
  }`;
}

/** A list of positions in a few words: each one when few, else the count and the azimuth span. */
function describePositions(list: readonly MicPosition[]): string {
  if (list.length <= 3) return list.map(describePosition).join("; ");
  const az = list.map((p) => p.azimuthDeg);
  return `${list.length} positions (az ${Math.min(...az)}°…${Math.max(...az)}°)`;
}

/** The identity of a capture in a set: driver, mic and position (angles normalized). */
function captureKey(driver: string, mic: string, position: MicPosition): string {
  return JSON.stringify([mic, stepKey(driver, normalizePosition(position))]);
}

/** Numbers equal to 1e-9 relative (values read back from JSON are exact; this is slack for sums). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

const SWEEP_FIELDS = [
  ["method", "sweep.method", ""],
  ["startHz", "sweep.startHz", " Hz"],
  ["endHz", "sweep.endHz", " Hz"],
  ["durationSeconds", "sweep.durationSeconds", " s"],
  ["levelDbfs", "sweep.levelDbfs", " dBFS"],
] as const;

/**
 * Is the journal in `partial` stale, i.e. are all its (one or more) captures in the set at `out`
 * already, for the same unit? Returns the set's manifest and the count, or undefined (also when
 * either cannot be read: then it is not ours to remove).
 */
async function staleJournal(
  partial: string,
  out: string,
): Promise<{ manifest: MeasurementSetManifest; captures: number } | undefined> {
  let journal: Journal, manifest: MeasurementSetManifest;
  try {
    journal = await readJournal(partial);
    manifest = (await readMeasurementSet(out)).manifest;
  } catch {
    return undefined;
  }
  if (
    journal.captures.length === 0 || manifest.device.model !== journal.device.model ||
    manifest.device.serial !== journal.device.serial ||
    manifest.sampleRate !== journal.device.sampleRate
  ) {
    return undefined;
  }
  const inSet = new Set(manifest.captures.map((c) => `${c.ir}\n${c.driver}\n${c.mic}`));
  return journal.captures.every((c) => inSet.has(`${c.ir}\n${c.driver}\n${c.mic}`))
    ? { manifest, captures: journal.captures.length }
    : undefined;
}

/**
 * Refuse, before anything is measured, an append the set would refuse at the end: `out` is not
 * a measurement set, another unit, sample rate or sweep, or a capture the set already has.
 */
async function checkAppendable(
  out: string,
  device: AudioDevice,
  sweep: Sweep,
  plan: JournalPlan,
  label: (field: SessionField) => string,
): Promise<void> {
  let manifest: MeasurementSetManifest;
  try {
    manifest = (await readMeasurementSet(out)).manifest;
  } catch (error) {
    throw new InputError(
      `Cannot append to "${out}" as it is not a measurement set folder: ${
        (error as Error).message
      }`,
      { file: out, field: "out", value: out, cause: error },
    );
  }
  const file = join(out, "manifest.json");
  const differs = (field: SessionField, ours: unknown, theirs: unknown, unit = ""): never => {
    throw new InputError(
      `Cannot append to measurement set "${out}" as ${label(field)} differs: the set has ${
        JSON.stringify(ours)
      }${unit}, this run has ${JSON.stringify(theirs)}${unit}`,
      { file, field, value: theirs },
    );
  };
  if (manifest.device.model !== device.model) differs("model", manifest.device.model, device.model);
  if (manifest.device.serial !== device.serial) {
    differs("serial", manifest.device.serial, device.serial);
  }
  if (manifest.sampleRate !== device.sampleRate) {
    differs("sampleRate", manifest.sampleRate, device.sampleRate, " Hz");
  }
  if (manifest.sweep !== undefined) {
    for (const [key, field, unit] of SWEEP_FIELDS) {
      if (!same(manifest.sweep[key], sweep[key])) {
        differs(field, manifest.sweep[key], sweep[key], unit);
      }
    }
  }
  const have = new Set(manifest.captures.map((c) => captureKey(c.driver, c.mic, c.position)));
  const files = new Set(referencedFiles(manifest).map((f) => f.path));
  const clashes: string[] = [];
  for (const position of plan.positions) {
    for (const driver of plan.drivers) {
      for (const mic of plan.mics) {
        const ir = irFileName(driver, mic, position);
        const paths = [
          ir,
          ...(plan.keepHarmonics ? [ir.replace(/^ir\//, "harmonics/")] : []),
          ...(plan.keepRecordings ? [ir.replace(/^ir\//, "recordings/")] : []),
        ];
        if (have.has(captureKey(driver, mic, position)) || paths.some((p) => files.has(p))) {
          clashes.push(`${driver} × ${mic} at ${describePosition(position)} (${ir})`);
        }
      }
    }
  }
  if (clashes.length > 0) {
    throw new InputError(
      `Cannot append to measurement set "${out}" as it already has ${clashes.length} of the captures this run would measure (driver × mic × position must be new), e.g. ${
        clashes[0]
      }: choose other ${label("positions")}, ${label("drivers")} or ${label("mics")}`,
      { file, field: "captures", value: clashes },
    );
  }
}

/** Refuse to resume a journal whose unit, sweep or plan differs from this session's, naming what. */
function checkResumable(
  partial: string,
  journal: Journal,
  fresh: Journal,
  label: (field: SessionField) => string,
): void {
  const file = join(partial, JOURNAL);
  const differs = (field: SessionField, theirs: string, ours: string): never => {
    throw new InputError(
      `Cannot resume "${partial}" as ${
        label(field)
      } differs: the interrupted session measured ${theirs}, this run asks ${ours}. Run it with the options it was started with, or without --resume and with --force to start over`,
      { file, field, value: ours },
    );
  };
  const show = (v: unknown, unit = "") => `${JSON.stringify(v)}${unit}`;
  const list = (ids: readonly string[]) => ids.join(", ");
  if (journal.device.model !== fresh.device.model) {
    differs("model", show(journal.device.model), show(fresh.device.model));
  }
  if (journal.device.serial !== fresh.device.serial) {
    differs("serial", show(journal.device.serial), show(fresh.device.serial));
  }
  if (journal.device.sampleRate !== fresh.device.sampleRate) {
    differs(
      "sampleRate",
      show(journal.device.sampleRate, " Hz"),
      show(fresh.device.sampleRate, " Hz"),
    );
  }
  // The requested duration may differ when it gives the same synchronized sweep.
  const { requestedDurationSeconds: _a, ...a } = journal.sweep as unknown as Record<
    string,
    unknown
  >;
  const { requestedDurationSeconds: _b, ...b } = fresh.sweep as unknown as Record<string, unknown>;
  for (const [key, field, unit] of SWEEP_FIELDS) {
    if (!same(a[key], b[key])) differs(field, show(a[key], unit), show(b[key], unit));
  }
  if (!same(a, b)) differs("sweep", show(journal.sweep), show(fresh.sweep));
  const old = journal.plan, now = fresh.plan!;
  if (old === undefined) return; // a journal from before plans were recorded: the checks above
  if (!same([...old.mics].sort(), [...now.mics].sort())) {
    differs("mics", list(old.mics), list(now.mics));
  }
  if (!same([...old.drivers].sort(), [...now.drivers].sort())) {
    differs("drivers", list(old.drivers), list(now.drivers));
  }
  const keys = (ps: readonly MicPosition[]) => ps.map((p) => stepKey("", p)).sort();
  if (!same(keys(old.positions), keys(now.positions))) {
    differs("positions", describePositions(old.positions), describePositions(now.positions));
  }
  if (old.irLengthSamples !== now.irLengthSamples) {
    const s = (n: number) => `${n / journal.device.sampleRate} s`;
    differs("irLengthSeconds", s(old.irLengthSamples), s(now.irLengthSamples));
  }
  if (old.harmonicCount !== now.harmonicCount) {
    differs("harmonicCount", show(old.harmonicCount), show(now.harmonicCount));
  }
  if (old.keepHarmonics !== now.keepHarmonics) {
    differs("keepHarmonics", show(old.keepHarmonics), show(now.keepHarmonics));
  }
  if (old.keepRecordings !== now.keepRecordings) {
    differs("keepRecordings", show(old.keepRecordings), show(now.keepRecordings));
  }
  if ((old.openLoop ?? false) !== (now.openLoop ?? false)) {
    differs("openLoop", show(old.openLoop ?? false), show(now.openLoop ?? false));
  }
}

/**
 * Check every file of the journal's finished captures before measuring: a driver step (all mics
 * of one driver at one position) with a file that is missing, unreadable or at another sample
 * rate is dropped from the journal with a warning, so it is measured again. Returns how many
 * captures were dropped.
 */
async function dropUnreadable(
  partial: string,
  journal: Journal,
  sampleRate: number,
  warnings: string[],
): Promise<number> {
  const bad = new Map<string, string>(); // step key → reason
  for (const capture of journal.captures) {
    const key = stepKey(capture.driver, capture.position);
    if (bad.has(key)) continue;
    for (const file of [capture.ir, capture.harmonics, capture.recording]) {
      if (file === undefined) continue;
      const path = join(partial, file);
      try {
        const wav = decodeWav(await readRegularFile(path, WAV_READ), { name: path });
        if (wav.sampleRate !== sampleRate) {
          throw new Error(`its sample rate is ${wav.sampleRate} Hz, not ${sampleRate} Hz`);
        }
      } catch (error) {
        bad.set(key, `"${path}" cannot be used (${(error as Error).message})`);
        break;
      }
    }
  }
  if (bad.size === 0) return 0;
  const before = journal.captures.length;
  journal.captures = journal.captures.filter((c) => !bad.has(stepKey(c.driver, c.position)));
  journal.done = journal.done.filter((key) => !bad.has(key));
  for (const reason of bad.values()) {
    warnings.push(`${reason}: its driver's captures at that position are measured again`);
  }
  return before - journal.captures.length;
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
    const j = await readJsonFile(file, "session journal") as Journal;
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
