/**
 * `deno task sweep`: write a synchronized exponential sweep stimulus as a WAV
 * file and its parameters as JSON beside it, for recording with any DAW.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { sweepToJson, synchronizedSweep } from "../measure/synchronized_sweep.ts";
import { writeFilesAtomically } from "../io/atomic.ts";
import { encodeWav } from "../io/wav.ts";
import { OWN_WAV_FILE } from "../io/own_output.ts";
import { SWEEP_FILE_OUTPUT } from "../measure/sweep_file.ts";
import { layoutToJson, openLoopLayout, openLoopStimulus } from "../measure/open_loop.ts";
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
deno task sweep --out sweep.wav [options]

Writes a synchronized exponential sweep (Novak et al. 2015) as a float32 WAV
followed by silence, and its parameters in a JSON file of the same name
(sweep.wav → sweep.json; needed by
\`deno task deconvolve\`). Play the WAV through the device and record from its
first sample (a pre-roll is fine: the latency stays in the IR unless you
record a loopback channel too).

  --out FILE               WAV file to write (required); its .json beside it
  --start-hz HZ            start frequency, > 0 (default 20)
  --end-hz HZ              end frequency, <= sample-rate/2 (default 20000)
  --duration-seconds S     requested sweep duration, 0.1..120 (default 2; rounded
                           so that the harmonics are synchronized)
  --sample-rate HZ         sample rate (default 48000)
  --level-dbfs DB          peak level, -100..0 (default -12)
  --fade-in-seconds S      raised-cosine fade-in (default: first 1/3 octave)
  --fade-out-seconds S     raised-cosine fade-out (default: last 1/24 octave)
  --tail-seconds S         silence after the sweep, for latency and decay (default 1)
  --markers                for open-loop measurement (a device that plays the file on its own
                           clock): a 0.1 s marker chirp on every channel before and after the
                           sweeps, each followed by a gap of the tail (>= 0.5 s), so that
                           \`deconvolve --open-loop\` finds the start and the clock drift; the
                           layout is written to the .json under "openLoop"
  --drivers N              (with --markers) one sweep per driver in sequence, driver k on
                           channel k of an N-channel WAV (default 1)
  --force                  replace existing files (never a folder)
  --json                   print the parameters as JSON on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("sweep", args, {
    out: { type: "string" },
    "start-hz": { type: "string" },
    "end-hz": { type: "string" },
    "duration-seconds": { type: "string" },
    "sample-rate": { type: "string" },
    "level-dbfs": { type: "string" },
    "fade-in-seconds": { type: "string" },
    "fade-out-seconds": { type: "string" },
    "tail-seconds": { type: "string" },
    markers: { type: "boolean" },
    drivers: { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const out = stringFlag(v, "out", true);
  if (!out.toLowerCase().endsWith(".wav")) {
    throw new UsageError(
      `Cannot write sweep as --out must name a .wav file: current value is "${out}"`,
    );
  }
  const jsonPath = out.replace(/\.wav$/i, ".json");
  const force = booleanFlag(v, "force");
  // Both files are checked before anything is computed or written.
  await checkPaths({
    outputs: [{ flag: "--out", path: out }, { flag: "--out (its .json)", path: jsonPath }],
  });
  await checkOutputWritable("--out", out, { force, own: OWN_WAV_FILE });
  await checkOutputWritable("--out (its .json)", jsonPath, { force, own: SWEEP_FILE_OUTPUT });
  const tailSeconds = numberFlag(v, "tail-seconds", 1);
  if (tailSeconds < 0 || tailSeconds > 60) {
    throw new RangeError(
      `Cannot write sweep as --tail-seconds must be between 0 and 60: current value is ${tailSeconds}`,
    );
  }
  const fadeIn = numberFlag(v, "fade-in-seconds");
  const fadeOut = numberFlag(v, "fade-out-seconds");
  const sweep = synchronizedSweep({
    startHz: numberFlag(v, "start-hz", 20),
    endHz: numberFlag(v, "end-hz", 20000),
    durationSeconds: numberFlag(v, "duration-seconds", 2),
    sampleRate: numberFlag(v, "sample-rate", 48000),
    levelDbfs: numberFlag(v, "level-dbfs", -12),
    ...(fadeIn === undefined ? {} : { fadeInSeconds: fadeIn }),
    ...(fadeOut === undefined ? {} : { fadeOutSeconds: fadeOut }),
  });
  const markers = booleanFlag(v, "markers");
  const drivers = numberFlag(v, "drivers", 1);
  if (!markers && v.drivers !== undefined) {
    throw new UsageError(
      `Cannot use --drivers without --markers (a sequence of sweeps is an open-loop stimulus): current value is ${drivers}`,
    );
  }
  if (!(Number.isInteger(drivers) && drivers >= 1 && drivers <= 64)) {
    throw new UsageError(
      `Cannot write sweep as --drivers must be an integer 1..64: current value is ${drivers}`,
    );
  }
  let channels: Float64Array[];
  let openLoop: Record<string, unknown> | undefined;
  if (markers) {
    const layout = openLoopLayout(sweep, drivers, tailSeconds);
    channels = openLoopStimulus(sweep, layout);
    openLoop = layoutToJson(layout);
  } else {
    const samples = new Float64Array(
      sweep.samples.length + Math.round(tailSeconds * sweep.sampleRate),
    );
    samples.set(sweep.samples);
    channels = [samples];
  }
  const parameters = {
    format: "spatialcal.sweep",
    version: 1,
    ...sweepToJson(sweep),
    tailSeconds,
    file: basename(out),
    ...(openLoop === undefined ? {} : { channels: channels.length, openLoop }),
  };
  // Both files or neither: a WAV without its parameters cannot be deconvolved.
  await writeFilesAtomically([
    { path: out, bytes: encodeWav({ sampleRate: sweep.sampleRate, channels }) },
    { path: jsonPath, bytes: new TextEncoder().encode(JSON.stringify(parameters, null, 2) + "\n") },
  ]);
  if (booleanFlag(v, "json")) console.log(JSON.stringify(parameters, null, 2));
  console.error(
    `wrote ${out} (${
      sweep.durationSeconds.toFixed(3)
    } s sweep ${sweep.startHz}–${sweep.endHz} Hz at ${sweep.levelDbfs} dBFS + ${tailSeconds} s silence${
      markers ? `, ${drivers} driver(s) in sequence between two markers` : ""
    }) and ${join(dirname(jsonPath), basename(jsonPath))}`,
  );
  return 0;
});
