import assert from "node:assert/strict";
import { join, withTempDir, writeTrueSet } from "./_sets.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { evaluateBundle } from "../../calibrate/evaluate.ts";
import { baselineFilters, driverSides, evaluateBaseline } from "../../calibrate/baseline.ts";
import { runCli } from "../cli/_run.ts";
import { writeBundle } from "../../calibrate/bundle.ts";

Deno.test("driverSides(): studio5's side-firing mids play to the listener's opposite sides, the rest to the middle", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "s"), { arcStepDeg: 10 });
    const drivers = ["mid-left", "mid-right", "mid-top", "tweeter", "woofer"];
    // mid-left sits at y = +8.5 cm (the device's left) firing to +60°: the facing listener's right.
    assert.deepEqual(await driverSides(set, drivers), [
      "right",
      "left",
      "middle",
      "middle",
      "middle",
    ]);
    // Without the arc the ears decide: the same answer from 2 m, by tenths of a dB.
    const ears = await writeTrueSet(join(dir, "e"), {});
    assert.deepEqual(await driverSides(ears, drivers), [
      "right",
      "left",
      "middle",
      "middle",
      "middle",
    ]);
    // Order follows the argument.
    assert.deepEqual(await driverSides(set, ["tweeter", "mid-right"]), ["middle", "left"]);
  });
});

Deno.test("baselineFilters(): unit impulses at the modelling delay, left/right by side, center 1/n", () => {
  const f = baselineFilters({
    inputs: ["left", "right", "center"],
    taps: 16,
    latencySamples: 8,
    device: { model: "m", serial: "s", drivers: ["a", "b", "c", "d"] },
  }, ["left", "right", "middle", "left"]);
  const at8 = (input: string) => f[input]!.map((h) => h[8]);
  assert.deepEqual(at8("left"), [1, 0, 0.5, 1]);
  assert.deepEqual(at8("right"), [0, 1, 0.5, 0]);
  assert.deepEqual(at8("center"), [0.25, 0.25, 0.25, 0.25]);
  for (const h of Object.values(f).flat()) {
    assert.equal(h.length, 16);
    assert.equal(h.reduce((s, v, i) => s + (i === 8 ? 0 : Math.abs(v)), 0), 0);
  }
  assert.throws(
    () =>
      baselineFilters({
        inputs: ["left"],
        taps: 4,
        latencySamples: 2,
        device: { model: "m", serial: "s", drivers: ["a"] },
      }, []),
    { name: "RangeError", message: /one side per driver \(1\): current count is 0/ },
  );
});

Deno.test("evaluateBaseline(): the bare device separates the ears by about 0 dB where per-unit CTC gives the 12 dB target", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "s"), { arcStepDeg: 10 });
    const fit = await fitBundle(set, { virtualizer: "none" });
    const withFilters = await evaluateBundle(fit.bundle, fit.filters, set);
    const { evaluation: bare, sides } = await evaluateBaseline(fit.bundle, set);
    assert.equal(sides["mid-left"], "right");
    const f = withFilters.ears[0]!.meanSeparationDb, b = bare.ears[0]!.meanSeparationDb;
    // Filters: the target's ~12 dB (README). Bare device from 2 m: the head alone, |S| < 2 dB.
    assert.ok(f.left > 11 && f.right > 11, JSON.stringify(f));
    assert.ok(Math.abs(b.left) < 2 && Math.abs(b.right) < 2, JSON.stringify(b));
    // Matrix mixing is the baseline's center: its beam equals evaluate's matrix-mixing figures.
    assert.deepEqual(bare.beam!.bundle.nullDepthDb, withFilters.beam!.matrix.nullDepthDb);

    // `deno task evaluate` prints both, and --json carries the baseline.
    const bundle = join(dir, "b");
    await writeBundle(bundle, fit.bundle, fit.filters);
    const text = await runCli("evaluate.ts", ["--bundle", bundle, "--in", set.folder]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /the bare device beside it \(no filters;/);
    const json = JSON.parse(
      (await runCli("evaluate.ts", ["--bundle", bundle, "--in", set.folder, "--json"])).stdout,
    );
    assert.deepEqual(json.baseline.driverSides, sides);
    assert.equal(json.baseline.summary.separation.meanDb.left, b.left);
  });
});
