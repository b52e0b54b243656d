/**
 * `deno task robustness`: how far the listener may move sideways before the
 * left/right separation collapses, for three ways of fitting pure CTC to one
 * simulated studio5 unit (issue 12, item 4):
 *
 * 1. one position: fitted at the design position only (the default);
 * 2. several positions: fitted over the head at 0, ±2 and ±5 cm sideways,
 *    every position weighted equally;
 * 3. position-uncertainty-weighted: the same positions weighted by a
 *    Gaussian prior on the sideways offset, w = exp(−y²/(2σ²)), σ = 3 cm.
 *
 * Each bundle is evaluated with the head at 0, ±2, ±5 and ±10 cm sideways
 * (the worse ear's mean separation over 300 Hz–6 kHz), so the table shows
 * what the wider sweet spot costs at the centre. The unit is measured with
 * the simulator's sweeps and noise (`measureStudyUnit`), not its true IRs.
 *
 * Usage: deno task robustness [--sigma-cm 3] [--out DIR] [--json]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { measureStudyUnit } from "../calibrate/study.ts";
import { fitBundle, type FitOptions } from "../calibrate/fit.ts";
import { evaluateBundle } from "../calibrate/evaluate.ts";

const HELP = `deno task robustness [--sigma-cm 3] [--out DIR] [--json]

Separation versus sideways head offset for pure CTC fitted at one position, over several
positions, and over several positions weighted by a Gaussian position prior (σ = --sigma-cm).`;
if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(HELP);
  Deno.exit(0);
}
const { values } = parseArgs({
  args: Deno.args,
  options: {
    "sigma-cm": { type: "string", default: "3" },
    out: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const sigma = Number(values["sigma-cm"]);
if (!(sigma > 0)) {
  console.error(
    `error: robustness: --sigma-cm must be > 0: current value is ${values["sigma-cm"]}`,
  );
  Deno.exit(2);
}
const root = values.out ?? await Deno.makeTempDir({ prefix: "spatialcal-robustness-" });
const serial = "SIM-000123";
const evalOffsets = [0, 2, -2, 5, -5, 10, -10];
const zoneOffsets = [0, 2, -2, 5, -5];
const started = performance.now();
const evalSet = await measureStudyUnit(join(root, "eval"), {
  serial,
  headOffsetsCm: evalOffsets.map((y) => [0, y] as [number, number]),
  arcStepDeg: null,
}, { force: true });
const zoneSet = await measureStudyUnit(join(root, "zone"), {
  serial,
  headOffsetsCm: zoneOffsets.map((y) => [0, y] as [number, number]),
  arcStepDeg: null,
}, { force: true });
console.error(`measured in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const pure: FitOptions = { virtualizer: "none", upmix: "none" };
const gaussian = zoneOffsets.map((y) => Math.exp(-(y * y) / (2 * sigma * sigma)));
const designs: [string, FitOptions][] = [
  ["one position (0 cm)", { ...pure, headPositions: "first" }],
  ["several (0, ±2, ±5 cm), equal weights", { ...pure, headPositions: "all" }],
  [
    `uncertainty-weighted (σ = ${sigma} cm)`,
    { ...pure, headPositions: "all", headPositionWeights: gaussian },
  ],
];
const rows: { design: string; worseEarDb: number[]; maxFilterGainDb: number }[] = [];
for (const [name, options] of designs) {
  const fit = await fitBundle(zoneSet, options);
  const e = await evaluateBundle(fit.bundle, fit.filters, evalSet);
  rows.push({
    design: name,
    worseEarDb: e.ears.map((ear) =>
      Math.min(ear.meanSeparationDb.left, ear.meanSeparationDb.right)
    ),
    maxFilterGainDb: fit.bundle.predicted.maxFilterGainDb as number,
  });
}
const f1 = (x: number) => x.toFixed(1);
const at = (r: (typeof rows)[number], y: number) => r.worseEarDb[evalOffsets.indexOf(y)]!;
const worst = (r: (typeof rows)[number], cm: number) => Math.min(at(r, cm), at(r, -cm));
if (values.json) {
  console.log(JSON.stringify({ root, sigmaCm: sigma, evalOffsetsCm: evalOffsets, rows }, null, 2));
} else {
  console.log(
    `\nWorse-ear mean separation, 300 Hz–6 kHz, pure CTC on studio5 ${serial} (dB; ±: the worse side)`,
  );
  console.log(
    "| design | 0 cm | ±2 cm | ±5 cm | ±10 cm | cost at 0 cm | max filter gain |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.design} | ${f1(at(r, 0))} | ${f1(worst(r, 2))} | ${f1(worst(r, 5))} | ${
        f1(worst(r, 10))
      } | ${f1(at(r, 0) - at(rows[0]!, 0))} | ${f1(r.maxFilterGainDb)} dB |`,
    );
  }
}
