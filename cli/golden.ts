/**
 * `deno task golden`: derive line limits from measurement sets of known-good
 * units — or measure the known-good units on the (simulated) line station
 * first — and report the process capability (Cpk) of each check.
 *
 * @module
 */
import { writeFileAtomically } from "../io/atomic.ts";
import { InputError } from "../io/errors.ts";
import { LIMITS_OUTPUT } from "../calibrate/limits.ts";
import { readSigningKey, signDocument } from "../calibrate/signature.ts";
import { join } from "node:path";
import { waitForOperator } from "../measure/operator.ts";
import { computeLimits, MIN_GOLDEN_UNITS } from "../calibrate/golden.ts";
import {
  limitsToJson,
  readUnitMeasurement,
  type UnitMeasurement,
  writeUnitMeasurement,
} from "../calibrate/limits.ts";
import { measureSimUnit } from "../calibrate/line_sim.ts";
import {
  DEFAULT_STATION,
  measureStationUnit,
  type StationConfig,
} from "../calibrate/line_station.ts";
import {
  openDevice,
  parseStationDevice,
  refuseOtherBackendFlags,
  type StationDeviceSpec,
} from "./_devices.ts";
import {
  booleanFlag,
  canonicalPath,
  checkOutputWritable,
  checkPaths,
  type FlagPath,
  listFlag,
  numberFlag,
  parseFlags,
  pathExists,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task golden --in SET --in SET … --out limits.json [options]
deno task golden --device sim:MODEL --serial S --serial S … --out limits.json [options]
deno task golden --device webaudio[:NAME] --rig RIG --serial S --serial S … --out limits.json [options]

Reads measurement sets of known-good units (reference microphone in the test
box, every driver, harmonic IRs up to order 10 at least — as the line station
records them) and writes per-driver limits: smoothed response in
fractional-octave bands (mean ± (k·σ + guard)), sensitivity window, THD and
rub & buzz (harmonics >= 10) ceilings, air-leak ceiling, polarity and a
reference IR, with the model, sample rate, driver list, the station setup
(mic position and sweep) and a SHA-256 of the content. Prints the Cpk of each
check on the golden units; a Cpk below 1.33 is flagged.

  --in SET                  a golden measurement set (repeat; at least 3)
  --device sim:MODEL        instead: measure the golden units on the simulated
                            line station (anechoic test box, reference mic, one
                            pass of multiple exponential sweeps, harmonics to 30)
  --device webaudio[:NAME]  or: measure real golden units one after the other at the
                            station's fixed reference mic through the audio interface
                            (NAME overrides the rig's interface.name). The interface
                            plays at most 2 outputs at once, so each driver gets its
                            own synchronized sweep (method synchronized-exponential,
                            harmonics to 30): limits made this way only judge units
                            measured the same way (verify --device webaudio)
  --rig FILE                with webaudio: the rig file (channel map, levels, loopback);
                            the model name is the rig's device.model
  --no-prompt               with webaudio: do not wait for Enter before each unit (a
                            handler loads the units; or the same unit, for a test)
  --serial S                with --device: a golden unit's serial (repeat; at least 3)
  --sets-out DIR            with --device: also save each unit's set as DIR/<serial>
  --azimuth DEG --elevation DEG --distance M
                            with --device: station mic position (default ${DEFAULT_STATION.position.azimuthDeg}, ${DEFAULT_STATION.position.elevationDeg}, ${DEFAULT_STATION.position.distanceMeters}).
                            With webaudio the mic is not moved: give the position
                            where the station's mic is fixed; it is written into the
                            limits, and verify measures with the limits' position
  --duration-seconds S      with --device: sweep per driver (default ${DEFAULT_STATION.durationSeconds})
  --level-dbfs DB           with --device: sweep level (default ${DEFAULT_STATION.levelDbfs})
  --out FILE                limits file to write (required)
  --bands-per-octave B      3 or 6 (default 3)
  --band-k K                k of the band limits (default 5)
  --band-guard-db DB        guard band of the band limits (default 1.5)
  --sensitivity-k K         k of the sensitivity window (default 4)
  --sensitivity-guard-db DB guard of the sensitivity window (default 0.5)
  --min-sigma-db DB         smallest σ used, 0.01..3 (default 0.1)
  --force                   overwrite an existing limits file
  --sign KEY                sign the limits with the lab's private key (deno task keys), so that
                            verify --trust accepts them
  --json                    print the Cpk table as JSON on stdout
`;

/** Cpk below which a check is flagged: the usual capability target for an established process. */
const LOW_CPK = 1.33;

await runCommand(HELP, async (args) => {
  const v = parseFlags("golden", args, {
    in: { type: "string", multiple: true },
    device: { type: "string" },
    rig: { type: "string" },
    "no-prompt": { type: "boolean" },
    serial: { type: "string", multiple: true },
    "sets-out": { type: "string" },
    azimuth: { type: "string" },
    elevation: { type: "string" },
    distance: { type: "string" },
    "duration-seconds": { type: "string" },
    "level-dbfs": { type: "string" },
    out: { type: "string" },
    "bands-per-octave": { type: "string" },
    "band-k": { type: "string" },
    "band-guard-db": { type: "string" },
    "sensitivity-k": { type: "string" },
    "sensitivity-guard-db": { type: "string" },
    "min-sigma-db": { type: "string" },
    force: { type: "boolean" },
    sign: { type: "string" },
    json: { type: "boolean" },
  });
  const sets = listFlag(v, "in");
  const device = stringFlag(v, "device");
  if ((sets.length === 0) === (device === undefined)) {
    throw new UsageError(
      "golden: give either --in SET (repeat) or --device sim:MODEL|webaudio[:NAME] with --serial S (repeat) (see --help)",
    );
  }
  const out = stringFlag(v, "out", true);
  const force = booleanFlag(v, "force");
  // Every check that needs no measurement runs first: counts, duplicates, paths, numbers.
  const serials = listFlag(v, "serial");
  const setsOut = stringFlag(v, "sets-out");
  const spec = device === undefined ? undefined : parseStationDevice(device);
  if (spec !== undefined) {
    refuseOtherBackendFlags(v, device!, spec.backend, { rig: "webaudio", "no-prompt": "webaudio" });
    if (spec.backend === "webaudio" && stringFlag(v, "rig") === undefined) {
      throw new UsageError(
        "golden: --device webaudio needs --rig FILE (the channel map of the station; see --help)",
      );
    }
  }
  if (device === undefined) {
    for (const flag of ["serial", "sets-out", "rig", "no-prompt"]) {
      if (v[flag] !== undefined) {
        throw new UsageError(
          `golden: --${flag} goes with --device, not --in (see --help)`,
        );
      }
    }
    if (sets.length < MIN_GOLDEN_UNITS) {
      throw new UsageError(
        `Cannot derive limits as --in must be given at least ${MIN_GOLDEN_UNITS} times (one golden set each): current count is ${sets.length}`,
      );
    }
    const seen = new Map<string, string>();
    for (const set of sets) {
      const real = await canonicalPath(set);
      const first = seen.get(real);
      if (first !== undefined) {
        throw new UsageError(
          `Cannot derive limits as --in "${set}" is the same set as --in "${first}": each golden unit counts once`,
        );
      }
      seen.set(real, set);
    }
  } else {
    checkSerials(serials);
  }
  const outputs: FlagPath[] = [{ flag: "--out", path: out }];
  if (setsOut !== undefined) {
    for (const serial of serials) {
      outputs.push({ flag: `--sets-out (${serial})`, path: join(setsOut, serial) });
    }
  }
  const rig = stringFlag(v, "rig");
  const inputs: FlagPath[] = sets.map((path) => ({ flag: "--in", path }));
  if (rig !== undefined) inputs.push({ flag: "--rig", path: rig });
  await checkPaths({ inputs, outputs });
  await checkOutputWritable("--out", out, { force, own: LIMITS_OUTPUT });
  // The key is read before anything is measured: a wrong --sign fails in milliseconds.
  const signPath = stringFlag(v, "sign");
  const signer = signPath === undefined ? undefined : await readSigningKey(signPath);
  if (setsOut !== undefined) {
    for (const serial of serials) {
      const folder = join(setsOut, serial);
      if (await pathExists(folder)) {
        throw new InputError(
          `Cannot save golden set "${folder}" as the folder exists (choose another --sets-out)`,
          { file: folder, field: "--sets-out", value: setsOut },
        );
      }
    }
    // --sets-out is created when missing (its own folder must exist), or filled when present.
    await checkOutputWritable(
      "--sets-out",
      (await pathExists(setsOut)) ? join(setsOut, serials[0]!) : setsOut,
      { force: false, kind: "folder" },
    );
  }
  const bandsPerOctave = numberFlag(v, "bands-per-octave", 3);
  if (bandsPerOctave !== 3 && bandsPerOctave !== 6) {
    throw new UsageError(
      `Cannot use --bands-per-octave as it must be 3 or 6: current value is "${bandsPerOctave}"`,
    );
  }
  const rules: Record<string, number> = {};
  for (
    const [flag, key, positive] of [
      ["band-k", "bandK", true],
      ["band-guard-db", "bandGuardDb", false],
      ["sensitivity-k", "sensitivityK", true],
      ["sensitivity-guard-db", "sensitivityGuardDb", false],
    ] as const
  ) {
    const x = numberFlag(v, flag);
    if (x === undefined) continue;
    if (positive ? !(x > 0) : !(x >= 0)) {
      throw new UsageError(
        `Cannot use --${flag} as it must be ${positive ? "> 0" : ">= 0"}: current value is ${x}`,
      );
    }
    rules[key] = x;
  }
  const minSigmaDb = numberFlag(v, "min-sigma-db", 0.1);
  if (!(minSigmaDb >= 0.01 && minSigmaDb <= 3)) {
    throw new UsageError(
      `Cannot use --min-sigma-db as it must be between 0.01 and 3: current value is ${minSigmaDb}`,
    );
  }
  const station = device === undefined ? undefined : stationFrom(v);
  const units: UnitMeasurement[] = [];
  if (device === undefined) {
    for (const s of sets) units.push(await readUnitMeasurement(s));
  } else {
    units.push(
      ...await measureGolden(spec!, serials, setsOut, station!, {
        rig,
        prompt: !booleanFlag(v, "no-prompt"),
      }),
    );
  }
  const computed = await computeLimits(units, {
    analysis: { bandsPerOctave },
    rules,
    minSigmaDb,
  });
  const limits = signer === undefined ? computed : await signDocument(computed, signer);
  await writeFileAtomically(out, new TextEncoder().encode(limitsToJson(limits)));
  if (booleanFlag(v, "json")) {
    console.log(JSON.stringify({ out, sha256: limits.sha256, cpk: limits.cpk }, null, 2));
  } else {
    console.log(
      `golden: ${limits.golden.unitCount} units of ${limits.model} at ${limits.sampleRate} Hz → ${out} (sha256 ${limits.sha256})`,
    );
    console.log("check                               Cpk");
    for (const [check, cpk] of Object.entries(limits.cpk)) {
      const flag = cpk < LOW_CPK ? "  low" : "";
      console.log(`${check.padEnd(34)} ${cpk.toFixed(2).padStart(6)}${flag}`);
    }
  }
  const low = Object.entries(limits.cpk).filter(([, cpk]) => cpk < LOW_CPK);
  if (low.length > 0) {
    console.error(
      `golden: warning: ${low.length} check(s) with Cpk < ${LOW_CPK} (${
        low.map(([c]) => c).join(", ")
      }): the golden units spread close to these limits, so good units will be rejected or bad ones pass; measure more golden units, or a mic position where the check separates (swapped drivers need a position off the device's symmetry planes)`,
    );
  }
  return 0;
});

