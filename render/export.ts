/**
 * Export a filter bundle to real convolution engines: a run-ready
 * configuration plus the filter files it needs, in each engine's own format.
 *
 * Every export realizes the bundle's rendering rule (DESIGN.md "Filter
 * bundle"), for a bundle without upmix:
 *
 * ```text
 * out_d = Σ_i filters[i][d] * in_i      i ∈ {left, right}, d = device.drivers order
 * ```
 *
 * one engine output per driver, in `device.drivers` order, unity gain and no
 * delay on every path: `deno task render` applies nothing but the filters
 * (the bundle's `latencySamples` is inside them), so neither does the export.
 * What the engine adds is its own I/O delay, stated per engine and I/O in
 * `export.json` (`engineLatency`) — sample-exact where the engine's
 * documentation fixes it.
 *
 * Engines and their formats:
 * - **BruteFIR** (`brutefir.conf`, BruteFIR 1.0 config syntax [1]): one raw
 *   float32 little-endian coefficient file per (input, driver) pair
 *   (`coeffs/<input>.<driver>.f32`, zero-padded to a whole number of
 *   partitions), one `filter` per pair mixing into the driver's output.
 *   I/O `file` (raw or WAV input, raw FLOAT_LE output), `jack` or `alsa`.
 * - **jconvolver** (`jconvolver.conf`, the command language of [2]): the
 *   bundle's filter WAVs (`filters/<input>.wav`, one channel per driver) and
 *   one `/impulse/read` per pair. I/O `jack`; `file` makes the same config
 *   run offline in `fconvolver` (shipped with jconvolver, which ignores the
 *   port commands [2]).
 * - **CamillaDSP** (`camilladsp.yml`, the YAML schema of CamillaDSP 3/4 [3]):
 *   a mixer copying each input to one channel per driver, one `Conv` filter
 *   (type `Wav`) per pair, a mixer summing the pairs into the driver outputs.
 *   I/O `alsa`, `jack` or `file` (`RawFile`/`WavFile` capture, `File` playback).
 * - **wav**: the plain matrix for firmware: `filters/<input>.wav` as in the
 *   bundle plus `matrix.wav` with channel `i·D + d` = filter from input i to
 *   driver d, and `export.json` naming every channel.
 *
 * Bundles with the STFT upmix (`inputs: left, right, center`) are refused:
 * the upmix is a time-varying, signal-dependent STFT projection that no
 * plain convolution matrix reproduces. Fit a two-input bundle with
 * `deno task fit --upmix none` to run in an engine.
 *
 * References:
 * 1. A. Torger, "BruteFIR" documentation (brutefir.html, version 1.0),
 *    sections "Configuring and running", "I/O modules".
 * 2. F. Adriaensen, jconvolver 1.1 README.CONFIG ("Configuration file format
 *    for jconvolver and fconvolver").
 * 3. H. Enquist, CamillaDSP README (v4.1): "Devices", "Filters / FIR",
 *    "Mixers", "Pipeline".
 *
 * @module
 */
import { InputError, type InputFailure, inputFailure } from "../io/errors.ts";
import { decodeWav, encodeWav } from "../io/wav.ts";
import { writeFolderAtomically } from "../io/atomic.ts";
import { ownFolder, type OwnOutput } from "../io/own_output.ts";
import { encoder, filterWavs, type Plan } from "./_export_common.ts";
import { brutefirExport } from "./_brutefir.ts";
import { jconvolverExport } from "./_jconvolver.ts";
import { camilladspExport } from "./_camilladsp.ts";

export { float32LeBytes } from "./_export_common.ts";
import type { BundleFilters, FilterBundle } from "../calibrate/bundle.ts";
import { dirname, join } from "node:path";
import { isPowerOfTwo } from "../dsp/fft.ts";

/** Engines (and the plain matrix) a bundle exports to. */
export const EXPORT_FORMATS = ["brutefir", "jconvolver", "camilladsp", "wav"] as const;
/** One of {@linkcode EXPORT_FORMATS}. */
export type ExportFormat = typeof EXPORT_FORMATS[number];
/** Audio I/O of an exported engine. */
export const EXPORT_IOS = ["jack", "alsa", "file"] as const;
/** One of {@linkcode EXPORT_IOS}. */
export type ExportIo = typeof EXPORT_IOS[number];

