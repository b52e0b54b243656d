/**
 * `deno task study`: the measurements behind the README's tables (slow: a
 * few minutes; not part of `deno task test`).
 *
 * 1. Head offset: one simulated studio5 unit (anechoic, noise-free-ish
 *    −90 dBFS sim noise), binaural captures at the design position and with
 *    the head moved sideways (y) and fore/aft (x) by ±2, ±5, ±10 cm; filters
 *    fitted at the design position (pure CTC and with the 30° virtualizer),
 *    evaluated at every position.
 * 2. Per-unit vs idealized: N simulated studio5 units (serials
 *    SIM-STUDY-001…) and the idealized model (serial "nominal"), each
 *    measured binaurally + on a reference arc; per-unit filters and the
 *    idealized model's filters both evaluated on every real unit.
 *
 * Usage: deno task study [--units 20] [--arc-step-deg 10] [--out DIR] [--json]
 *
 * @module
 */
import { join } from "node:path";
import { progressReporter } from "../cli/_common.ts";
import { parseArgs } from "node:util";
import { measureStudyUnit } from "../calibrate/study.ts";
import { fitBundle, type FitOptions, type FitResult } from "../calibrate/fit.ts";
import { evaluateBundle, type Evaluation } from "../calibrate/evaluate.ts";

const HELP =
  `deno task study [--units 20] [--arc-step-deg 10] [--out DIR] [--json] [--skip-offsets] [--skip-units]

The measurements behind the README's tables (a few minutes): separation versus head offset for
one simulated studio5 unit, and per-unit versus idealized-model filters over --units units.`;
if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(HELP);
  Deno.exit(0);
}
let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: {
      units: { type: "string", default: "20" },
      "arc-step-deg": { type: "string", default: "10" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      "skip-offsets": { type: "boolean", default: false },
      "skip-units": { type: "boolean", default: false },
    },
  });
} catch (error) {
  console.error(`error: study: ${(error as Error).message} (see --help)`);
  Deno.exit(2);
}
const { values } = parsed;
const units = Number(values.units);
const step = Number(values["arc-step-deg"]);
const root = values.out ?? await Deno.makeTempDir({ prefix: "spatialcal-study-" });
await Deno.mkdir(root, { recursive: true });
const log = (s: string) => console.error(s);
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const results: Record<string, unknown> = { root };

// deno-lint-ignore no-explicit-any
type Any = any;
const sepOf = (e: Evaluation, i = 0) => {
  const ear = e.ears[i]!;
  return {
    position: ear.label,
    meanDb: (ear.meanSeparationDb.left + ear.meanSeparationDb.right) / 2,
    leftDb: ear.meanSeparationDb.left,
    rightDb: ear.meanSeparationDb.right,
    desiredDb: ear.meanDesiredSeparationDb,
    meanAbsDeviationDb: ear.meanAbsDeviationDb,
    maxAbsDeviationDb: ear.maxAbsDeviationDb,
  };
};

if (!values["skip-offsets"]) {
  const offsets: [number, number][] = [[0, 0]];
  for (const cm of [2, 5, 10]) offsets.push([0, cm], [0, -cm]);
  for (const cm of [2, 5, 10]) offsets.push([cm, 0], [-cm, 0]);
  const t = performance.now();
  const set = await measureStudyUnit(join(root, "offsets-SIM-000123"), {
    serial: "SIM-000123",
    headOffsetsCm: offsets,
    arcStepDeg: null,
  }, { force: true });
  log(
    `offsets: measured ${offsets.length} head positions (${
      ((performance.now() - t) / 1000).toFixed(1)
    } s)`,
  );
  const table: Record<string, unknown>[] = [];
  for (
    const [name, options] of [
      ["pure CTC", { virtualizer: "none", upmix: "none" }],
      ["virtualizer 30°", { upmix: "none" }],
    ] as [string, FitOptions][]
  ) {
    const fit = await fitBundle(set, options);
    const e = await evaluateBundle(fit.bundle, fit.filters, set);
    e.ears.forEach((_, i) => {
      const [x, y] = offsets[i]!;
      table.push({ filters: name, xCm: x, yCm: y, ...sepOf(e, i) });
    });
  }
  // Robustness: fit over several head positions at once (pure CTC), evaluate at every offset.
  for (const cm of [2, 5]) {
    const zone = await measureStudyUnit(join(root, `zone-${cm}-SIM-000123`), {
      serial: "SIM-000123",
      headOffsetsCm: [[0, 0], [0, cm], [0, -cm]],
      arcStepDeg: null,
    }, { force: true });
    const fit = await fitBundle(zone, { virtualizer: "none", upmix: "none", headPositions: "all" });
    const e = await evaluateBundle(fit.bundle, fit.filters, set);
    e.ears.forEach((_, i) => {
      const [x, y] = offsets[i]!;
      table.push({ filters: `pure CTC fitted at 0, ±${cm} cm`, xCm: x, yCm: y, ...sepOf(e, i) });
    });
  }
  results.headOffset = table;
  console.log(
    "\nHead offset (studio5 SIM-000123, anechoic, filters fitted at the design position)",
  );
  console.log(
    "| filters | offset | separation L / R (dB) | desired (dB) | mean abs dev (dB) | max abs dev (dB) |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of table as Any[]) {
    const off = r.xCm === 0 && r.yCm === 0
      ? "none"
      : r.yCm !== 0
      ? `${r.yCm > 0 ? "+" : ""}${r.yCm} cm sideways`
      : `${r.xCm > 0 ? "+" : ""}${r.xCm} cm back`;
    console.log(
      `| ${r.filters} | ${off} | ${f1(r.leftDb)} / ${f1(r.rightDb)} | ${f1(r.desiredDb)} | ${
        f1(r.meanAbsDeviationDb)
      } | ${f1(r.maxAbsDeviationDb)} |`,
    );
  }
}

