/**
 * `deno task golden`: derive line limits from measurement sets of known-good
 * units and report the process capability (Cpk) of each check.
 *
 * @module
 */
import { writeFileAtomically } from "../io/atomic.ts";
import { InputError } from "../io/errors.ts";
import { computeLimits } from "../calibrate/golden.ts";
import { limitsToJson, readUnitMeasurement } from "../calibrate/limits.ts";
import {
  booleanFlag,
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

Reads measurement sets of known-good units (reference microphone in the test
box, every driver) and writes per-driver limits: smoothed response in
fractional-octave bands (mean ± (k·σ + guard)), sensitivity window, THD and
rub & buzz (harmonics >= 10) ceilings, air-leak ceiling, polarity and a
reference IR, with the model, sample rate, driver list and a SHA-256 of the
content. Prints the Cpk of each check on the golden units.

  --in SET                  a golden measurement set (repeat; at least 3)
  --out FILE                limits file to write (required)
  --bands-per-octave B      3 or 6 (default 3)
  --band-k K                k of the band limits (default 5)
  --band-guard-db DB        guard band of the band limits (default 1.5)
  --sensitivity-k K         k of the sensitivity window (default 4)
  --sensitivity-guard-db DB guard of the sensitivity window (default 0.5)
  --min-sigma-db DB         smallest σ used, 0.01..3 (default 0.1)
  --force                   overwrite an existing limits file
  --json                    print the Cpk table as JSON on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("golden", args, {
    in: { type: "string", multiple: true },
    out: { type: "string" },
    "bands-per-octave": { type: "string" },
    "band-k": { type: "string" },
    "band-guard-db": { type: "string" },
    "sensitivity-k": { type: "string" },
    "sensitivity-guard-db": { type: "string" },
    "min-sigma-db": { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const sets = listFlag(v, "in");
  if (sets.length === 0) throw new UsageError("golden: give at least one --in SET (see --help)");
  const out = stringFlag(v, "out", true);
  if (!booleanFlag(v, "force") && await pathExists(out)) {
    throw new InputError(`Cannot write limits "${out}" as the file exists (use --force)`, {
      file: out,
      field: "--out",
      value: out,
    });
  }
  const bandsPerOctave = numberFlag(v, "bands-per-octave", 3);
  if (bandsPerOctave !== 3 && bandsPerOctave !== 6) {
    throw new UsageError(
      `Cannot use --bands-per-octave as it must be 3 or 6: current value is "${bandsPerOctave}"`,
    );
  }
  const units = [];
  for (const s of sets) units.push(await readUnitMeasurement(s));
  const rules: Record<string, number> = {};
  for (
    const [flag, key] of [
      ["band-k", "bandK"],
      ["band-guard-db", "bandGuardDb"],
      ["sensitivity-k", "sensitivityK"],
      ["sensitivity-guard-db", "sensitivityGuardDb"],
    ] as const
  ) {
    const x = numberFlag(v, flag);
    if (x !== undefined) rules[key] = x;
  }
  const limits = await computeLimits(units, {
    analysis: { bandsPerOctave },
    rules,
    minSigmaDb: numberFlag(v, "min-sigma-db", 0.1),
  });
  await writeFileAtomically(out, new TextEncoder().encode(limitsToJson(limits)));
  if (booleanFlag(v, "json")) {
    console.log(JSON.stringify({ out, sha256: limits.sha256, cpk: limits.cpk }, null, 2));
  } else {
    console.log(
      `golden: ${limits.golden.unitCount} units of ${limits.model} at ${limits.sampleRate} Hz → ${out} (sha256 ${limits.sha256})`,
    );
    console.log("check                               Cpk");
    for (const [check, cpk] of Object.entries(limits.cpk)) {
      console.log(`${check.padEnd(34)} ${cpk.toFixed(2).padStart(6)}`);
    }
  }
  return 0;
});
