/**
 * `deno task measure`: measure a device (simulated or real) with sweeps and
 * write a measurement set.
 *
 * @module
 */
import type { AudioDevice, MicPosition } from "../measure/audio_device.ts";
import {
  keptCaptureCount,
  MAX_IR_LENGTH_SECONDS,
  runMeasurementSession,
  type SessionField,
  SessionInterruptedError,
} from "../measure/session.ts";
import { MIC_KINDS, type MicKind } from "../sim/sim_device.ts";
import { LIVING_ROOM, type RoomSpec } from "../sim/room.ts";
import {
  booleanFlag,
  checkOutputWritable,
  numberFlag,
  parseFlags,
  pathExists,
  progressReporter,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";
import { parseArc, parseOffset } from "./_positions.ts";
import {
  MIN_HEAD_DISTANCE_METERS,
  normalizeAngleDeg,
  offsetPosition,
} from "../measure/positions.ts";
import { openDevice } from "./_devices.ts";
import { MEASUREMENT_SET_OUTPUT } from "../io/manifest.ts";

const HELP = `
deno task measure --device sim:<model>|webaudio[:<name>] --serial S --out <set> [options]

Plays a synchronized sweep through each driver, records every mic, and writes
a measurement set (manifest.json + one IR WAV per capture). IR sample 0 is the
instant the sweep reaches the DAC (latency removed on the loopback input),
acoustic delay kept.

Device
  --device D               sim:studio5 | sim:soundbar2 | sim:stereo-pair | webaudio[:name]
  --serial S               the unit's serial (sim: seeds its tolerances; "nominal" = none)
  --mic KIND               binaural | reference | both (default binaural)
  --room R                 sim room: anechoic (default) | living-room |
                           LxWxH:absorption[:maxOrder] (metres; device 1 m high, 1/3 into the room)
  --noise-level-dbfs DB    sim input noise RMS (default -90)
  --ear-angle-deg DEG      sim head: ears at ±DEG from the front (default 90, as Duda &
                           Martens' sphere; 100 sets them back as on a real head)
  --head H                 sim head: sphere (default, the rigid sphere) | sofa:FILE, a measured
                           head from a SOFA file (two ears, one source; e.g. Debian's
                           /usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa): its HRIRs
                           interpolated between its directions, its own distance and delay
                           replaced by the simulator's
  --rig FILE               webaudio only: rig file (channel map, levels)
  --turntable-cmd CMD      webaudio only: command run per position, {azimuth} replaced
  --drivers a,b,...        measure only these drivers, each named once (default all)
  --open-loop              the device plays the stimulus on its own clock (a file it plays, no
                           loopback, start unknown up to 2 s): each capture plays markers on every
                           driver before and after the sweep, the analysis finds the start and
                           the clock drift from them (manifest: capture "clock") and corrects
                           it; IR sample P = the markers' arrival at the first mic, P = 20 ms
                           or a quarter of the harmonic window if shorter (264 samples for a
                           1 s sweep at 48 kHz)
  --clock-ppm X            sim with --open-loop: the device's clock runs X ppm fast (default 0)
  (--room, --noise-level-dbfs, --ear-angle-deg and --head are for sim devices only; a flag the device would ignore is
  refused)

Positions (device frame: azimuth counter-clockwise from the front, +90 = device's left)
  --azimuth DEG            one position (default 0); azimuths are kept in (-180, 180],
                           so 360 is 0 and -180 is 180
  --elevation DEG          (default 0)
  --distance M             (default 2)
  --arc START:STOP:STEP    an azimuth arc instead, e.g. -180:180:5 (72 points)
  --head-offset-cm X,Y     move the head by X cm (away from the device) and Y cm (to the
                           device's left), each within ±200; the head keeps looking the same
                           way and must stay >= 8.75 cm (a head radius) from the device, on
                           the same side of it
  --head-yaw-deg DEG       turn the head (counter-clockwise, 0 = facing the device)
                           (both head flags need a head: --mic binaural or both)

Sweep
  --start-hz HZ (20)  --end-hz HZ (20000)  --duration-seconds S (1)
  --sample-rate HZ (48000)  --level-dbfs DB (-12)
  --ir-length-seconds S    IR length kept per capture, in [64 samples, 10] s (default 0.5);
                           each recording runs on S + 0.25 s after the sweep, so the IR fits
  --keep-harmonics         also write each capture's harmonic IRs (orders 2..5) in harmonics/
  --keep-recordings        also write each capture's raw recording in recordings/

Output
  --out DIR                the measurement set folder (required)
  --force                  replace an existing set (only a set: a folder with spatialcal's
                           manifest.json and only the files it lists; never another folder
                           or file, checked before measuring)
  --append                 add these captures to the existing set of the same unit: checked
                           before measuring, the set must have the same model, serial, sample
                           rate and sweep, and none of these captures (driver × mic × position)
  --resume                 finish an interrupted session (kept in DIR.partial) with the options
                           it was started with (a different one is refused, naming it). Its
                           finished IRs are checked first: one that is unreadable is dropped
                           with a warning and measured again. Without DIR.partial, says so on
                           stderr and measures everything; if DIR already holds all of its
                           captures (a run stopped after writing the set), DIR.partial is
                           removed with a note and the set is reported complete
  (a DIR.partial whose captures are all in DIR already is stale: it is removed with a note on
  stderr before any run)
  --json                   print the manifest summary as JSON on stdout
`;

/** How the session's messages name its parts: by the flags that set them. */
const FLAG_LABELS: Readonly<Record<SessionField, string>> = {
  model: "--device (model)",
  serial: "--serial",
  sampleRate: "--sample-rate",
  "sweep.method": "the sweep method",
  "sweep.startHz": "--start-hz",
  "sweep.endHz": "--end-hz",
  "sweep.durationSeconds": "--duration-seconds (actual sweep duration)",
  "sweep.levelDbfs": "--level-dbfs",
  sweep: "the sweep",
  drivers: "--drivers",
  mics: "--mic (mic inputs)",
  positions: "positions (--azimuth/--arc/--elevation/--distance/--head-*)",
  irLengthSeconds: "--ir-length-seconds",
  harmonicCount: "the harmonic count",
  keepHarmonics: "--keep-harmonics",
  keepRecordings: "--keep-recordings",
  openLoop: "--open-loop",
};

await runCommand(HELP, async (args) => {
  const v = parseFlags("measure", args, {
    device: { type: "string" },
    serial: { type: "string" },
    mic: { type: "string" },
    room: { type: "string" },
    "noise-level-dbfs": { type: "string" },
    "ear-angle-deg": { type: "string" },
    head: { type: "string" },
    rig: { type: "string" },
    "turntable-cmd": { type: "string" },
    drivers: { type: "string" },
    azimuth: { type: "string" },
    elevation: { type: "string" },
    distance: { type: "string" },
    arc: { type: "string" },
    "head-offset-cm": { type: "string" },
    "head-yaw-deg": { type: "string" },
    "start-hz": { type: "string" },
    "end-hz": { type: "string" },
    "duration-seconds": { type: "string" },
    "sample-rate": { type: "string" },
    "level-dbfs": { type: "string" },
    "ir-length-seconds": { type: "string" },
    "keep-harmonics": { type: "boolean" },
    "keep-recordings": { type: "boolean" },
    "open-loop": { type: "boolean" },
    "clock-ppm": { type: "string" },
    out: { type: "string" },
    force: { type: "boolean" },
    append: { type: "boolean" },
    resume: { type: "boolean" },
    json: { type: "boolean" },
  });
  const deviceSpec = stringFlag(v, "device", true);
  const serial = stringFlag(v, "serial", true);
  const out = stringFlag(v, "out", true);
  stopOnSignals(out);
  if (booleanFlag(v, "force") && booleanFlag(v, "append")) {
    throw new UsageError(
      "Cannot use --force with --append: replace the set or add to it, not both",
    );
  }
  const sampleRate = numberFlag(v, "sample-rate", 48000);
  const mic = stringFlag(v, "mic") ?? "binaural";
  if (!(MIC_KINDS as readonly string[]).includes(mic)) {
    throw new UsageError(
      `Cannot use --mic as it must be one of ${MIC_KINDS.join(", ")}: current value is "${mic}"`,
    );
  }
  const positions = positionsFrom(v, mic);
  const irLengthSeconds = numberFlag(v, "ir-length-seconds", 0.5);
  if (!(irLengthSeconds > 0 && irLengthSeconds <= MAX_IR_LENGTH_SECONDS)) {
    throw new UsageError(
      `Cannot use --ir-length-seconds as it must be > 0 and <= ${MAX_IR_LENGTH_SECONDS} s: current value is ${irLengthSeconds}`,
    );
  }
  refuseIgnoredFlags(v, deviceSpec);
  const openLoop = booleanFlag(v, "open-loop");
  const clockPpm = numberFlag(v, "clock-ppm");
  if (clockPpm !== undefined && !openLoop) {
    throw new UsageError(
      `Cannot use --clock-ppm without --open-loop (a simulated device on its own clock has no loopback and an unknown start): current value is ${clockPpm}`,
    );
  }
  if (clockPpm !== undefined && !(Math.abs(clockPpm) <= 1000)) {
    throw new UsageError(
      `Cannot use --clock-ppm as it must be a number in [-1000, 1000]: current value is ${clockPpm}`,
    );
  }
  const driversFlag = stringFlag(v, "drivers");
  const driverIds = driversFlag?.split(",").map((s) => s.trim());
  const twice = driverIds?.find((d, i) => driverIds.indexOf(d) !== i);
  if (twice !== undefined) {
    throw new UsageError(
      `Cannot use --drivers as it must name each driver once: current value is "${driversFlag}" ("${twice}" twice)`,
    );
  }
  // --force replaces only a measurement set this tool wrote: refused here, before the device opens.
  if (booleanFlag(v, "force") && await pathExists(out)) {
    await checkOutputWritable("--out", out, {
      force: true,
      kind: "folder",
      own: MEASUREMENT_SET_OUTPUT,
    });
  }
  const device: AudioDevice = await openDevice(deviceSpec, {
    serial,
    sampleRate,
    mic: mic as MicKind,
    room: roomFrom(stringFlag(v, "room")),
    noiseLevelDbfs: numberFlag(v, "noise-level-dbfs"),
    earAngleDeg: numberFlag(v, "ear-angle-deg"),
    head: stringFlag(v, "head"),
    rig: stringFlag(v, "rig"),
    turntableCmd: stringFlag(v, "turntable-cmd"),
    openLoopClockPpm: openLoop && deviceSpec.startsWith("sim:") ? clockPpm ?? 0 : undefined,
  });
  const force = booleanFlag(v, "force"), append = booleanFlag(v, "append");
  const resume = booleanFlag(v, "resume");
  try {
    // The session starts a new journal when --resume finds no <out>.partial: say so, unless it is
    // about to refuse the output anyway (an existing set without --force or --append, or --append
    // to a set that does not exist), whose error then says what is wrong.
    if (resume && !(await pathExists(`${out}.partial`))) {
      const outExists = await pathExists(out);
      if (append ? outExists : force || !outExists) {
        console.error(`measure: nothing to resume in ${out}.partial: starting a new measurement`);
      }
    }
    const started = performance.now();
    const result = await runMeasurementSession(device, {
      sweep: {
        startHz: numberFlag(v, "start-hz", 20),
        endHz: numberFlag(v, "end-hz", 20000),
        durationSeconds: numberFlag(v, "duration-seconds", 1),
        sampleRate,
        levelDbfs: numberFlag(v, "level-dbfs", -12),
      },
      positions,
      irLengthSeconds,
      keepHarmonics: booleanFlag(v, "keep-harmonics"),
      keepRecordings: booleanFlag(v, "keep-recordings"),
      ...(openLoop ? { openLoop } : {}),
      ...(driverIds ? { drivers: driverIds } : {}),
    }, {
      out,
      force,
      append,
      resume,
      labels: FLAG_LABELS,
      onNotice: (message) => console.error(`measure: ${message}`),
      onProgress: progressReporter(`measure ${device.name}`),
    });
    if (result.alreadyComplete) {
      const n = result.manifest.captures.length;
      if (booleanFlag(v, "json")) {
        console.log(JSON.stringify({ out, complete: true, captures: n, measured: 0 }, null, 2));
      } else {
        console.log(
          `${out} is complete: the interrupted session had finished (${result.resumed} captures; the set has ${n}); nothing measured`,
        );
      }
      return 0;
    }
    const seconds = (performance.now() - started) / 1000;
    const captures = result.manifest.captures;
    const snrs = captures.map((c) => c.snrDb ?? Infinity);
    const summary = {
      out,
      device: result.manifest.device,
      sampleRate: result.manifest.sampleRate,
      captures: captures.length,
      measured: result.measured,
      resumed: result.resumed,
      minSnrDb: Math.min(...snrs),
      seconds: Math.round(seconds * 100) / 100,
      warnings: [
        ...result.warnings,
        ...captures.flatMap((c) => (c.warnings ?? []).map((w) => `${c.ir}: ${w}`)),
      ],
    };
    if (booleanFlag(v, "json")) {
      console.log(JSON.stringify(summary, null, 2));
    } else {
      console.log(
        `wrote ${out}: ${captures.length} captures of ${result.manifest.device.model} ${serial} (${result.measured} measured now${
          result.resumed ? `, ${result.resumed} resumed` : ""
        }) in ${summary.seconds} s; lowest SNR ${summary.minSnrDb.toFixed(1)} dB`,
      );
      for (const w of summary.warnings) console.error(`warning: ${w}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof SessionInterruptedError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    await device.close();
  }
});

/**
 * On Ctrl-C (SIGINT) or SIGTERM: say what was kept and how to resume, then
 * exit 130 / 143 (128 + the signal number, as shells report it). Every file of
 * `<out>.partial` is written atomically and the journal after each driver, so
 * stopping at any instant keeps a consistent partial session.
 */
function stopOnSignals(out: string): void {
  const partial = `${out}.partial`;
  const stop = (signal: "SIGINT" | "SIGTERM", code: number) => () => {
    const kept = keptCaptureCount(partial);
    console.error(
      kept === undefined
        ? `\nmeasure: stopped by ${signal} before anything was measured: nothing was kept`
        : `\nmeasure: stopped by ${signal}: ${kept} finished capture${
          kept === 1 ? " is" : "s are"
        } kept in "${partial}"; run the same command with --resume to measure only what is missing (or --force to start over)`,
    );
    Deno.exit(code);
  };
  Deno.addSignalListener("SIGINT", stop("SIGINT", 130));
  Deno.addSignalListener("SIGTERM", stop("SIGTERM", 143));
}

/** Refuse flags the chosen device or mic would silently ignore. */
function refuseIgnoredFlags(v: Parameters<typeof numberFlag>[0], deviceSpec: string): void {
  const backend = deviceSpec.split(":")[0];
  const only: Record<string, string> = {
    rig: "webaudio",
    "turntable-cmd": "webaudio",
    room: "sim",
    "noise-level-dbfs": "sim",
    "ear-angle-deg": "sim",
    head: "sim",
    "clock-ppm": "sim",
  };
  for (const [flag, needs] of Object.entries(only)) {
    if (
      v[flag] !== undefined && (backend === "sim" || backend === "webaudio") && backend !== needs
    ) {
      throw new UsageError(
        `Cannot use --${flag} with --device ${deviceSpec} as it applies to ${needs} devices only: current value is "${
          v[flag]
        }"`,
      );
    }
  }
}

function positionsFrom(v: Record<string, unknown>, mic: string): MicPosition[] {
  const values = v as Parameters<typeof numberFlag>[0];
  for (const flag of ["head-yaw-deg", "head-offset-cm", "ear-angle-deg", "head"]) {
    if (mic === "reference" && values[flag] !== undefined) {
      throw new UsageError(
        `Cannot use --${flag} with --mic reference as the reference mic has no head to move or turn (use --mic binaural or both): current value is "${
          values[flag]
        }"`,
      );
    }
  }
  const distanceMeters = numberFlag(values, "distance", 2);
  const elevationDeg = numberFlag(values, "elevation", 0);
  const yaw = normalizeAngleDeg(numberFlag(values, "head-yaw-deg", 0));
  const arc = stringFlag(values, "arc");
  if (arc !== undefined && values.azimuth !== undefined) {
    throw new UsageError("Cannot use --arc with --azimuth: give one position or an arc");
  }
  const azimuths = arc !== undefined
    ? parseArc(arc)
    : [normalizeAngleDeg(numberFlag(values, "azimuth", 0))];
  const offset = stringFlag(values, "head-offset-cm");
  const [x, y] = offset === undefined ? [0, 0] : parseOffset(offset);
  return azimuths.map((azimuthDeg) => {
    const p: MicPosition = {
      azimuthDeg,
      elevationDeg,
      distanceMeters,
      ...(yaw === 0 ? {} : { headYawDeg: yaw }),
    };
    if (offset === undefined) return p;
    try {
      return offsetPosition(p, x, y);
    } catch (error) {
      const message = (error as Error).message;
      const detail = /the moved head would be .*$/.exec(message)?.[0] ?? message;
      throw new UsageError(
        `Cannot use --head-offset-cm as the head must stay at least ${
          MIN_HEAD_DISTANCE_METERS * 100
        } cm (a head radius) from the device and on the same side of it: current value is "${offset}" (at azimuth ${azimuthDeg}°, ${distanceMeters} m: ${detail})`,
      );
    }
  });
}

function roomFrom(text: string | undefined): RoomSpec | "anechoic" | "living-room" | undefined {
  if (text === undefined || text === "anechoic" || text === "living-room") return text;
  const m = /^([\d.]+)x([\d.]+)x([\d.]+):([\d.]+)(?::(\d+))?$/.exec(text);
  if (!m) {
    throw new UsageError(
      `Cannot use --room as it must be anechoic, living-room or LxWxH:absorption[:maxOrder] (e.g. 5x4x2.6:0.3): current value is "${text}"`,
    );
  }
  const [lx, ly, lz, alpha] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return {
    ...LIVING_ROOM,
    dimensionsMeters: { x: lx, y: ly, z: lz },
    absorption: alpha,
    maxOrder: m[5] === undefined ? LIVING_ROOM.maxOrder : Number(m[5]),
    devicePositionMeters: { x: lx / 3, y: ly / 2, z: Math.min(1, lz / 2) },
  };
}
