import assert from "node:assert/strict";
import { fitBundle } from "../../calibrate/fit.ts";
import { positionLabel, readSetPlants } from "../../calibrate/_bundle_plants.ts";
import { InputError } from "../../io/errors.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { join, withTempDir, writeTrueSet } from "./_sets.ts";

Deno.test("fit reads only the captures it uses: a broken capture at a second head position stops headPositions all, not first", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "s"), { headOffsetsCm: [[0, 0], [0, 5]] });
    const first = positionLabel(set.manifest.captures.find((c) => c.mic === "ear-left")!.position);
    const later = set.manifest.captures.find((c) =>
      c.mic === "ear-right" && positionLabel(c.position) !== first
    )!;
    await Deno.writeTextFile(join(dir, "s", later.ir), "not a WAV file");
    const reread = await readMeasurementSet(join(dir, "s"));
    const plants = await readSetPlants(reread, { ears: true, arc: false, earPositions: 1 });
    assert.equal(plants.ears.length, 1);
    assert.equal(plants.ears[0]!.label, first);
    const fitted = await fitBundle(reread, { upmix: "none", headPositions: "first" });
    assert.equal(
      (fitted.bundle.design as { designPositions: unknown[] }).designPositions.length,
      1,
    );
    for (
      const run of [
        () => fitBundle(reread, { upmix: "none", headPositions: "all" }),
        () => readSetPlants(reread, { ears: true, arc: false }),
      ]
    ) {
      await assert.rejects(
        run(),
        (e: unknown) => e instanceof InputError && e.message.includes(later.ir),
      );
    }
  });
});

Deno.test("readSetPlants reads the same IRs, in the same order, whether or not it stops early", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "s"), {
      headOffsetsCm: [[0, 0], [0, 5], [5, 0]],
      arcStepDeg: 30,
    });
    const all = await readSetPlants(set, { ears: true, arc: true });
    const one = await readSetPlants(set, { ears: true, arc: true, earPositions: 1 });
    assert.equal(all.ears.length, 3);
    assert.deepEqual(one.ears[0], all.ears[0]);
    assert.deepEqual(one.arc, all.arc);
    assert.equal(all.arc!.azimuthsDeg.length, 12);
  });
});
