/**
 * `deno task line-sim`: a virtual production line of simulated units with
 * seeded defects; prints the confusion matrix, yield and cycle time.
 *
 * @module
 */
import { writeFileAtomically } from "../io/atomic.ts";
import { LIMITS_OUTPUT, limitsToJson } from "../calibrate/limits.ts";
import { DEFECT_TYPES, formatConfusion, runLine } from "../calibrate/line_sim.ts";
import {
  defaultPowerCases,
  detectionPower,
  formatPower,
  type PowerRow,
} from "../calibrate/line_power.ts";
import { openRecords, type RecordStore, sqlitePathOf } from "../calibrate/records.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  numberFlag,
  parseFlags,
  progressReporter,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task line-sim --units N --defect-rate R --seed S [options]

Runs N simulated units of one model through a virtual line station: one
multiple-sweep capture of every driver at a reference microphone in an
anechoic test box (30° azimuth, 20° elevation, 0.5 m), then the line checks
against limits made from known-good simulated units. A fraction R of the units
gets one seeded defect: ${DEFECT_TYPES.join(", ")}.
Prints the confusion matrix (per defect type: caught / missed; good units:
passed / false rejects), the yield, the capture time against sequential
sweeps and the compute time per unit.

  --units N            units to run (required), 1..1000000
  --defect-rate R      probability of a defect per unit, 0..1 (required)
  --seed S             integer seed of defects, units and noise (required)
  --model NAME         device model from fixtures/devices (default studio5)
  --golden-units G     known-good units for the limits, >= 3 (default 30)
  --limits-out FILE    also write the limits used (checked before the run)
  --force              replace an existing --limits-out file
  --db URL             store every verdict (sqlite:<path> or postgres://…)
  --station ID         station id for the records (default line-sim)
  --batch ID           batch id for the records (default line-sim-<seed>)
  --power N            then measure detection power with the same limits: N units per
                       defect type and size (sensitivity ±0.5..4 dB, resonance +1..+4 dB
                       Q 10 in 200 Hz-10 kHz, rub & buzz -60..-40 dB, air leak 20..150 Hz,
                       polarity, dead, swapped), printed as a table of catch rates
  --power-types LIST   with --power: only these defect types (comma-separated)
  --json               print the summary as JSON on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("line-sim", args, {
    units: { type: "string" },
    "defect-rate": { type: "string" },
    seed: { type: "string" },
    model: { type: "string" },
    "golden-units": { type: "string" },
    "limits-out": { type: "string" },
    db: { type: "string" },
    station: { type: "string" },
    batch: { type: "string" },
    json: { type: "boolean" },
    power: { type: "string" },
    "power-types": { type: "string" },
    force: { type: "boolean" },
  });
  for (const required of ["units", "defect-rate", "seed"]) stringFlag(v, required, true);
  // Every flag and path is checked before the golden units are measured.
  const units = numberFlag(v, "units", 0);
  if (!Number.isInteger(units) || units < 1 || units > 1e6) {
    throw new UsageError(
      `Cannot use --units as it must be an integer between 1 and 1000000: current value is ${units}`,
    );
  }
  const defectRate = numberFlag(v, "defect-rate", 0);
  if (!(defectRate >= 0 && defectRate <= 1)) {
    throw new UsageError(
      `Cannot use --defect-rate as it must be between 0 and 1: current value is ${defectRate}`,
    );
  }
  const seed = numberFlag(v, "seed", 0);
  if (!Number.isInteger(seed)) {
    throw new UsageError(`Cannot use --seed as it must be an integer: current value is "${seed}"`);
  }
  const model = stringFlag(v, "model") ?? "studio5";
  const goldenUnits = numberFlag(v, "golden-units", 30);
  if (!Number.isInteger(goldenUnits) || goldenUnits < 3) {
    throw new UsageError(
      `Cannot use --golden-units as it must be an integer >= 3: current value is ${goldenUnits}`,
    );
  }
  for (const flag of ["station", "batch", "model", "db"]) {
    const value = stringFlag(v, flag);
    if (value !== undefined && value.trim() === "") {
      throw new UsageError(`Cannot use --${flag} as it must not be empty: current value is ""`);
    }
  }
  const power = stringFlag(v, "power") === undefined ? undefined : numberFlag(v, "power", 0);
  if (power !== undefined && !(Number.isInteger(power) && power >= 1 && power <= 100000)) {
    throw new UsageError(
      `Cannot use --power as it must be an integer between 1 and 100000: current value is ${power}`,
    );
  }
  const powerTypes = stringFlag(v, "power-types")?.split(",").map((t) => t.trim());
  if (powerTypes !== undefined) {
    if (power === undefined) throw new UsageError("line-sim: --power-types goes with --power N");
    for (const t of powerTypes) {
      if (!(DEFECT_TYPES as readonly string[]).includes(t)) {
        throw new UsageError(
          `Cannot use --power-types as each must be one of ${
            DEFECT_TYPES.join(", ")
          }: current value is "${t}"`,
        );
      }
    }
  }
  const station = stringFlag(v, "station") ?? "line-sim";
  const batch = stringFlag(v, "batch") ?? `line-sim-${seed}`;
  const dbUrl = stringFlag(v, "db");
  const limitsOut = stringFlag(v, "limits-out");
  if (limitsOut !== undefined) {
    const dbPath = sqlitePathOf(dbUrl);
    await checkPaths({
      inputs: dbPath === undefined ? [] : [{ flag: "--db", path: dbPath }],
      outputs: [{ flag: "--limits-out", path: limitsOut }],
    });
    await checkOutputWritable("--limits-out", limitsOut, {
      force: booleanFlag(v, "force"),
      own: LIMITS_OUTPUT,
    });
  }
  let db: RecordStore | undefined;
  if (dbUrl) db = await openRecords(dbUrl);
  const progress = progressReporter("line-sim");
  console.error(`line-sim: measuring ${goldenUnits} golden units for the limits…`);
  try {
    const { summary, limits } = await runLine({
      model,
      units,
      defectRate,
      seed,
      goldenUnits,
      onUnit: async (r, i) => {
        progress(i + 1, units, r.serial);
        if (db && r.verdict) {
          await db.insert({
            serial: r.serial,
            station,
            batch,
            createdAt: new Date().toISOString(),
            model,
            passed: r.verdict.passed,
            limitsSha256: r.verdict.limitsSha256,
            metrics: r.verdict.metrics,
            violations: r.verdict.violations,
          });
        }
      },
    });
    let powerRows: PowerRow[] | undefined;
    if (power !== undefined) {
      const p = progressReporter("line-sim: detection power");
      powerRows = await detectionPower({
        model,
        limits,
        unitsPerSize: power,
        seed,
        onUnit: (done, total) => p(done, total, ""),
        ...(powerTypes === undefined
          ? {}
          : { cases: defaultPowerCases().filter((c) => powerTypes.includes(c.type)) }),
      });
    }
    if (limitsOut !== undefined) {
      await writeFileAtomically(limitsOut, new TextEncoder().encode(limitsToJson(limits)));
    }
    if (booleanFlag(v, "json")) {
      console.log(JSON.stringify(powerRows ? { ...summary, power: powerRows } : summary, null, 2));
    } else {
      const lines = [
        `line-sim: ${summary.units} units of ${model}, defect rate ${defectRate}, seed ${seed}; limits from ${summary.goldenUnits} golden units (sha256 ${
          summary.limitsSha256.slice(0, 12)
        }…)`,
        "",
        formatConfusion(summary),
        "",
        `yield: ${summary.yieldPercent.toFixed(1)} % passed`,
        `capture per unit: ${summary.captureSeconds.toFixed(2)} s one pass (sequential sweeps: ${
          summary.sequentialSeconds.toFixed(2)
        } s, saved ${(summary.sequentialSeconds - summary.captureSeconds).toFixed(2)} s)`,
        `compute per unit after capture: mean ${summary.computeMsMean.toFixed(1)} ms, max ${
          summary.computeMsMax.toFixed(1)
        } ms`,
        `cycle time per unit: ${summary.cycleSeconds.toFixed(2)} s`,
      ];
      for (const m of summary.missed) lines.push(`MISSED ${m.serial}: ${m.description}`);
      for (const f of summary.falseRejects) {
        lines.push(`FALSE REJECT ${f.serial}: ${f.reasons.slice(0, 3).join("; ")}`);
      }
      if (powerRows) {
        lines.push(
          "",
          `detection power (${power} units per size, seed ${seed}):`,
          formatPower(powerRows),
        );
      }
      console.log(lines.join("\n"));
    }
    return 0;
  } finally {
    await db?.close();
  }
});
