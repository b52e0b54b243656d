import assert from "node:assert/strict";
import { fitBundle, type FitDesign, parseSeparationBreakpoints } from "../../calibrate/fit.ts";
import { evaluateBundle } from "../../calibrate/evaluate.ts";
import { targetSeparationCurve } from "../../design/crosstalk_canceller.ts";
import type { MeasurementSet } from "../../io/manifest.ts";
import { join, writeTrueSet } from "./_sets.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** One noise-free studio5 set (binaural at 2 m, no arc), shared by the tests of this file. */
let shared: Promise<{ dir: string; set: MeasurementSet }> | undefined;
function sharedSet() {
  shared ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "spatialcal-fit-ctc-test-" });
    return { dir, set: await writeTrueSet(join(dir, "u1")) };
  })();
  return shared;
}

const FLAT_25 = parseSeparationBreakpoints("1000:25, 6000:25", "--ctc-target");
const PURE = { virtualizer: "none", upmix: "none" } as const;

Deno.test("pure CTC with a flat 25 dB target between 1 and 6 kHz reaches it on the unit's own set, and reports its largest filter gain (issue 12)", async () => {
  const { set } = await sharedSet();
  const fit = await fitBundle(set, { ...PURE, targetSeparation: FLAT_25 });
  const e = await evaluateBundle(fit.bundle, fit.filters, set);
  const ear = e.ears[0]!;
  e.bandsHz.forEach((hz, k) => {
    if (hz < 1000 || hz > 6000) return;
    for (const side of ["left", "right"] as const) {
      // Measured 24.1-24.9 dB (the regularization takes a fraction of a dB).
      const s = ear.separationDb[side][k]!;
      assert.ok(s >= 24 && s <= 26, `${side} at ${hz} Hz: ${s} dB`);
    }
  });
  // The breakpoints are recorded and the evaluation's desired curve follows them.
  const lr = (fit.bundle.design as FitDesign).leftRight as Any;
  assert.deepEqual(lr.targetSeparation, {
    breakpoints: [{ hz: 1000, db: 25 }, { hz: 6000, db: 25 }],
  });
  // The headroom it costs: the largest |W| over 300 Hz-6 kHz (measured 12.3 dB), and more than
  // the default curve's (20 dB plateau from 4 kHz).
  const gain = fit.bundle.predicted.maxFilterGainDb as number;
  const base = (await fitBundle(set, PURE)).bundle.predicted.maxFilterGainDb as number;
  assert.ok(gain > base && gain < 20, `max filter gain ${gain} dB vs default curve ${base} dB`);
});

Deno.test("regularization trades separation for filter gain: β = 0.1 in band lowers both", async () => {
  const { set } = await sharedSet();
  const a = await fitBundle(set, { ...PURE, targetSeparation: FLAT_25 });
  const b = await fitBundle(set, {
    ...PURE,
    targetSeparation: FLAT_25,
    regularization: { inBand: 0.1 },
  });
  assert.equal(((b.bundle.design as FitDesign).leftRight as Any).regularization.inBand, 0.1);
  const ga = a.bundle.predicted.maxFilterGainDb as number;
  const gb = b.bundle.predicted.maxFilterGainDb as number;
  assert.ok(gb < ga - 1, `max gain ${gb} vs ${ga} dB`);
  const sa = (a.bundle.predicted.separation as Any).meanDb.left as number;
  const sb = (b.bundle.predicted.separation as Any).meanDb.left as number;
  assert.ok(sb < sa - 1, `mean separation ${sb} vs ${sa} dB`);
});

Deno.test("taps auto picks the shortest power of two that keeps truncation below -30 dB and records every try", async () => {
  const { set } = await sharedSet();
  const fit = await fitBundle(set, { ...PURE, targetSeparation: FLAT_25, taps: "auto" });
  const choice = (fit.bundle.design as FitDesign).tapsChoice!;
  assert.equal(choice.option, "auto");
  const last = choice.tried.at(-1)!, before = choice.tried.at(-2)!;
  assert.equal(fit.bundle.taps, last.taps);
  assert.ok(last.truncationErrorDb! < -30 && before.truncationErrorDb! >= -30);
  assert.equal(before.taps * 2, last.taps);
  // Measured: 1024 taps (-34.8 dB of the 8192-tap design; 512 keeps only -26.3 dB).
  assert.equal(fit.bundle.taps, 1024);
  // The chosen length's own fit truncates less than -30 dB too, and still reaches the target.
  assert.ok((fit.bundle.predicted.truncationErrorDb as number) < -30);
  const e = await evaluateBundle(fit.bundle, fit.filters, set);
  e.bandsHz.forEach((hz, k) => {
    if (hz >= 1000 && hz <= 6000) assert.ok(e.ears[0]!.separationDb.left[k]! >= 24);
  });
});

Deno.test("parseSeparationBreakpoints() reads inline pairs and files, and names bad entries", () => {
  assert.deepEqual(
    parseSeparationBreakpoints("# target\n500 0\n1000:25\n\n6000 25 # plateau\n", "t.txt"),
    { breakpoints: [{ hz: 500, db: 0 }, { hz: 1000, db: 25 }, { hz: 6000, db: 25 }] },
  );
  // Linear in dB over log frequency between breakpoints, end values held beyond.
  const c = targetSeparationCurve([100, 500, Math.sqrt(500 * 1000), 1000, 3000, 20000], {
    breakpoints: [{ hz: 500, db: 0 }, { hz: 1000, db: 20 }],
  });
  assert.deepEqual(Array.from(c, (x) => Math.round(x * 1e9) / 1e9), [0, 0, 10, 20, 20, 20]);
  const cases: [string, RegExp][] = [
    ["1000:x", /must hold Hz:dB pairs: current value is "1000:x"/],
    ["2000:10,1000:5", /must list ascending Hz > 0 with dB >= 0: current value is 1000:5/],
    ["1000:-3", /must list ascending Hz > 0 with dB >= 0: current value is 1000:-3/],
    ["", /current value is \(none\)/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseSeparationBreakpoints(text, "--ctc-target"), {
      name: "RangeError",
      message,
    });
  }
});

Deno.test("cleanup shared set", async () => {
  if (shared) await Deno.remove((await shared).dir, { recursive: true });
});
