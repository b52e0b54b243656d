import assert from "node:assert/strict";
import { join, withTempDir, writeTrueSet } from "../calibrate/_sets.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { readBundle, writeBundle } from "../../calibrate/bundle.ts";
import { evaluateBundle } from "../../calibrate/evaluate.ts";
import { setSection } from "../../report/set_section.ts";
import { bundleSection } from "../../report/bundle_section.ts";
import { lineSection } from "../../report/line_section.ts";
import { openRecords } from "../../calibrate/records.ts";
import { compactSvg, renderSvg } from "../../report/charts.ts";

Deno.test("bundle section in a living room: separation of the whole response, of the direct sound (as the fit predicts) and of the bare device", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "s"), { room: "living-room", arcStepDeg: 30 });
    const fit = await fitBundle(set, { virtualizer: "none" });
    await writeBundle(join(dir, "b"), fit.bundle, fit.filters);
    const loaded = await readBundle(join(dir, "b"));
    const s = await setSection(set);
    const b = await bundleSection(loaded, set, s.data, { beamBandsHz: [2000] });
    const sep = b.plots.find((p) => p.id === "bundle-separation")!;
    const rows = (sep.spec.data as { values: { series: string; y: number; x: number }[] }).values;
    const series = new Set(rows.map((r) => r.series));
    for (
      const name of [
        "with filters, left input",
        "target",
        "bare device, left input",
        "direct sound (as predicted), left",
      ]
    ) assert.ok(series.has(name), name);
    // The plotted numbers are evaluate's.
    const e = await evaluateBundle(loaded.bundle, loaded.filters, set);
    const at1k = (name: string) => rows.find((r) => r.series === name && r.x === 1000)!.y;
    const k = e.bandsHz.indexOf(1000);
    assert.equal(at1k("with filters, left input"), e.ears[0]!.separationDb.left[k]);
    assert.equal(at1k("direct sound (as predicted), left"), e.ears[0]!.directSeparationDb!.left[k]);
    // The fit works on the direct sound: there it beats the whole room response.
    const num = (id: string) => b.numbers.find((n) => n.id === id)!.value!;
    assert.ok(
      e.ears[0]!.meanDirectSeparationDb!.left > num("bundle.separation-left-db"),
      `${e.ears[0]!.meanDirectSeparationDb!.left} vs ${num("bundle.separation-left-db")}`,
    );
    assert.ok(b.plots.some((p) => p.id === "bundle-beam-2000"));
  });
});

Deno.test("line section: control limits from the moving range and Cpk from the limits, as Montgomery defines them", async () => {
  await withTempDir(async (dir) => {
    const store = await openRecords(`sqlite:${join(dir, "l.db")}`);
    const values = [0.1, -0.2, 0.3, 0.0, -0.1, 0.2, 5.0]; // the last unit failed
    const limits = {
      drivers: ["w"],
      golden: { unitCount: 3 },
      driverLimits: {
        w: { sensitivity: { meanDb: 0, sigmaDb: 0.2, lowerDb: -1, upperDb: 1 } },
      },
    };
    const metric = (v: number) => ({
      drivers: {
        w: {
          sensitivityDeltaDb: v,
          worstBandMarginDb: 1 - Math.abs(v),
          thdPercent: 0.5,
          rubBuzzDb: -200,
          airLeakDb: 0,
        },
      },
    });
    for (const [i, v] of values.entries()) {
      await store.insert({
        serial: `U${i}`,
        station: "s",
        batch: "B",
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        model: "m",
        passed: v < 1,
        limitsSha256: "x",
        metrics: metric(v),
        violations: v < 1
          ? []
          : [{ check: "sensitivity", driver: "w", value: v, limit: 1, reason: "w: too loud" }],
      } as never);
    }
    const section = await lineSection(store, { batch: "B" }, limits as never);
    await store.close();
    const good = values.slice(0, 6);
    const mean = good.reduce((s, x) => s + x, 0) / good.length;
    const sd = Math.sqrt(good.reduce((s, x) => s + (x - mean) ** 2, 0) / (good.length - 1));
    const cpk = Math.min(1 - mean, mean + 1) / (3 * sd);
    const num = (id: string) => section.numbers.find((n) => n.id === id)?.value;
    assert.equal(num("line.w.cpk-sensitivity"), Math.round(cpk * 100) / 100);
    assert.equal(num("line.verdicts"), 7);
    assert.equal(num("line.final-yield-percent"), Math.round(600 / 7 * 10) / 10);
    assert.equal(num("line.top-reason-count"), 1);
    // Individuals chart: x̄ ± 3·MR̄/1.128 over the passing units.
    let mr = 0;
    for (let i = 1; i < good.length; i++) mr += Math.abs(good[i]! - good[i - 1]!);
    const ucl = mean + 3 * (mr / (good.length - 1)) / 1.128;
    const spc = section.plots.find((p) => p.id === "line-spc-sensitivity")!;
    const row = (spc.spec.data as { values: Record<string, number>[] }).values[0]!;
    assert.ok(Math.abs(row.ucl! - ucl) < 1e-12);
    // The failed unit (+5 dB) is drawn at the panel's edge: half the span beyond the upper limit.
    const drawn = (spc.spec.data as { values: Record<string, number>[] }).values.at(-1)!;
    assert.equal(drawn.y, 1 + 0.5 * (1 - -1));
    assert.equal(row.usl, 1);
    assert.equal(row.lsl, -1);
    // Rub & buzz was not measured (-200 dB floor): no chart for it.
    assert.ok(!section.plots.some((p) => p.id === "line-spc-rub-buzz"));
    for (const p of section.plots) assert.match(await renderSvg(p.spec), /^<svg /);
  });
});

Deno.test("compactSvg() rounds geometry to 0.1 px and leaves text alone", () => {
  assert.equal(
    compactSvg('<path d="M1.23456,-0.04999L2e-7,3.96"/><text x="1.26">0.25</text>'),
    '<path d="M1.2,0L0,4"/><text x="1.3">0.25</text>',
  );
});