/** Refuse fewer than 3 serials, a repeated one, or one that is no plain folder name. */
function checkSerials(serials: readonly string[]): void {
  if (serials.length === 0) {
    throw new UsageError("golden: --device needs --serial S (repeat; at least 3)");
  }
  if (serials.length < MIN_GOLDEN_UNITS) {
    throw new UsageError(
      `Cannot measure golden units as --serial must be given at least ${MIN_GOLDEN_UNITS} times (one per golden unit): current count is ${serials.length}`,
    );
  }
  const seen = new Set<string>();
  for (const serial of serials) {
    if (serial.trim() === "" || /[/\\]/.test(serial) || serial === "." || serial === "..") {
      throw new UsageError(
        `Cannot use --serial as it must be a non-empty name without / or \\: current value is "${serial}"`,
      );
    }
    if (seen.has(serial)) {
      throw new UsageError(
        `Cannot measure golden units as --serial ${serial} is given twice: each golden unit counts once`,
      );
    }
    seen.add(serial);
  }
}

/** The station setup from --azimuth, --elevation, --distance, --duration-seconds, --level-dbfs. */
function stationFrom(v: Parameters<typeof stringFlag>[0]): StationConfig {
  return {
    ...DEFAULT_STATION,
    position: {
      azimuthDeg: numberFlag(v, "azimuth", DEFAULT_STATION.position.azimuthDeg),
      elevationDeg: numberFlag(v, "elevation", DEFAULT_STATION.position.elevationDeg),
      distanceMeters: numberFlag(v, "distance", DEFAULT_STATION.position.distanceMeters),
    },
    durationSeconds: numberFlag(v, "duration-seconds", DEFAULT_STATION.durationSeconds),
    levelDbfs: numberFlag(v, "level-dbfs", DEFAULT_STATION.levelDbfs),
  };
}