/** The I/O each engine accepts; the first is its default. */
export const ENGINE_IOS: Readonly<Record<ExportFormat, readonly ExportIo[]>> = {
  brutefir: ["jack", "alsa", "file"],
  jconvolver: ["jack", "file"],
  camilladsp: ["alsa", "jack", "file"],
  wav: [],
};

/** Default partition (BruteFIR, jconvolver) or chunk (CamillaDSP) size in samples. */
export const DEFAULT_PARTITION_SIZE: Readonly<Record<ExportFormat, number>> = {
  brutefir: 1024,
  jconvolver: 256,
  camilladsp: 1024,
  wav: 0,
};

/** File name of the export's own description inside the export folder. */
export const EXPORT_FILE_NAME = "export.json";

/** Options of {@linkcode exportBundle}. */
export interface ExportOptions {
  /** The engine. */
  readonly format: ExportFormat;
  /** The bundle's folder, named in error messages. */
  readonly bundleFolder?: string;
  /** Audio I/O; default the engine's first in {@linkcode ENGINE_IOS}. Not allowed for `wav`. */
  readonly io?: ExportIo;
  /**
   * `io: "file"`: the stereo input, a WAV (read now for its format: it must
   * exist) or raw interleaved float32 LE; default `input.raw` (BruteFIR,
   * CamillaDSP) or `input.wav` (fconvolver). Paths are written as given:
   * pass absolute paths for a config that runs from anywhere.
   */
  readonly input?: string;
  /** `io: "file"`: the output; raw interleaved float32 LE (fconvolver: a WAV). */
  readonly output?: string;
  /** Partition (BruteFIR, jconvolver) or chunk size (CamillaDSP), a power of two in 64..65536. */
  readonly partitionSize?: number;
  /**
   * Where the inputs come from: JACK ports (one per input, `""` = leave
   * unconnected), or for ALSA one device name. Default `system:capture_1`,
   * `system:capture_2` / `hw:0`.
   */
  readonly capture?: readonly string[];
  /** Where the driver outputs go: JACK ports (one per driver) or one ALSA device. */
  readonly playback?: readonly string[];
  /** JACK client name of BruteFIR and jconvolver (default `"spatialcal"`); its ports are `<name>:<input or driver>`. */
  readonly clientName?: string;
}

/** How much an engine delays its output relative to its input. */
export interface EngineLatency {
  /** Samples, when the engine's documentation (or this I/O) fixes it; else null. */
  readonly samples: number | null;
  /** The documented rule, in words. */
  readonly rule: string;
}

/** `export.json`: what was exported and how to run it. */
export interface ExportDescription {
  /** Always `"spatialcal.engine-export"`. */
  readonly format: "spatialcal.engine-export";
  /** Always 1. */
  readonly version: 1;
  /** The engine (or `wav`). */
  readonly engine: ExportFormat;
  /** The audio I/O of the config (null for wav). */
  readonly io: ExportIo | null;
  /** Sample rate in Hz the engine must run at (the bundle's). */
  readonly sampleRate: number;
  /** Filter length in samples. */
  readonly taps: number;
  /** The bundle's own modelling delay (inside the filters), samples. */
  readonly bundleLatencySamples: number;
  /** What the engine adds on top (null for wav). */
  readonly engineLatency: EngineLatency | null;
  /** Partition / chunk size in samples (null for wav). */
  readonly partitionSize: number | null;
  /** The bundle exported: its unit and the SHA-256 of its bundle.json content. */
  readonly bundle: {
    readonly model: string;
    readonly serial: string;
    readonly sha256: string | null;
  };
  /** Engine input channel i carries `inputs[i]` (left, right). */
  readonly inputs: readonly string[];
  /** Output channel d (0-based) feeds driver `outputs[d]`. */
  readonly outputs: readonly string[];
  /** Every path: from input, to driver, gain (linear), delay (samples), file and channel. */
  readonly paths: readonly {
    readonly input: string;
    readonly driver: string;
    readonly gain: number;
    readonly delaySamples: number;
    readonly file: string;
    readonly channel: number;
  }[];
  /** The main configuration file (null for wav). */
  readonly config: string | null;
  /** Shell command that runs it, from inside the export folder (null for wav). */
  readonly run: string | null;
}

