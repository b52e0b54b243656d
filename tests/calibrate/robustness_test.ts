import assert from "node:assert/strict";
import { fitBundle } from "../../calibrate/fit.ts";
import { evaluateBundle } from "../../calibrate/evaluate.ts";
import { join, withTempDir, writeTrueSet } from "./_sets.ts";

// A small version of `deno task robustness` (scripts/robustness_study.ts) on noise-free sets:
// fitted over 0 and ±5 cm sideways, evaluated at 0 and +5 cm.
Deno.test("position-uncertainty weights put a several-position design between the one-position and the equal-weight design at the centre", async () => {
  await withTempDir(async (dir) => {
    const zone = await writeTrueSet(join(dir, "zone"), {
      headOffsetsCm: [[0, 0], [0, 5], [0, -5]],
    });
    const evalSet = await writeTrueSet(join(dir, "eval"), { headOffsetsCm: [[0, 0], [0, 5]] });
    const pure = { virtualizer: "none", upmix: "none" } as const;
    const worseEar = async (fit: Awaited<ReturnType<typeof fitBundle>>) => {
      const e = await evaluateBundle(fit.bundle, fit.filters, evalSet);
      return e.ears.map((ear) => Math.min(ear.meanSeparationDb.left, ear.meanSeparationDb.right));
    };
    const one = await worseEar(await fitBundle(zone, { ...pure, headPositions: "first" }));
    const equal = await worseEar(await fitBundle(zone, { ...pure, headPositions: "all" }));
    // Gaussian prior, σ = 3 cm: w(±5 cm) = exp(−25/18) = 0.25.
    const w5 = Math.exp(-25 / 18);
    const weightedFit = await fitBundle(zone, {
      ...pure,
      headPositions: "all",
      headPositionWeights: [1, w5, w5],
    });
    assert.deepEqual(
      (weightedFit.bundle.design.leftRight as Record<string, unknown>).positionWeights,
      [1, w5, w5],
    );
    const weighted = await worseEar(weightedFit);
    // At the centre: one position is best, the weighted design costs less than equal weights.
    assert.ok(
      one[0]! > weighted[0]! && weighted[0]! > equal[0]!,
      `${one[0]}, ${weighted[0]}, ${equal[0]}`,
    );
    // The worse ear at +5 cm gains nothing from either (measured: 7.7 / 7.4 / 7.2 dB in the study):
    // the zone designs do not buy robustness in this metric, which is why the default stays "first".
    assert.ok(
      one[1]! >= Math.max(weighted[1]!, equal[1]!) - 0.3,
      `${one[1]}, ${weighted[1]}, ${equal[1]}`,
    );
  });
});