/** Measure the golden units given with --serial on the (simulated or real) line station. */
async function measureGolden(
  spec: StationDeviceSpec,
  serials: readonly string[],
  setsOut: string | undefined,
  station: StationConfig,
  options: { rig: string | undefined; prompt: boolean },
): Promise<UnitMeasurement[]> {
  const units: UnitMeasurement[] = [];
  for (const serial of serials) {
    let unit: UnitMeasurement;
    let rigInfo: { backend: string; description: string };
    if (spec.backend === "sim") {
      const m = await measureSimUnit({ model: spec.model, serial, station });
      unit = m.unit;
      rigInfo = { backend: "sim", description: "line station: anechoic test box, reference mic" };
      console.error(`golden: measured ${serial} in one pass of ${m.captureSeconds.toFixed(2)} s`);
    } else {
      if (options.prompt) await operatorPrompt(`Put golden unit ${serial} on the station`);
      const device = await openDevice(`webaudio${spec.name === "" ? "" : `:${spec.name}`}`, {
        serial,
        sampleRate: station.sampleRate,
        mic: "reference",
        rig: options.rig,
      });
      try {
        const m = await measureStationUnit(device, station, serial, device.model);
        unit = m.unit;
        rigInfo = { backend: "webaudio", description: device.description };
        console.error(
          `golden: measured ${serial} (${device.model}) with ${m.method} sweeps in ${
            m.captureSeconds.toFixed(2)
          } s of capture`,
        );
      } finally {
        await device.close();
      }
    }
    if (setsOut !== undefined) {
      const folder = join(setsOut, serial);
      await writeUnitMeasurement(folder, unit, {
        rig: rigInfo,
      });
      units.push(await readUnitMeasurement(folder));
    } else {
      units.push(unit);
    }
  }
  return units;
}

/** Ask the operator on stderr and wait for Enter on stdin; a closed stdin is an error. */
async function operatorPrompt(message: string): Promise<void> {
  if (!(await waitForOperator(message))) {
    throw new UsageError(
      `Cannot wait for the operator as stdin is closed (${message}): run golden in a terminal, or pass --no-prompt when a handler loads the units`,
    );
  }
}
