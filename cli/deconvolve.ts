/**
 * `deno task deconvolve`: turn a recording of a sweep into impulse responses
 * and print SNR, THD and latency per channel.
 *
 * @module
 */
import { encodeWav, readWavCompact } from "../io/wav.ts";
import { type FileToWrite, writeFilesAtomically } from "../io/atomic.ts";
import { InputError } from "../io/errors.ts";
import { OWN_WAV_FILE } from "../io/own_output.ts";
import { sweepFromJson } from "../measure/sweep_file.ts";
import { type Deconvolution, deconvolve } from "../measure/deconvolve.ts";
import {
  type ClockEstimate,
  deconvolveOpenLoop,
  driftFromLoopback,
  driftWarning,
  layoutFromJson,
} from "../measure/open_loop.ts";
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
import { readJsonFile } from "../io/read_file.ts";

const HELP = `
deno task deconvolve --sweep sweep.json --recording rec.wav --out ir.wav [options]

Deconvolves a recording of the sweep described by sweep.json (written by
\`deno task sweep\`) into impulse responses: one channel per recorded channel,
float32. Prints peak-to-noise ratio, THD and latency per channel.

  --sweep FILE              sweep parameters (required)
  --recording FILE          recorded WAV, any channel count, starting at or before the
                            sweep's first sample (required)
  --out FILE                IR WAV to write (required)
  --loopback-channel K      recording channel K (1-based) is the electrical loopback:
                            the latency found there is removed from every channel.
                            Without it the IR keeps everything from the sweep's first sample.
  --ir-length-seconds S     IR length (default: the recorded tail after the sweep, >= 0.1 s)
  --harmonics N             highest harmonic order to separate, 1..16 (default 5)
  --fft-precision P         float64 (default, exact) or float32 (PFFFT SIMD, ~2x faster FFTs,
                            round-off floor ~-130 dB)
  --harmonics-out FILE      also write the harmonic IRs (channel-major: for each recorded
                            channel, orders 2..N; needs --harmonics >= 2). Written together
                            with --out: both files or neither
  --open-loop               the device played the file on its own clock (no shared clock, start
                            unknown, up to the recording's length minus the stimulus): the
                            markers of a sweep.json written with \`deno task sweep --markers\` locate
                            the stimulus and measure the clock drift (driftPpm ± its standard
                            error); the recording is resampled onto the stimulus clock, deconvolved,
                            and the IRs given on the recorder's clock, sample P = the first
                            marker's arrival (P = 20 ms, or a quarter of the harmonic window if
                            shorter; 0 with --loopback-channel). Without it, a
                            drift the markers show is warned about
  --force                   replace existing output files (never a folder)
  --json                    machine-readable results on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("deconvolve", args, {
    sweep: { type: "string" },
    recording: { type: "string" },
    out: { type: "string" },
    "loopback-channel": { type: "string" },
    "ir-length-seconds": { type: "string" },
    harmonics: { type: "string" },
    "fft-precision": { type: "string" },
    "harmonics-out": { type: "string" },
    "open-loop": { type: "boolean" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const sweepPath = stringFlag(v, "sweep", true);
  const recordingPath = stringFlag(v, "recording", true);
  const out = stringFlag(v, "out", true);
  const harmonicsOut = stringFlag(v, "harmonics-out");
  const harmonicCount = numberFlag(v, "harmonics", 5);
  if (harmonicsOut !== undefined && !(harmonicCount >= 2)) {
    throw new UsageError(
      `Cannot use --harmonics-out as it needs --harmonics >= 2 (the harmonic IRs are orders 2..N): current value of --harmonics is ${harmonicCount}`,
    );
  }
  const force = booleanFlag(v, "force");
  const outputs = [{ flag: "--out", path: out }];
  if (harmonicsOut !== undefined) outputs.push({ flag: "--harmonics-out", path: harmonicsOut });
  await checkPaths({
    inputs: [{ flag: "--sweep", path: sweepPath }, { flag: "--recording", path: recordingPath }],
    outputs,
  });
  for (const o of outputs) {
    await checkOutputWritable(o.flag, o.path, { force, own: OWN_WAV_FILE });
  }
  const json = await readJsonFile(sweepPath, "sweep parameters");
  const sweep = sweepFromJson(json, sweepPath);
  const layout = layoutFromJson(json, sweep, sweepPath);
  const openLoop = booleanFlag(v, "open-loop");
  if (openLoop && layout === undefined) {
    throw new UsageError(
      `Cannot use --open-loop as "${sweepPath}" has no markers (openLoop): write the stimulus with deno task sweep --markers: current value is --open-loop`,
    );
  }
  const recording = readWavCompact(recordingPath); // float32 channels: half the fresh memory
  if (recording.sampleRate !== sweep.sampleRate) {
    throw new InputError(
      `Cannot deconvolve "${recordingPath}" as its sample rate (${recording.sampleRate} Hz) differs from the sweep's in "${sweepPath}" (${sweep.sampleRate} Hz)`,
      { file: recordingPath, field: "sampleRate", value: recording.sampleRate },
    );
  }
  const loopback = numberFlag(v, "loopback-channel");
  if (
    loopback !== undefined &&
    (!Number.isInteger(loopback) || loopback < 1 || loopback > recording.channels.length)
  ) {
    throw new UsageError(
      `Cannot use --loopback-channel as it must be a channel number 1..${recording.channels.length} of "${recordingPath}": current value is ${loopback}`,
    );
  }
  const irSeconds = numberFlag(v, "ir-length-seconds");
  const options = {
    ...(loopback === undefined ? {} : { loopbackChannel: loopback - 1 }),
    ...(irSeconds === undefined
      ? {}
      : { irLengthSamples: Math.round(irSeconds * sweep.sampleRate) }),
    harmonicCount,
    ...(v["fft-precision"] === undefined
      ? {}
      : { fftPrecision: stringFlag(v, "fft-precision") as "float64" }),
  };
  let slots: readonly Deconvolution[];
  let clock: ClockEstimate | null = null;
  let openLoopWarnings: readonly string[] = [];
  if (layout === undefined) {
    const d = recordingStep(recordingPath, () => deconvolve(sweep, recording, options));
    slots = [d];
    // A plain sweep with a loopback: its group delay shows a drift (a device DAC on its own clock).
    const drift = loopback === undefined
      ? undefined
      : driftFromLoopback(sweep, recording.channels[loopback - 1]!);
    const warning = drift === undefined ? undefined : driftWarning(
      drift,
      `the loopback's group delays (channel ${loopback})`,
      "write the stimulus with deno task sweep --markers and pass --open-loop",
    );
    openLoopWarnings = warning === undefined ? d.warnings : [...d.warnings, warning];
  } else {
    const r = recordingStep(
      recordingPath,
      () => deconvolveOpenLoop(sweep, layout, recording, { ...options, openLoop }),
    );
    slots = r.slots;
    clock = r.clock;
    openLoopWarnings = r.warnings;
  }
  // One IR channel per slot (driver) and recorded channel, slot-major; one slot without markers.
  const result = {
    ir: { sampleRate: sweep.sampleRate, channels: slots.flatMap((d) => d.ir.channels) },
    harmonics: slots.flatMap((d) => d.harmonics),
    quality: slots.flatMap((d) => d.quality),
    latencySamples: slots[0]!.latencySamples,
    warnings: openLoopWarnings,
  };
  const recorded = recording.channels.length;
  const isLoopback = (c: number) => loopback !== undefined && c % recorded === loopback - 1;
  // A clipped recording cannot be judged (README, exit codes): exit 2, nothing written.
  const clipped = result.quality.findIndex((q, c) =>
    q.warnings.some((w) => w.startsWith("clipping")) && !isLoopback(c)
  );
  if (clipped >= 0) {
    const q = result.quality[clipped]!;
    throw new InputError(
      `Cannot deconvolve "${recordingPath}" as channel ${(clipped % recorded) + 1} clipped (${
        q.warnings.find((w) => w.startsWith("clipping"))
      }; peak ${
        q.peakDbfs.toFixed(2)
      } dBFS): a clipped recording cannot be judged; record again at a lower level`,
      {
        file: recordingPath,
        field: `channel ${(clipped % recorded) + 1}`,
        value: round(q.peakDbfs, 2),
      },
    );
  }
  // THD of a response beyond the harmonic window would read hundreds of percent: refuse it.
  const late = result.quality.findIndex((q, c) => !q.harmonicsSeparable && !isLoopback(c));
  if (late >= 0) {
    throw new InputError(
      `Cannot deconvolve "${recordingPath}" as channel ${(late % recorded) + 1}: ${
        result.quality[late]!.warnings.find((w) => w.startsWith("THD not measured"))
      }: pass --loopback-channel, trim the pre-roll, or --harmonics 1 for the IR without THD`,
      {
        file: recordingPath,
        field: `channel ${(late % recorded) + 1}`,
        value: result.quality[late]!.onsetSamples,
      },
    );
  }
  // The IR and the harmonics are encoded first and written together: both or neither.
  const files: FileToWrite[] = [{ path: out, bytes: encodeWav(result.ir) }];
  if (harmonicsOut !== undefined) {
    files.push({
      path: harmonicsOut,
      bytes: encodeWav({
        sampleRate: sweep.sampleRate,
        channels: result.harmonics.flatMap((h) => h.channels),
      }),
    });
  }
  await writeFilesAtomically(files);
  const channels = result.quality.map((q, c) => ({
    channel: (c % recorded) + 1,
    ...(slots.length > 1 ? { slot: Math.floor(c / recorded) + 1 } : {}),
    loopback: isLoopback(c),
    snrDb: round(q.snrDb, 1),
    peakDbfs: round(q.peakDbfs, 2),
    thdPercent: round(q.thdPercent, 3),
    onsetSamples: q.onsetSamples,
    warnings: q.warnings,
  }));
  const report = {
    ir: out,
    sampleRate: sweep.sampleRate,
    irLengthSamples: result.ir.channels[0]!.length,
    latencySamples: result.latencySamples,
    ...(clock === null ? {} : {
      clock: {
        openLoop,
        driftPpm: round(clock.driftPpm, 4),
        driftUncertaintyPpm: round(clock.driftUncertaintyPpm, 4),
        firstMarkerSeconds: round(clock.firstMarkerSamples / sweep.sampleRate, 6),
        referenceChannel: clock.channel + 1,
      },
    }),
    channels,
    warnings: result.warnings,
  };
  if (booleanFlag(v, "json")) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(
      `wrote ${out}: ${channels.length} channel(s), ${report.irLengthSamples} samples at ${sweep.sampleRate} Hz` +
        (result.latencySamples === null
          ? " (latency kept: no loopback channel)"
          : `, latency ${result.latencySamples} samples removed`),
    );
    if (clock !== null) {
      console.log(
        `  clock: device ${clock.driftPpm.toFixed(3)} ± ${
          clock.driftUncertaintyPpm.toFixed(3)
        } ppm off the recorder's (markers on channel ${clock.channel + 1}); first marker at ${
          (clock.firstMarkerSamples / sweep.sampleRate).toFixed(4)
        } s${openLoop ? "; corrected (open loop)" : ""}`,
      );
    }
    for (const c of channels) {
      console.log(
        `  ${"slot" in c ? `slot ${c.slot} ` : ""}channel ${c.channel}${
          c.loopback ? " (loopback)" : ""
        }: SNR ${c.snrDb} dB, peak ${c.peakDbfs} dBFS, THD ${c.thdPercent} %, onset at sample ${c.onsetSamples}`,
      );
    }
    for (const w of result.warnings) console.error(`warning: ${w}`);
  }
  return 0;
});

/** Run `deconvolve`: its RangeErrors about the recording (started after the sweep) name the file. */
function recordingStep<T>(recordingPath: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof RangeError) || !/^Cannot deconvolve channel/.test(error.message)) {
      throw error;
    }
    throw new InputError(
      error.message.replace(/^Cannot deconvolve /, `Cannot deconvolve "${recordingPath}" `),
      { file: recordingPath, field: "recording", value: recordingPath, cause: error },
    );
  }
}

function round(x: number, digits: number): number {
  const f = Math.pow(10, digits);
  return Number.isFinite(x) ? Math.round(x * f) / f : x;
}