/**
 * An engine export as `--force` may replace it: a folder with `export.json` of
 * format `spatialcal.engine-export` (see `io/own_output.ts`).
 */
export const ENGINE_EXPORT_OUTPUT: OwnOutput = ownFolder({
  what: "an engine export",
  descriptor: "export.json",
  format: "spatialcal.engine-export",
});

/** An export ready to be written: relative path → bytes, and its description. */
export interface EngineExport {
  /** Relative path inside the export folder → file content (export.json included). */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** The content of export.json. */
  readonly description: ExportDescription;
}

/** A bundle's parts an export needs. */
export type ExportableBundle =
  & Pick<
    FilterBundle,
    "sampleRate" | "taps" | "latencySamples" | "device" | "inputs" | "upmix"
  >
  & { readonly sha256?: string };

const fail: InputFailure = inputFailure("export the bundle", undefined);

/** Layout of a WAV file's sample data, for engines that read raw data at an offset. */
export interface WavDataLayout {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Channels in the file. */
  readonly channelCount: number;
  /** BruteFIR sample format string (`S16_LE`, `S24_LE`, `S32_LE`, `FLOAT_LE`). */
  readonly brutefirSample: string;
  /** Byte offset of the first sample (the `data` chunk's body). */
  readonly dataOffset: number;
  /** Bytes of sample data. */
  readonly dataBytes: number;
  /** Bytes after the data chunk (other chunks): a raw reader would take them for samples. */
  readonly trailingBytes: number;
}

/**
 * Find where a WAV file's samples are: decode it (format checks of
 * `io/wav.ts`) and walk its RIFF chunks to the `data` chunk.
 *
 * @param bytes The file.
 * @param name The path, for messages.
 * @throws {InputError} for a file that is not a WAV `io/wav.ts` reads.
 */
export function wavDataLayout(bytes: Uint8Array, name: string): WavDataLayout {
  const wav = decodeWav(bytes, { name });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    if (id === "data") {
      const sample = wav.format.encoding === "float"
        ? "FLOAT_LE"
        : `S${wav.format.bitsPerSample}_LE`;
      return {
        sampleRate: wav.sampleRate,
        channelCount: wav.channels.length,
        brutefirSample: sample,
        dataOffset: at + 8,
        dataBytes: Math.min(size, bytes.byteLength - at - 8),
        trailingBytes: Math.max(0, bytes.byteLength - (at + 8 + size + (size % 2))),
      };
    }
    at += 8 + size + (size % 2);
  }
  throw new InputError(`Cannot read WAV "${name}" as it has no data chunk`, {
    file: name,
    field: "data",
    value: null,
  });
}

