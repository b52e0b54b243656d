/**
 * `deno task demo`: measure a simulated studio5 unit in a living room, fit
 * its filters, evaluate them, compare with filters fitted to the idealized
 * model, and say what it all means in plain words.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join, sep as SEP } from "node:path";
import { measureStudyUnit } from "../calibrate/study.ts";
import { fitBundle, type FitOptions } from "../calibrate/fit.ts";
import { FILTER_BUNDLE_OUTPUT, writeBundle } from "../calibrate/bundle.ts";
import type { OwnOutput } from "../io/own_output.ts";
import { evaluateBundle, type Evaluation, formatSummary } from "../calibrate/evaluate.ts";
import { MEASUREMENT_SET_OUTPUT, type MeasurementSet } from "../io/manifest.ts";
import {
  booleanFlag,
  canonicalPath,
  checkOutputWritable,
  numberFlag,
  parseFlags,
  progressReporter,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task demo [--out DIR] [--serial S] [--room living-room|anechoic] [--arc-step-deg 5] [--json]

Measures a simulated studio5 unit (binaural head 2 m in front + a reference-mic
arc), fits its filters (deno task fit), evaluates them (deno task evaluate),
fits the idealized model (--serial nominal) the same way and evaluates those
idealized filters on the same real unit, then prints a short summary.
Everything is written under --out (default: a temporary folder, removed
afterwards).

Options
  --out DIR            keep the sets and bundles here (must not exist unless --force)
  --serial S           the unit (default SIM-000123)
  --room R             living-room (default) | anechoic
  --arc-step-deg DEG   reference arc step in degrees, dividing 90 (default 5: 72 points;
                       the whole demo takes about 30 s here, 10 halves that)
  --force              replace an existing --out folder (never a file)
  --json               print the numbers as JSON on stdout
`;

/** A demo folder as --force may replace it: only set-* sets and bundle-* bundles. */
const DEMO_OUTPUT: OwnOutput = {
  description: "a demo folder (only set-* measurement sets and bundle-* filter bundles)",
  problem: async (path) => {
    const info = await Deno.lstat(path);
    if (!info.isDirectory) return "it is not a folder";
    for await (const entry of Deno.readDir(path)) {
      const own = entry.name.startsWith("set-")
        ? MEASUREMENT_SET_OUTPUT
        : entry.name.startsWith("bundle-")
        ? FILTER_BUNDLE_OUTPUT
        : undefined;
      if (own === undefined) return `it holds "${entry.name}", which the demo does not write`;
      const problem = await own.problem(join(path, entry.name));
      if (problem !== undefined) return `"${entry.name}" is not ${own.description}: ${problem}`;
    }
    return undefined;
  },
};

