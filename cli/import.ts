/**
 * `deno task import`: a measurement set from files a lab already has.
 *
 * One source per run: `--captures LIST` (a capture list of IR files or sweep
 * recordings, `measure/import_captures.ts`) or `--sofa FILE` (a SOFA file,
 * `io/sofa_set.ts`). Each source yields an
 * `ImportedSet` (manifest + audio) that is written the same way, so another
 * source is one more entry in `SOURCES` and its flags.
 *
 * @module
 */
import { readCaptureList } from "../io/capture_list.ts";
import { InputError } from "../io/errors.ts";
import { writeMeasurementSet } from "../io/manifest.ts";
import { importCaptures, type ImportedSet } from "../measure/import_captures.ts";
import { sweepFromJson } from "../measure/sweep_file.ts";
import { layoutFromJson } from "../measure/open_loop.ts";
import { measurementSetFromSofa } from "../io/sofa_set.ts";
import { readSofa } from "../io/sofa.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  type FlagValues,
  numberFlag,
  parseFlags,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task import --captures LIST --out SET --model M --serial S [options]
deno task import --sofa FILE.sofa --out SET --model M --serial S [--sample-rate HZ]

Builds a measurement set (DESIGN.md) from files a lab already has. LIST is a
capture list, CSV with a header row or JSON ({"format": "spatialcal.capture-list",
"version": 1, "captures": [...]}), one capture per row:

  file            WAV path, relative to the list's folder (any PCM 16/24/32 or
                  float32 WAV, any sample rate: resampled to the set's)
  channel         1-based channel of that file (default 1)
  driver          driver id; driver_kind optional (midrange, tweeter, woofer, ...)
  mic, role       mic id and its role: ear-left | ear-right | reference
  azimuth_deg, elevation_deg, distance_m, head_yaw_deg (optional)
                  where the mic (or head centre) was, in the device's frame
  kind            ir (an impulse response from another tool, sample 0 = the
                  instant the stimulus reached the DAC) or recording (a recording
                  of the sweep in --sweep, deconvolved here)
  mic_sensitivity_dbfs   optional: the mic's dBFS for 94 dB SPL (see
                  deno task calibrate-mic); levels are then also given in dB SPL
  mic_response_file      optional: the mic's response calibration (Hz dB [phase]
                  lines), divided out of every IR of that mic

--sofa reads a SOFA file (AES69-2022) of convention GeneralFIR, GeneralFIR-E or
SimpleFreeFieldHRIR: one capture per measurement x receiver x emitter. Emitters
become drivers (emitter-1..., or the ids deno task sofa wrote), two receivers left
and right of the listener ear-left / ear-right, others reference mics receiver-1...;
a measurement's position is the listener's place in the source's frame, headYawDeg
from ListenerView (an HRIR file reads as a head in front of the device turned by
-azimuth, at -elevation). Data.Delay is applied. The set keeps the file's rate
unless --sample-rate is given.

Options
  --captures FILE         the capture list (.csv or .json)
  --sofa FILE             a SOFA file instead (.sofa)
  --out DIR               the measurement set to write (required)
  --model M               device model (required)
  --serial S              the unit's serial number (required)
  --sample-rate HZ        the set's sample rate (default: the sweep's with
                          recordings, else the first listed file's)
  --sweep FILE            (--captures) sweep.json of the sweep the recordings captured
                          (written by deno task sweep; required for recordings)
  --loopback-channel K    (--captures) channel K (1-based) of every recording is the electrical
                          loopback: its latency is removed from the IRs; a recording
                          that starts after the sweep is refused
  --open-loop             (--captures) the recordings were made open loop: the device played
                          the stimulus of a sweep.json written with deno task sweep --markers on
                          its own clock, start unknown; the markers give each recording's start
                          and clock drift (capture "clock": driftPpm ± its standard error),
                          corrected before deconvolution. Without it, a drift the markers show
                          is warned about
  --slot-drivers a,b,...  (--captures) with a sweep of several drivers in sequence
                          (sweep --markers --drivers N): the driver id of each slot, in order
  --force                 replace an existing set folder
  --json                  print a summary as JSON on stdout