function planExport(
  bundle: ExportableBundle,
  options: ExportOptions,
  inputBytes: Uint8Array | undefined,
): Plan {
  const format = options.format;
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    fail("format", `must be one of ${EXPORT_FORMATS.join(", ")}`, format);
  }
  if (bundle.upmix !== undefined || bundle.inputs.includes("center")) {
    throw new InputError(
      `Cannot export the bundle${
        options.bundleFolder ? ` "${options.bundleFolder}"` : ""
      } as its inputs must be left and right only (no upmix): current value is ${
        JSON.stringify(bundle.inputs)
      } with upmix "${
        bundle.upmix?.method ?? "?"
      }", a signal-dependent STFT process no convolution engine runs; fit a two-input bundle with \`deno task fit --upmix none\``,
      { file: options.bundleFolder, field: "inputs", value: bundle.inputs },
    );
  }
  const allowed = ENGINE_IOS[format];
  if (format === "wav" && options.io !== undefined) {
    fail("io", "must not be given for format wav (it writes filter files only)", options.io);
  }
  const io = format === "wav" ? null : options.io ?? allowed[0]!;
  if (io !== null && !allowed.includes(io)) {
    fail(
      "io",
      `must be one of ${allowed.join(", ")} for ${format}${
        format === "jconvolver" && io === "alsa"
          ? " (jconvolver is a JACK client: run jackd -d alsa and export with --io jack)"
          : ""
      }`,
      io,
    );
  }
  if (io !== "file" && (options.input !== undefined || options.output !== undefined)) {
    fail("input/output", "are files for --io file only", { io, input: options.input });
  }
  const partitionSize = options.partitionSize ?? DEFAULT_PARTITION_SIZE[format];
  if (
    format !== "wav" &&
    (!isPowerOfTwo(partitionSize) || partitionSize < 64 || partitionSize > 65536)
  ) {
    fail("partitionSize", "must be a power of two within 64..65536", partitionSize);
  }
  const fconvolver = format === "jconvolver";
  const input = options.input ?? (fconvolver ? "input.wav" : "input.raw");
  const output = options.output ?? (fconvolver ? "output.wav" : "output.raw");
  let inputWav: WavDataLayout | undefined;
  if (io === "file" && input.toLowerCase().endsWith(".wav")) {
    if (inputBytes === undefined) {
      fail("input", "must be an existing WAV file (its header fixes the sample format)", input);
    }
    inputWav = wavDataLayout(inputBytes, input);
    if (inputWav.channelCount !== 2 || inputWav.sampleRate !== bundle.sampleRate) {
      throw new InputError(
        `Cannot export the bundle for "${input}" as the input must be stereo at the bundle's ${bundle.sampleRate} Hz: it has ${inputWav.channelCount} channels at ${inputWav.sampleRate} Hz`,
        { file: input, field: "format", value: inputWav },
      );
    }
  }
  if (format === "brutefir" && inputWav !== undefined && inputWav.trailingBytes > 0) {
    throw new InputError(
      `Cannot export the bundle for "${input}" as BruteFIR reads a WAV as raw samples to the end of the file, so nothing may follow its data chunk: ${inputWav.trailingBytes} bytes of other chunks do (rewrite it, e.g. sox "${input}" -t wav plain.wav, or give raw float32)`,
      { file: input, field: "data", value: inputWav.trailingBytes },
    );
  }
  if (fconvolver && io === "file" && !output.toLowerCase().endsWith(".wav")) {
    fail("output", "must be a .wav file for fconvolver", output);
  }
  const drivers = bundle.device.drivers;
  if (
    io !== "jack" && io !== "alsa" &&
    (options.capture !== undefined || options.playback !== undefined)
  ) {
    fail("capture/playback", "are JACK ports or ALSA devices: for --io jack or alsa only", { io });
  }
  if (options.clientName !== undefined && (io !== "jack" || format === "camilladsp")) {
    fail("clientName", "is for BruteFIR and jconvolver with --io jack only", options.clientName);
  }
  const clientName = options.clientName ?? "spatialcal";
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(clientName)) {
    fail("clientName", "must be 1..64 letters, digits, _, . or -", clientName);
  }
  const capture = options.capture ??
    (io === "alsa" ? ["hw:0"] : bundle.inputs.map((_, i) => `system:capture_${i + 1}`));
  const playback = options.playback ??
    (io === "alsa" ? ["hw:0"] : drivers.map((_, d) => `system:playback_${d + 1}`));
  if (io === "jack") {
    if (capture.length !== bundle.inputs.length) {
      fail("capture", `must name one JACK port per input (${bundle.inputs.length})`, capture);
    }
    if (playback.length !== drivers.length) {
      fail("playback", `must name one JACK port per driver (${drivers.length})`, playback);
    }
  }
  if (io === "alsa" && (capture.length !== 1 || playback.length !== 1)) {
    fail("capture/playback", "must each be one ALSA device for --io alsa", { capture, playback });
  }
  for (const s of [...capture, ...playback, input, output]) {
    if (/["\n\r]/.test(s)) {
      fail("capture/playback/input/output", "must not contain quotes or newlines", s);
    }
  }
  return { format, io, partitionSize, input, output, inputWav, capture, playback, clientName };
}

function checkFilters(bundle: ExportableBundle, filters: BundleFilters): void {
  for (const input of bundle.inputs) {
    const fs = filters[input];
    if (!fs || fs.length !== bundle.device.drivers.length) {
      throw new RangeError(
        `Cannot export the bundle as filters.${input} must have one filter per driver (${bundle.device.drivers.length}): current value is ${fs?.length}`,
      );
    }
    fs.forEach((h, d) => {
      if (h.length !== bundle.taps) {
        throw new RangeError(
          `Cannot export the bundle as filters.${input}[${d}] must have taps (${bundle.taps}) samples: current value is ${h.length}`,
        );
      }
    });
  }
}