await runCommand(HELP, async (args) => {
  const v = parseFlags("demo", args, {
    out: { type: "string" },
    serial: { type: "string" },
    room: { type: "string" },
    "arc-step-deg": { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const serial = stringFlag(v, "serial") ?? "SIM-000123";
  const room = stringFlag(v, "room") ?? "living-room";
  if (room !== "living-room" && room !== "anechoic") {
    throw new UsageError(
      `Cannot use --room as it must be living-room or anechoic: current value is "${room}"`,
    );
  }
  const step = numberFlag(v, "arc-step-deg", 5);
  if (!(step > 0 && step <= 30 && Number.isInteger(90 / step))) {
    throw new UsageError(
      `Cannot use --arc-step-deg as it must divide 90 and be within (0, 30] so the arc has 0° and ±90°: current value is ${step}`,
    );
  }
  const outFlag = stringFlag(v, "out");
  const force = booleanFlag(v, "force");
  if (outFlag !== undefined) {
    // --force removes the old folder, so it must hold neither the working folder nor the project.
    const real = await canonicalPath(outFlag);
    for (
      const [what, path] of [
        ["the working folder", Deno.cwd()],
        ["the project folder", fileURLToPath(new URL("..", import.meta.url))],
      ] as const
    ) {
      const held = await canonicalPath(path);
      if (held === real || held.startsWith(real.endsWith(SEP) ? real : real + SEP)) {
        throw new UsageError(
          `Cannot use --out "${outFlag}" as it holds ${what} "${held}": choose a folder of its own`,
        );
      }
    }
    await checkOutputWritable("--out", outFlag, { force, kind: "folder", own: DEMO_OUTPUT });
  }
  const root = outFlag ?? await Deno.makeTempDir({ prefix: "spatialcal-demo-" });
  if (outFlag && force) await Deno.remove(outFlag, { recursive: true }).catch(() => {});
  await Deno.mkdir(root, { recursive: true });
  const log = (s: string) => console.error(s);
  const started = performance.now();
  try {
    const measure = async (unit: string): Promise<MeasurementSet> => {
      const t = performance.now();
      const set = await measureStudyUnit(join(root, `set-${unit}`), {
        serial: unit,
        room,
        arcStepDeg: step,
      }, { onProgress: progressReporter(`measure ${unit}`) });
      log(
        `measured ${unit}: ${set.manifest.captures.length} captures (${
          ((performance.now() - t) / 1000).toFixed(1)
        } s)`,
      );
      return set;
    };
    log(
      `demo: simulated studio5 in the ${room}, binaural head at 2 m + reference arc every ${step}°, under ${root}`,
    );
    const unitSet = await measure(serial);
    const nominalSet = await measure("nominal");

    const fit = async (set: MeasurementSet, name: string, options: FitOptions = {}) => {
      const t = performance.now();
      const r = await fitBundle(set, options);
      await writeBundle(join(root, `bundle-${name}`), r.bundle, r.filters);
      log(`fitted ${name} (${((performance.now() - t) / 1000).toFixed(2)} s)`);
      for (const w of r.warnings) log(`  warning: ${w}`);
      return r;
    };
    const perUnit = await fit(unitSet, serial);
    const nominal = await fit(nominalSet, "nominal");
    const pureCtc = await fit(unitSet, `${serial}-pure-ctc`, { virtualizer: "none" });
    const nominalCtc = await fit(nominalSet, "nominal-pure-ctc", { virtualizer: "none" });

    const evaluate = (
      r: {
        bundle: Parameters<typeof evaluateBundle>[0];
        filters: Parameters<typeof evaluateBundle>[1];
      },
    ) => evaluateBundle(r.bundle, r.filters, unitSet);
    const ePer = await evaluate(perUnit);
    const eNom = await evaluate(nominal);
    const eCtc = await evaluate(pureCtc);
    const eNomCtc = await evaluate(nominalCtc);
    const seconds = (performance.now() - started) / 1000;

    const numbers = {
      room,
      serial,
      arcStepDeg: step,
      seconds: Math.round(seconds * 10) / 10,
      perUnit: ePer.summary,
      idealizedOnUnit: eNom.summary,
      pureCtc: eCtc.summary,
      idealizedPureCtcOnUnit: eNomCtc.summary,
      folder: outFlag ?? null,
    };
    if (booleanFlag(v, "json")) {
      console.log(JSON.stringify(numbers, null, 2));
    } else {
      for (const line of plainSummary(serial, room, ePer, eNom, eCtc, eNomCtc)) console.log(line);
      console.log("");
      console.log(`per-unit filters of ${serial} on ${serial} (deno task evaluate):`);
      for (const line of formatSummary(ePer.summary)) console.log(`  ${line}`);
      console.log(`idealized-model filters on ${serial}:`);
      for (const line of formatSummary(eNom.summary)) console.log(`  ${line}`);
      console.log(
        `\ndone in ${seconds.toFixed(1)} s${outFlag ? `; sets and bundles are in ${outFlag}` : ""}`,
      );
    }
    return 0;
  } finally {
    if (!outFlag) await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

// deno-lint-ignore no-explicit-any
type Any = any;

function plainSummary(
  serial: string,
  room: string,
  per: Evaluation,
  nom: Evaluation,
  ctc: Evaluation,
  nomCtc: Evaluation,
): string[] {
  const f = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(1) : "n/a");
  const sep = (e: Evaluation) => e.summary.separation as Any;
  const inRoom = room !== "anechoic";
  const lines: string[] = ["", `Summary for simulated studio5 ${serial} (${room}):`];
  const mean = (e: Evaluation, direct: boolean) => {
    const s = sep(e);
    const m = direct && s.directSoundMeanDb ? s.directSoundMeanDb : s.meanDb;
    return (m.left + m.right) / 2;
  };
  const dev = (e: Evaluation) => {
    const s = sep(e);
    return inRoom ? s.directSoundMeanAbsDeviationDb : s.meanAbsDeviationDb;
  };
  const gateMs = sep(ctc).directGateMs;
  // Which part of the response the figure covers: in a room the direct sound only (the gated
  // figure); anechoic, the whole response is direct sound.
  const what = !inRoom
    ? "in the anechoic room (all of it direct sound)"
    : typeof gateMs === "number"
    ? `in the direct sound (first ${gateMs} ms after arrival)`
    : "in the direct sound";
  lines.push(
    `- Crosstalk cancellation: with pure CTC the ears are ${
      f(mean(ctc, inRoom))
    } dB apart on average over 300 Hz-6 kHz ${what}, where the target curve asks ${
      f(sep(ctc).meanDesiredDb)
    } dB (bands off by ${f(dev(ctc))} dB on average).`,
  );
  lines.push(
    `- With the 30° virtual stereo pair added back (the shipped filters) the separation is ${
      f(mean(per, inRoom))
    } dB, as designed (${f(sep(per).meanDesiredDb)} dB).`,
  );
  if (inRoom) {
    lines.push(
      `- Counting the whole room response, the room's reflections bring it down to ${
        f(mean(per, false))
      } dB: crosstalk cancellation works on the direct sound.`,
    );
  }
  lines.push(
    `- Per-unit vs idealized-model filters on this unit: the target is missed by ${
      f(dev(ctc))
    } dB (per-unit) vs ${f(dev(nomCtc))} dB (idealized) for pure CTC, ${f(dev(per))} vs ${
      f(dev(nom))
    } dB for the shipped filters.`,
  );
  const b = per.summary.centerBeam as Any;
  if (b) {
    lines.push(
      `- Center beam: between ${f(b.bandHz.lowHz)} and ${
        f(b.bandHz.highHz)
      } Hz (where the array can ` +
        `shape its pattern within the drive limit) the sides (±90°) are at least ${
          f(b.minNullDepthDb)
        } dB below the front (matrix mixing: ${f(b.matrixMixingMinNullDepthDb)} dB), ` +
        `and the ±45° window stays within ${f(b.window45MinDb)} dB of on-axis.`,
    );
  }
  const d = per.summary.centerDrr as Any;
  if (d) {
    lines.push(
      `- In the room the beamformed center reaches the listener with a direct-to-reverberant ratio of ${
        f(d.bundleDb)
      } dB vs ${f(d.matrixMixingDb)} dB for matrix mixing (${d.gainDb >= 0 ? "+" : ""}${
        f(d.gainDb)
      } dB): vocals sound closer and clearer.`,
    );
  }
  return lines;
}
