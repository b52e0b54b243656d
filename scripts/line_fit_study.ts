/**
 * `deno task line-fit-study`: how good are per-unit filters fitted on the
 * line (issue 16 item 2). For each of N simulated studio5 units (their own
 * tolerances; every other unit also a defect that still passes the line: a
 * ±1 dB sensitivity change or a +1 dB, Q 10 resonance), three bundles are
 * evaluated on the unit's own full lab set (binaural head at 2 m + 10° arc,
 * anechoic):
 * - idealized: fitted on the idealized model's lab set (serial "nominal");
 * - line-estimated: fitted on a reference's lab set corrected by the unit's
 *   station deviation from that reference (`calibrate/line_fit.ts`), the
 *   reference being the idealized model (measured in the lab and on the
 *   station); with `--reference-unit`, also one real unit (REF-0001, its own
 *   tolerances) as the reference;
 * - line fast path: the reference's bundle with each driver's feed divided
 *   by the unit's station correction (`correctBundleFilters`);
 * - full-lab per-unit: fitted on the unit's own lab set.
 * Prints the README table (separation deviation from the target, beam nulls,
 * median / worst) and the compute time after capture of the line estimate.
 *
 * Usage: deno task line-fit-study [--units 50] [--out DIR] [--json]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { measureStudyUnit } from "../calibrate/study.ts";
import { fitBundle, type FitOptions } from "../calibrate/fit.ts";
import { evaluateBundle, type Evaluation } from "../calibrate/evaluate.ts";
import { measureSimUnit } from "../calibrate/line_sim.ts";
import {
  correctBundleFilters,
  estimateUnitSet,
  stationCorrections,
} from "../calibrate/line_fit.ts";
import { computeLimits } from "../calibrate/golden.ts";
import { verifyUnit } from "../calibrate/verify.ts";
import type { SimDefects } from "../sim/sim_device.ts";
import type { UnitMeasurement } from "../calibrate/limits.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    units: { type: "string", default: "50" },
    out: { type: "string" },
    json: { type: "boolean", default: false },
    "arc-step-deg": { type: "string", default: "10" },
    "reference-unit": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("deno task line-fit-study [--units 50] [--arc-step-deg 10] [--out DIR] [--json]");
  Deno.exit(0);
}
const units = Number(values.units);
const step = Number(values["arc-step-deg"]);
const root = values.out ?? await Deno.makeTempDir({ prefix: "spatialcal-line-fit-" });
await Deno.mkdir(root, { recursive: true });
const log = (s: string) => console.error(s);
const options: FitOptions = { virtualizer: "none" };

// deno-lint-ignore no-explicit-any
type Any = any;
const metrics = (e: Evaluation) => {
  const ear = e.ears[0]!;
  return {
    meanAbsDeviationDb: ear.meanAbsDeviationDb,
    maxAbsDeviationDb: ear.maxAbsDeviationDb,
    minNullDepthDb: (e.summary.centerBeam as Any)?.minNullDepthDb as number,
  };
};

const lab = (serial: string) =>
  measureStudyUnit(join(root, `lab-${serial}`), { serial, arcStepDeg: step }, { force: true });

const t0 = performance.now();
const nominalLab = await lab("nominal");
const nominal = await fitBundle(nominalLab, options);
const nominalStation =
  (await measureSimUnit({ model: "studio5", serial: "nominal", seed: 2 })).unit;
const refSerial = "REF-0001";
const withRefUnit = values["reference-unit"];
const refLab = withRefUnit ? await lab(refSerial) : undefined;
const refStation = withRefUnit
  ? (await measureSimUnit({ model: "studio5", serial: refSerial, seed: 1 })).unit
  : undefined;
const golden: UnitMeasurement[] = [];
for (let g = 0; g < 30; g++) {
  golden.push(
    (await measureSimUnit({ model: "studio5", serial: `GOLD-LF-${g}`, seed: 100 + g })).unit,
  );
}
const limits = await computeLimits(golden);
log(
  `reference unit, idealized model and limits ready (${
    ((performance.now() - t0) / 1000).toFixed(1)
  } s)`,
);

const drivers = ["mid-left", "mid-right", "mid-top", "tweeter", "woofer"];
const rows: Any[] = [];
for (let u = 1; u <= units; u++) {
  const serial = `LF-${String(u).padStart(3, "0")}`;
  const t = performance.now();
  let defects: SimDefects | undefined;
  let defect = "none";
  if (u % 2 === 0) {
    const d = drivers[(u / 2) % drivers.length]!;
    if (u % 4 === 0) {
      const db = u % 8 === 0 ? 1 : -1;
      defects = { drivers: { [d]: { sensitivityOffsetDb: db } } };
      defect = `${db > 0 ? "+" : ""}${db} dB on ${d}`;
    } else {
      const hz = 300 * Math.pow(2, (u % 5) * 0.8);
      defects = { drivers: { [d]: { resonance: { hz, q: 10, gainDb: 1 } } } };
      defect = `+1 dB resonance at ${hz.toFixed(0)} Hz on ${d}`;
    }
  }
  const station = (await measureSimUnit({
    model: "studio5",
    serial,
    seed: 1000 + u,
    ...(defects ? { defects } : {}),
  })).unit;
  const passed = verifyUnit(station, limits).passed;
  // The unit's own full lab set (with the same defect).
  const ownSet = await measureStudyUnitWithDefects(serial, defects);
  const estimate = withRefUnit
    ? await estimateUnitSet(refLab!, refStation!, station, join(root, `est-${serial}`), {
      force: true,
    })
    : undefined;
  const tfast = performance.now();
  const corrections = stationCorrections(nominalStation, station, nominal.bundle.device.drivers);
  const fastFilters = correctBundleFilters(
    nominal.filters,
    nominal.bundle.device.drivers,
    corrections,
  );
  const fastMs = performance.now() - tfast;
  const lineRefFit = withRefUnit ? await fitBundle(estimate!.set, options) : undefined;
  const estimateNominal = await estimateUnitSet(
    nominalLab,
    nominalStation,
    station,
    join(root, `est-nominal-${serial}`),
    { force: true },
  );
  const tf = performance.now();
  const lineFit = await fitBundle(estimateNominal.set, options);
  const lineFitMs = performance.now() - tf;
  const own = await fitBundle(ownSet, options);
  const row = {
    serial,
    defect,
    passedLine: passed,
    estimateMs: Math.round(estimateNominal.computeMs),
    lineFitMs: Math.round(lineFitMs),
    idealized: metrics(await evaluateBundle(nominal.bundle, nominal.filters, ownSet)),
    line: metrics(await evaluateBundle(lineFit.bundle, lineFit.filters, ownSet)),
    fast: metrics(await evaluateBundle(nominal.bundle, fastFilters, ownSet)),
    fastMs: Math.round(fastMs),
    ...(lineRefFit
      ? { lineRef: metrics(await evaluateBundle(lineRefFit.bundle, lineRefFit.filters, ownSet)) }
      : {}),
    perUnit: metrics(await evaluateBundle(own.bundle, own.filters, ownSet)),
  };
  rows.push(row);
  log(
    `${serial} (${defect}, line ${passed ? "pass" : "FAIL"}): max dev idealized ${
      row.idealized.maxAbsDeviationDb.toFixed(2)
    } / line ${row.line.maxAbsDeviationDb.toFixed(2)} (ref unit ${
      (row.lineRef?.maxAbsDeviationDb ?? NaN).toFixed(2)
    }) / per-unit ${row.perUnit.maxAbsDeviationDb.toFixed(2)} dB; nulls ${
      row.idealized.minNullDepthDb?.toFixed(1)
    } / ${row.line.minNullDepthDb?.toFixed(1)} / ${
      row.perUnit.minNullDepthDb?.toFixed(1)
    } dB; estimate ${row.estimateMs} ms + fit ${row.lineFitMs} ms (${
      ((performance.now() - t) / 1000).toFixed(1)
    } s)`,
  );
}

async function measureStudyUnitWithDefects(serial: string, defects: SimDefects | undefined) {
  return await measureStudyUnit(join(root, `lab-${serial}`), {
    serial,
    arcStepDeg: step,
    ...(defects ? { defects } : {}),
  }, { force: true });
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const worst = (xs: number[], high: boolean) => (high ? Math.max(...xs) : Math.min(...xs));
const f2 = (x: number) => x.toFixed(2);
const table = [
  "| bundle (evaluated on the unit's own lab set) | mean abs dev, median / worst (dB) | max abs dev, median / worst (dB) | beam nulls ±90°, median / worst (dB) |",
  "| --- | --- | --- | --- |",
];
for (
  const [name, key] of [
    ["idealized model", "idealized"],
    ["line-estimated, reference = idealized model", "line"],
    ...(withRefUnit ? [["line-estimated, reference = unit REF-0001", "lineRef"]] : []),
    ["line fast path (reference bundle ÷ corrections)", "fast"],
    ["full-lab per-unit", "perUnit"],
  ]
) {
  const mean = rows.map((r) => r[key!].meanAbsDeviationDb as number);
  const max = rows.map((r) => r[key!].maxAbsDeviationDb as number);
  const nulls = rows.map((r) => r[key!].minNullDepthDb as number);
  table.push(
    `| ${name} | ${f2(median(mean))} / ${f2(worst(mean, true))} | ${f2(median(max))} / ${
      f2(worst(max, true))
    } | ${f2(median(nulls))} / ${f2(worst(nulls, false))} |`,
  );
}
const gap = median(rows.map((r) => r.line.maxAbsDeviationDb - r.perUnit.maxAbsDeviationDb));
const gapMean = median(rows.map((r) => r.line.meanAbsDeviationDb - r.perUnit.meanAbsDeviationDb));
const betterFast = rows.filter((r) => r.fast.maxAbsDeviationDb < r.idealized.maxAbsDeviationDb)
  .length;
const gapFast = median(rows.map((r) => r.fast.maxAbsDeviationDb - r.perUnit.maxAbsDeviationDb));
const betterRef = rows.filter((r) => r.lineRef?.maxAbsDeviationDb < r.idealized.maxAbsDeviationDb)
  .length;
const better = rows.filter((r) => r.line.maxAbsDeviationDb < r.idealized.maxAbsDeviationDb).length;
const betterMean =
  rows.filter((r) => r.line.meanAbsDeviationDb < r.idealized.meanAbsDeviationDb).length;
const compute = rows.map((r) => r.estimateMs + r.lineFitMs);
const summary = [
  `${units} units (${
    rows.filter((r) => r.passedLine).length
  } pass the line), ${step}° arc, CTC + beam:`,
  ...table,
  "",
  `line-estimated (reference = idealized model) minus full-lab per-unit: median ${
    f2(gap)
  } dB (max abs deviation), ${f2(gapMean)} dB (mean abs deviation)`,
  `line-estimated (reference = idealized model) better than idealized: ${better} of ${units} units (max abs deviation), ${betterMean} of ${units} (mean abs deviation); fast path: ${betterFast} of ${units}, ${
    f2(gapFast)
  } dB from per-unit (median, max abs deviation)${
    withRefUnit
      ? `; with reference unit REF-0001: ${betterRef} of ${units} (max abs deviation)`
      : ""
  }`,
  `fast path compute after capture (corrections + filters): median ${
    median(rows.map((r) => r.fastMs))
  } ms, worst ${Math.max(...rows.map((r) => r.fastMs))} ms`,
  `compute after capture (estimate + fit): median ${median(compute)} ms, worst ${
    Math.max(...compute)
  } ms (estimate alone median ${median(rows.map((r) => r.estimateMs))} ms)`,
];
console.log(summary.join("\n"));
if (values.json) console.log(JSON.stringify({ rows }, null, 2));
if (!values.out) await Deno.remove(root, { recursive: true });