/** The plain matrix: per-input WAVs and one matrix WAV, channel i·D + d. */
function wavExport(
  bundle: ExportableBundle,
  filters: BundleFilters,
): { files: Map<string, Uint8Array> } {
  const files = filterWavs(bundle, filters);
  const channels = bundle.inputs.flatMap((input) => filters[input]!.map((h) => h));
  files.set(
    "matrix.wav",
    encodeWav({ sampleRate: bundle.sampleRate, channels }, { encoding: "float" }),
  );
  return { files };
}

/**
 * Build an engine export of a bundle (nothing is written; see
 * {@linkcode writeExport}).
 *
 * @param bundle The bundle (no upmix).
 * @param filters `filters[input][driver]`, `taps` samples each.
 * @param options Engine, I/O, files, partition size, ports.
 * @param inputBytes `io: "file"` with a WAV input: the input file's bytes (its header fixes the
 *   sample format and data offset BruteFIR reads).
 * @returns The files (relative path → bytes), `export.json` included, and the description.
 * @throws {InputError} for an upmix bundle, an I/O the engine lacks, a bad partition size or
 *   input file; {@linkcode RangeError} for filters that do not fit the bundle.
 *
 * @example
 * ```ts ignore
 * import { readBundle } from "../calibrate/bundle.ts";
 * import { exportBundle, writeExport } from "./export.ts";
 * const { bundle, filters } = await readBundle("bundles/u1");
 * await writeExport("engines/u1-brutefir", exportBundle(bundle, filters, { format: "brutefir" }));
 * ```
 */
export function exportBundle(
  bundle: ExportableBundle,
  filters: BundleFilters,
  options: ExportOptions,
  inputBytes?: Uint8Array,
): EngineExport {
  const plan = planExport(bundle, options, inputBytes);
  checkFilters(bundle, filters);
  const drivers = bundle.device.drivers;
  const made = plan.format === "brutefir"
    ? brutefirExport(bundle, filters, plan)
    : plan.format === "jconvolver"
    ? jconvolverExport(bundle, filters, plan)
    : plan.format === "camilladsp"
    ? camilladspExport(bundle, filters, plan)
    : { ...wavExport(bundle, filters), latency: null, run: null };
  const config = plan.format === "brutefir"
    ? "brutefir.conf"
    : plan.format === "jconvolver"
    ? "jconvolver.conf"
    : plan.format === "camilladsp"
    ? "camilladsp.yml"
    : null;
  const paths = bundle.inputs.flatMap((input, i) =>
    drivers.map((driver, d) => ({
      input,
      driver,
      gain: 1,
      delaySamples: 0,
      file: plan.format === "brutefir"
        ? `coeffs/${input}.${driver}.f32`
        : plan.format === "wav"
        ? "matrix.wav"
        : `filters/${input}.wav`,
      channel: plan.format === "brutefir" ? 0 : plan.format === "wav" ? i * drivers.length + d : d,
    }))
  );
  const description: ExportDescription = {
    format: "spatialcal.engine-export",
    version: 1,
    engine: plan.format,
    io: plan.io,
    sampleRate: bundle.sampleRate,
    taps: bundle.taps,
    bundleLatencySamples: bundle.latencySamples,
    engineLatency: made.latency,
    partitionSize: plan.format === "wav" ? null : plan.partitionSize,
    bundle: {
      model: bundle.device.model,
      serial: bundle.device.serial,
      sha256: bundle.sha256 ?? null,
    },
    inputs: [...bundle.inputs],
    outputs: [...drivers],
    paths,
    config,
    run: made.run,
  };
  const files = new Map(made.files);
  files.set(EXPORT_FILE_NAME, encoder.encode(`${JSON.stringify(description, null, 2)}\n`));
  return { files, description };
}

/**
 * Write an export folder atomically (built under a temporary sibling name,
 * renamed into place; see `io/atomic.ts`).
 *
 * @param folder The folder to create.
 * @param exported What {@linkcode exportBundle} built.
 * @param options `force` to replace an existing folder (default: refused with an InputError).
 */
export async function writeExport(
  folder: string,
  exported: EngineExport,
  options: { readonly force?: boolean } = {},
): Promise<void> {
  await writeFolderAtomically(folder, async (tmp) => {
    for (const [path, bytes] of exported.files) {
      const target = join(tmp, path);
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.writeFile(target, bytes);
    }
  }, { force: options.force ?? false, own: ENGINE_EXPORT_OUTPUT });
}