if (!values["skip-units"]) {
  const options: FitOptions = { virtualizer: "none" };
  const t0 = performance.now();
  const nominalSet = await measureStudyUnit(join(root, "set-nominal"), {
    serial: "nominal",
    arcStepDeg: step,
  }, { force: true });
  const nominal: FitResult = await fitBundle(nominalSet, options);
  log(`nominal measured and fitted (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const rows: Record<string, Any>[] = [];
  const progress = progressReporter("study: units");
  for (let u = 1; u <= units; u++) {
    const serial = `SIM-STUDY-${String(u).padStart(3, "0")}`;
    const t = performance.now();
    const set = await measureStudyUnit(join(root, `set-${serial}`), { serial, arcStepDeg: step }, {
      force: true,
    });
    const tf = performance.now();
    const own = await fitBundle(set, options);
    const fitMs = performance.now() - tf;
    const eOwn = await evaluateBundle(own.bundle, own.filters, set);
    const eNom = await evaluateBundle(nominal.bundle, nominal.filters, set);
    const beam = (e: Evaluation) => e.summary.centerBeam as Any;
    const row = {
      serial,
      fitMs: Math.round(fitMs),
      perUnit: {
        ...sepOf(eOwn),
        minNullDepthDb: beam(eOwn).minNullDepthDb,
        bandHz: beam(eOwn).bandHz,
      },
      idealized: {
        ...sepOf(eNom),
        minNullDepthDb: beam(eNom).minNullDepthDb,
        bandHz: beam(eNom).bandHz,
      },
    };
    rows.push(row);
    progress(u, units, serial);
    log(
      `${serial}: per-unit dev ${f1(row.perUnit.meanAbsDeviationDb)}/${
        f1(row.perUnit.maxAbsDeviationDb)
      } dB, nulls ${f1(row.perUnit.minNullDepthDb)} dB; idealized dev ${
        f1(row.idealized.meanAbsDeviationDb)
      }/${f1(row.idealized.maxAbsDeviationDb)} dB, nulls ${f1(row.idealized.minNullDepthDb)} dB (${
        ((performance.now() - t) / 1000).toFixed(1)
      } s)`,
    );
  }
  results.units = rows;
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const med = s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    return { min: s[0]!, median: med, max: s[s.length - 1]! };
  };
  const metrics: [string, (r: Any) => number][] = [
    ["mean separation 300 Hz-6 kHz (dB)", (r) => r.meanDb],
    ["mean abs deviation from target (dB)", (r) => r.meanAbsDeviationDb],
    ["max abs deviation from target (dB)", (r) => r.maxAbsDeviationDb],
    ["center null depth at ±90°, min over band (dB)", (r) => r.minNullDepthDb],
  ];
  const summary: Record<string, unknown> = {};
  console.log(
    `\nPer-unit vs idealized-model filters on ${units} simulated studio5 units (anechoic, pure CTC, target 0→20 dB over 200 Hz-4 kHz; arc every ${step}°)`,
  );
  console.log("| metric | per-unit min / median / max | idealized min / median / max |");
  console.log("| --- | --- | --- |");
  for (const [name, pick] of metrics) {
    const a = stats(rows.map((r) => pick(r.perUnit))),
      b = stats(rows.map((r) => pick(r.idealized)));
    summary[name] = { perUnit: a, idealized: b };
    console.log(
      `| ${name} | ${f1(a.min)} / ${f1(a.median)} / ${f1(a.max)} | ${f1(b.min)} / ${
        f1(b.median)
      } / ${f1(b.max)} |`,
    );
  }
  const wins = rows.filter((r) => r.perUnit.meanAbsDeviationDb < r.idealized.meanAbsDeviationDb)
    .length;
  const winsMax = rows.filter((r) => r.perUnit.maxAbsDeviationDb < r.idealized.maxAbsDeviationDb)
    .length;
  console.log(
    `\nper-unit filters miss the target by less than the idealized ones on ${wins} of ${units} units (mean abs deviation), ${winsMax} of ${units} (max abs deviation); median fit time ${
      stats(rows.map((r) => r.fitMs)).median
    } ms`,
  );
  summary.winsMeanAbsDeviation = wins;
  summary.winsMaxAbsDeviation = winsMax;
  results.unitSummary = summary;
}

if (values.json) console.log(JSON.stringify(results, null, 2));
if (!values.out) await Deno.remove(root, { recursive: true });
