import assert from "node:assert/strict";
import { fitBundle } from "../../calibrate/fit.ts";
import { evaluateBundle, formatEvaluation, formatSummary } from "../../calibrate/evaluate.ts";
import { readBundle, writeBundle } from "../../calibrate/bundle.ts";
import { InputError } from "../../io/errors.ts";
import { join, withTempDir, writeTrueSet } from "./_sets.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("evaluating a bundle on its own anechoic set reproduces its predicted metrics", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "u"), { arcStepDeg: 15 });
    const fit = await fitBundle(set, { virtualizer: "none" });
    await writeBundle(join(dir, "b"), fit.bundle, fit.filters);
    const { bundle, filters } = await readBundle(join(dir, "b"));
    const e = await evaluateBundle(bundle, filters, set);
    const p = bundle.predicted as Any, s = e.summary as Any;
    // Predicted uses the design grid (2·taps), evaluation the full IR grid: same physics.
    assert.ok(Math.abs(p.separation.meanDb.left - s.separation.meanDb.left) < 0.5);
    assert.ok(Math.abs(p.centerBeam.minNullDepthDb - s.centerBeam.minNullDepthDb) < 2);
    assert.equal(e.bandsHz.length, e.ears[0]!.separationDb.left.length);
    assert.ok(formatSummary(e.summary).some((l) => /^separation 300 Hz-6 kHz/.test(l)));
    assert.ok(formatEvaluation(e).some((l) => /^center beam on the arc/.test(l)));
  });
});

Deno.test("moving the head sideways by 5 cm breaks the CTC target; 2 cm fore/aft barely changes it", async () => {
  await withTempDir(async (dir) => {
    const design = await writeTrueSet(join(dir, "d"));
    const moved = await writeTrueSet(join(dir, "m"), { headOffsetsCm: [[0, 5], [2, 0]] });
    const fit = await fitBundle(design, { virtualizer: "none", upmix: "none" });
    const e = await evaluateBundle(fit.bundle, fit.filters, moved);
    assert.equal(e.ears.length, 2);
    assert.match(e.ears[0]!.label, /^az\+001.4/);
    // Sideways: the contralateral null moves off the ear (measured ~4.5 dB mean, >10 dB worst).
    assert.ok(e.ears[0]!.maxAbsDeviationDb > 6, `sideways ${e.ears[0]!.maxAbsDeviationDb}`);
    // Fore/aft: path differences to both ears change alike (measured < 0.5 dB).
    assert.ok(e.ears[1]!.maxAbsDeviationDb < 1.5, `fore/aft ${e.ears[1]!.maxAbsDeviationDb}`);
  });
});

Deno.test("in the living room the beamformed center has a higher direct-to-reverberant ratio than matrix mixing", async () => {
  await withTempDir(async (dir) => {
    const anechoic = await writeTrueSet(join(dir, "a"), { arcStepDeg: 10 });
    const room = await writeTrueSet(join(dir, "r"), { room: "living-room" });
    const fit = await fitBundle(anechoic);
    const e = await evaluateBundle(fit.bundle, fit.filters, room);
    const d = e.summary.centerDrr as Any;
    // Measured +1.55 dB over the minimax design's 0.77-5.7 kHz band on this 10° arc (-3.27 vs
    // -4.82 dB; the least-squares design before it: +3.7 dB over 1.4-2.4 kHz); the claim is
    // "higher".
    assert.ok(d.gainDb > 1, `DRR beamformer ${d.bundleDb} dB vs matrix ${d.matrixMixingDb} dB`);
    // The room leaves the direct sound's separation intact but drowns the full-response one.
    const s = e.summary.separation as Any;
    assert.ok(s.directSoundMeanDb.left > s.meanDb.left + 2);
  });
});

Deno.test("evaluateBundle refuses a set with another sample rate, naming both", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "a"));
    const other = await writeTrueSet(join(dir, "b"), { sampleRate: 44100 });
    const fit = await fitBundle(set, { upmix: "none", taps: 512 });
    await assert.rejects(evaluateBundle(fit.bundle, fit.filters, other), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(
        (e as Error).message,
        /as sample rates differ: the bundle has sampleRate 48000 Hz, the set has 44100 Hz/,
      );
      return true;
    });
    const noDrivers = {
      ...fit.bundle,
      device: { ...fit.bundle.device, drivers: ["mid-left", "subwoofer"] },
    };
    await assert.rejects(
      evaluateBundle(noDrivers, fit.filters, set),
      /lacks drivers of the bundle: subwoofer/,
    );
    const empty = await writeTrueSet(join(dir, "c"), { headOffsetsCm: [], arcStepDeg: 90 });
    await assert.rejects(
      evaluateBundle(fit.bundle, fit.filters, empty),
      /neither ear-left\/ear-right captures .* nor a reference-mic arc/,
    );
  });
});
