/**
 * The report of a studio5 set (binaural head + 72-point reference arc), its
 * bundle and a 100-unit line database: built once (line-sim through the
 * library, about a minute), then the report is timed — library (compute +
 * Vega rendering of every plot) and the whole `deno task report` process.
 * The page size is printed.
 */
import { join } from "node:path";
import { writeTrueSet } from "../calibrate/_sets.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { readBundle, writeBundle } from "../../calibrate/bundle.ts";
import { openRecords } from "../../calibrate/records.ts";
import { runLine } from "../../calibrate/line_sim.ts";
import { limitsToJson } from "../../calibrate/limits.ts";
import { buildReport } from "../../report/report.ts";

const dir = await Deno.makeTempDir({ prefix: "spatialcal-report-bench-" });
const set = await writeTrueSet(join(dir, "set"), { arcStepDeg: 5 });
const fit = await fitBundle(set);
await writeBundle(join(dir, "bundle"), fit.bundle, fit.filters);
const bundle = await readBundle(join(dir, "bundle"));
const dbUrl = `sqlite:${join(dir, "line.db")}`;
const store = await openRecords(dbUrl);
const { limits } = await runLine({
  model: "studio5",
  units: 100,
  defectRate: 0.2,
  seed: 11,
  goldenUnits: 10,
  onUnit: async (r) => {
    if (!r.verdict) return;
    await store.insert({
      serial: r.serial,
      station: "bench",
      batch: "B1",
      createdAt: new Date().toISOString(),
      model: "studio5",
      passed: r.verdict.passed,
      limitsSha256: r.verdict.limitsSha256,
      metrics: r.verdict.metrics,
      violations: r.verdict.violations,
    });
  },
});
await Deno.writeTextFile(join(dir, "limits.json"), limitsToJson(limits));

const input = { set, bundle, line: { store, query: { batch: "B1" }, limits } };
const first = await buildReport(input);
console.log(
  `report: ${first.plots.length} plots, ${(first.html.length / 1024).toFixed(0)} kB of HTML`,
);

Deno.bench("report library: studio5 set (10 ear + 360 arc IRs) + bundle + 100-unit line", {
  n: 5,
}, async () => {
  await buildReport(input);
});

Deno.bench("deno task report process: the same, written to a file", { n: 3 }, async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../cli/report.ts", import.meta.url).pathname,
      "--in",
      set.folder,
      "--bundle",
      join(dir, "bundle"),
      "--db",
      dbUrl,
      "--batch",
      "B1",
      "--limits",
      join(dir, "limits.json"),
      "--out",
      join(dir, "report.html"),
      "--force",
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  if (out.code !== 0) throw new Error(`report exited ${out.code}`);
});

globalThis.addEventListener("unload", () => {
  store.close().finally(() => Deno.removeSync(dir, { recursive: true }));
});
