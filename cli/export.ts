/**
 * `deno task export`: a bundle as a run-ready configuration for a real
 * convolution engine (BruteFIR, jconvolver, CamillaDSP) or as a plain WAV
 * matrix.
 *
 * @module
 */
import { resolve } from "node:path";
import { readBundle } from "../calibrate/bundle.ts";
import {
  DEFAULT_PARTITION_SIZE,
  ENGINE_EXPORT_OUTPUT,
  ENGINE_IOS,
  EXPORT_FORMATS,
  EXPORT_IOS,
  exportBundle,
  type ExportFormat,
  type ExportIo,
  writeExport,
} from "../render/export.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  numberFlag,
  parseFlags,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task export --bundle <bundle> --format brutefir|jconvolver|camilladsp|wav --out <folder>
                 [--io jack|alsa|file] [--input FILE --output FILE] [--partition-size N]
                 [--capture PORTS] [--playback PORTS] [--client-name NAME] [--force] [--json]

Writes a folder with a run-ready engine configuration and the filter files it
needs, in the engine's own formats: the bundle's inputs (left, right) to one
output per driver in device.drivers order, out_d = Σ_i filters[i][d] * in_i,
unity gain and no delay on every path — exactly what deno task render applies.
export.json in the folder states the mapping, the engine's own I/O latency and
the command that runs it (from inside the folder).

Bundles with the STFT upmix (inputs left, right, center) are refused: the upmix
is signal-dependent and no convolution engine runs it. Fit with --upmix none.

Options
  --bundle DIR          the filter bundle (required; its file hashes are checked)
  --format F            brutefir | jconvolver | camilladsp | wav (required)
  --out DIR             the folder to write (required; refused if it exists unless --force)
  --io jack|alsa|file   brutefir: jack (default), alsa, file; jconvolver: jack (default),
                        file (the same config run offline by fconvolver); camilladsp: alsa
                        (default), jack, file; not for wav
  --input FILE          --io file: stereo input, a WAV (must exist: its header is read) or
                        raw interleaved float32 LE (default input.raw / input.wav)
  --output FILE         --io file: output, raw interleaved float32 LE, one channel per driver
                        (fconvolver: a WAV) (default output.raw / output.wav)
  --partition-size N    partition (BruteFIR, jconvolver) or chunk size (CamillaDSP), a power
                        of two (defaults: brutefir ${DEFAULT_PARTITION_SIZE.brutefir}, jconvolver ${DEFAULT_PARTITION_SIZE.jconvolver} = the JACK period,
                        camilladsp ${DEFAULT_PARTITION_SIZE.camilladsp})
  --capture PORTS       jack: comma-separated ports feeding left,right (default
                        system:capture_1,system:capture_2; "" leaves one unconnected);
                        alsa: the capture device (default hw:0)
  --playback PORTS      jack: one port per driver (default system:playback_1..N);
                        alsa: the playback device (default hw:0)
  --client-name NAME    jack: the JACK client name of BruteFIR / jconvolver (default spatialcal;
                        ports NAME:left, NAME:right, NAME:<driver>)
  --force               replace an existing --out folder
  --json                print export.json on stdout

Exit codes: 0 written, 2 bad input (upmix bundle, unknown format, I/O the engine lacks,
existing output), 3 internal error.
`;

function choice<T extends string>(
  value: string | undefined,
  flag: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `Cannot use --${flag} as it must be one of ${
        allowed.join(", ")
      }: current value is "${value}"`,
    );
  }
  return value as T;
}

await runCommand(HELP, async (args) => {
  const v = parseFlags("export", args, {
    bundle: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    io: { type: "string" },
    input: { type: "string" },
    output: { type: "string" },
    "partition-size": { type: "string" },
    capture: { type: "string" },
    playback: { type: "string" },
    "client-name": { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const bundleFolder = stringFlag(v, "bundle", true);
  const format = choice<ExportFormat>(stringFlag(v, "format", true), "format", EXPORT_FORMATS)!;
  const out = stringFlag(v, "out", true);
  const io = choice<ExportIo>(stringFlag(v, "io"), "io", EXPORT_IOS);
  const input = stringFlag(v, "input");
  const output = stringFlag(v, "output");
  const resolvedIo = io ?? ENGINE_IOS[format][0];
  await checkPaths({
    inputs: [
      { flag: "--bundle", path: bundleFolder },
      ...(input !== undefined ? [{ flag: "--input", path: input }] : []),
    ],
    outputs: [
      { flag: "--out", path: out },
      ...(output !== undefined ? [{ flag: "--output", path: output }] : []),
    ],
  });
  await checkOutputWritable("--out", out, {
    force: booleanFlag(v, "force"),
    kind: "folder",
    own: ENGINE_EXPORT_OUTPUT,
  });
  const { bundle, filters } = await readBundle(bundleFolder);
  const list = (name: string) => {
    const s = stringFlag(v, name);
    if (s === undefined) return undefined;
    return resolvedIo === "alsa" ? [s] : s.split(",").map((p) => p.trim());
  };
  const capture = list("capture");
  const playback = list("playback");
  const partitionSize = numberFlag(v, "partition-size");
  const clientName = stringFlag(v, "client-name");
  let inputBytes: Uint8Array | undefined;
  if (resolvedIo === "file" && input !== undefined && input.toLowerCase().endsWith(".wav")) {
    inputBytes = await Deno.readFile(input).catch(() => undefined);
  }
  const exported = exportBundle(bundle, filters, {
    format,
    bundleFolder,
    ...(io !== undefined ? { io } : {}),
    // Absolute paths: the engine runs from inside the export folder.
    ...(input !== undefined ? { input: resolve(input) } : {}),
    ...(output !== undefined ? { output: resolve(output) } : {}),
    ...(partitionSize !== undefined ? { partitionSize } : {}),
    ...(capture !== undefined ? { capture } : {}),
    ...(playback !== undefined ? { playback } : {}),
    ...(clientName !== undefined ? { clientName } : {}),
  }, inputBytes);
  await writeExport(out, exported, { force: booleanFlag(v, "force") });
  const d = exported.description;
  if (booleanFlag(v, "json")) console.log(JSON.stringify(d, null, 2));
  else {
    console.log(
      `wrote ${out}: ${d.engine}${d.io ? ` (${d.io})` : ""}, ${
        d.inputs.join(", ")
      } -> ${d.outputs.length} driver outputs (${
        d.outputs.join(", ")
      }), ${d.taps} taps at ${d.sampleRate} Hz`,
    );
    if (d.engineLatency) {
      console.log(
        `engine latency: ${
          d.engineLatency.samples === null ? "see rule" : `${d.engineLatency.samples} samples`
        } (${d.engineLatency.rule})`,
      );
    }
    if (d.run) console.log(`run: cd ${out} && ${d.run}`);
  }
  return 0;
});