`;

/** The sources a set can be imported from: flag → reader. */
const SOURCES: Record<string, (v: FlagValues, path: string) => Promise<ImportedSet>> = {
  captures: importFromCaptureList,
  sofa: importFromSofa,
};

await runCommand(HELP, async (args) => {
  const v = parseFlags("import", args, {
    captures: { type: "string" },
    sofa: { type: "string" },
    out: { type: "string" },
    model: { type: "string" },
    serial: { type: "string" },
    "sample-rate": { type: "string" },
    sweep: { type: "string" },
    "loopback-channel": { type: "string" },
    "open-loop": { type: "boolean" },
    "slot-drivers": { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const given = Object.keys(SOURCES).filter((name) => v[name] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      `Cannot import as exactly one source must be given (${
        Object.keys(SOURCES).map((s) => `--${s}`).join(", ")
      }): current value is ${given.length === 0 ? "none" : given.map((s) => `--${s}`).join(" ")}`,
    );
  }
  const source = given[0]!;
  const sourcePath = stringFlag(v, source, true);
  const out = stringFlag(v, "out", true);
  stringFlag(v, "model", true);
  stringFlag(v, "serial", true);
  const force = booleanFlag(v, "force");
  const sweepPath = stringFlag(v, "sweep");
  await checkPaths({
    inputs: [
      { flag: `--${source}`, path: sourcePath },
      ...(sweepPath === undefined ? [] : [{ flag: "--sweep", path: sweepPath }]),
    ],
    outputs: [{ flag: "--out", path: out }],
  });
  await checkOutputWritable("--out", out, { force, kind: "folder" });

  const set = await SOURCES[source]!(v, sourcePath);
  await writeMeasurementSet(out, set.manifest, set.audio, { force });

  const m = set.manifest;
  const summary = {
    out,
    sampleRate: m.sampleRate,
    drivers: m.device.drivers.map((d) => d.id),
    mics: m.mics.map((mic) => mic.id),
    captures: m.captures.length,
    warnings: set.warnings,
  };
  if (booleanFlag(v, "json")) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(
      `wrote ${out}: ${summary.captures} captures of ${summary.drivers.length} driver(s) at ${summary.mics.length} mic(s), ${m.sampleRate} Hz`,
    );
    for (const w of set.warnings) console.error(`warning: ${w}`);
  }
  return 0;
});

async function importFromCaptureList(v: FlagValues, path: string): Promise<ImportedSet> {
  const list = await readCaptureList(path);
  const sweepPath = stringFlag(v, "sweep");
  let sweep;
  let layout;
  if (sweepPath !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(sweepPath));
    } catch (error) {
      throw new InputError(
        error instanceof Deno.errors.NotFound
          ? `Cannot read sweep parameters "${sweepPath}" as the file does not exist`
          : `Cannot read sweep parameters "${sweepPath}" as it is not valid JSON: ${
            (error as Error).message
          }`,
        { file: sweepPath, field: "file", value: sweepPath, cause: error },
      );
    }
    sweep = sweepFromJson(json, sweepPath);
    layout = layoutFromJson(json, sweep, sweepPath);
  }
  const openLoop = booleanFlag(v, "open-loop");
  if (openLoop && layout === undefined) {
    throw new UsageError(
      `Cannot use --open-loop as it needs the sweep.json of a stimulus with markers (deno task sweep --markers) in --sweep: current value is ${
        sweepPath === undefined ? "no --sweep" : `"${sweepPath}"`
      }`,
    );
  }
  const slotDrivers = stringFlag(v, "slot-drivers")?.split(",").map((d) => d.trim());
  const slots = layout?.sweepStartsSamples.length ?? 1;
  if (slots > 1 ? slotDrivers?.length !== slots : slotDrivers !== undefined) {
    throw new UsageError(
      `Cannot use --slot-drivers as it must name one driver per sweep slot of the --sweep (${slots}${
        slots > 1 ? "" : ": not needed"
      }): current value is "${stringFlag(v, "slot-drivers") ?? ""}"`,
    );
  }
  const loopback = numberFlag(v, "loopback-channel");
  if (loopback !== undefined && !(Number.isInteger(loopback) && loopback >= 1)) {
    throw new UsageError(
      `Cannot use --loopback-channel as it must be a channel number >= 1: current value is ${loopback}`,
    );
  }
  const sampleRate = sampleRateFlag(v);
  return await importCaptures(list, {
    model: stringFlag(v, "model", true),
    serial: stringFlag(v, "serial", true),
    ...(sampleRate === undefined ? {} : { sampleRate }),
    ...(sweep === undefined ? {} : { sweep }),
    ...(loopback === undefined ? {} : { loopbackChannel: loopback }),
    ...(layout === undefined ? {} : { layout }),
    ...(openLoop ? { openLoop } : {}),
    ...(slotDrivers === undefined ? {} : { slotDrivers }),
  });
}

async function importFromSofa(v: FlagValues, path: string): Promise<ImportedSet> {
  for (const flag of ["sweep", "loopback-channel", "open-loop", "slot-drivers"]) {
    if (v[flag] !== undefined) {
      throw new UsageError(
        `Cannot use --${flag} with --sofa as a SOFA file holds impulse responses, not recordings: current value is "${
          v[flag]
        }"`,
      );
    }
  }
  const sampleRate = sampleRateFlag(v);
  const { manifest, audio } = measurementSetFromSofa(await readSofa(path), {
    model: stringFlag(v, "model", true),
    serial: stringFlag(v, "serial", true),
    file: path,
    ...(sampleRate === undefined ? {} : { sampleRate }),
  });
  return { manifest, audio, warnings: [] };
}

function sampleRateFlag(v: FlagValues): number | undefined {
  const sampleRate = numberFlag(v, "sample-rate");
  if (
    sampleRate !== undefined &&
    !(Number.isInteger(sampleRate) && sampleRate >= 8000 && sampleRate <= 384000)
  ) {
    throw new UsageError(
      `Cannot use --sample-rate as it must be an integer number of Hz 8000..384000: current value is ${sampleRate}`,
    );
  }
  return sampleRate;
}
