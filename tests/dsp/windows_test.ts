import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import {
  applyWindow,
  blackmanWindow,
  fadeIn,
  fadeOut,
  hannWindow,
  tukeyWindow,
} from "../../dsp/windows.ts";

// Closed-form values are exact up to the round-off of one cos(): 1e-15.
const EXACT = { atol: 1e-15 };

Deno.test("hannWindow() is symmetric by default and periodic on request", () => {
  assertAllClose(hannWindow(5), [0, 0.5, 1, 0.5, 0], EXACT);
  assertAllClose(hannWindow(4, { symmetric: false }), [0, 0.5, 1, 0.5], EXACT);
  assertAllClose(hannWindow(4, { symmetric: false }), hannWindow(5).slice(0, 4), EXACT);
  assert.deepEqual([...hannWindow(1)], [1]);
  assert.equal(hannWindow(0).length, 0);
});

Deno.test("blackmanWindow() peaks at 1 and vanishes at both ends", () => {
  const w = blackmanWindow(9);
  assertAllClose([w[0]!, w[4]!, w[8]!], [0, 1, 0], EXACT);
  for (let n = 0; n < 9; n++) assertAllClose([w[n]!], [w[8 - n]!], EXACT);
});

Deno.test("tukeyWindow() spans rectangular (alpha 0) to Hann (alpha 1)", () => {
  assert.deepEqual([...tukeyWindow(6, 0)], [1, 1, 1, 1, 1, 1]);
  assertAllClose(tukeyWindow(33, 1), hannWindow(33), EXACT);
  assertAllClose(tukeyWindow(5, 0.5), [0, 1, 1, 1, 0], EXACT);
  // alpha 0.5 over 101 samples: the flat part is t in [0.25, 0.75] -> n in [25, 75].
  const w = tukeyWindow(101, 0.5);
  assert.ok(w.slice(25, 76).every((v) => v === 1));
  assert.ok(w[24]! < 1 && w[76]! < 1);
});

Deno.test("fadeIn() and fadeOut() apply mirrored raised-cosine halves and copy", () => {
  const x = new Float64Array([1, 1, 1, 1, 1, 1]);
  assertAllClose(fadeIn(x, 2), [0, 0.5, 1, 1, 1, 1], EXACT);
  assertAllClose(fadeOut(x, 2), [1, 1, 1, 1, 0.5, 0], EXACT);
  // The fade is the rising half of a periodic Hann window of twice its length.
  assertAllClose(fadeIn(x, 6), hannWindow(12, { symmetric: false }).slice(0, 6), EXACT);
  assertAllClose(fadeOut(x, 6), [...fadeIn(x, 6)].reverse(), EXACT);
  assert.deepEqual([...fadeIn(x, 0)], [...x]);
  assert.deepEqual([...x], [1, 1, 1, 1, 1, 1]); // input untouched
});

Deno.test("applyWindow() multiplies element-wise into a new array", () => {
  const x = [2, 2, 2];
  assertAllClose(applyWindow(x, hannWindow(3)), [0, 2, 0], EXACT);
  assert.deepEqual(x, [2, 2, 2]);
});

Deno.test("window functions reject bad lengths, alphas and fade lengths", () => {
  assert.throws(() => hannWindow(2.5), {
    name: "RangeError",
    message:
      "Cannot create Hann window as length must be a non-negative integer: current value is 2.5",
  });
  assert.throws(() => blackmanWindow(-1), {
    name: "RangeError",
    message:
      "Cannot create Blackman window as length must be a non-negative integer: current value is -1",
  });
  assert.throws(() => tukeyWindow(8, 1.5), {
    name: "RangeError",
    message: "Cannot create Tukey window as alpha must be in [0, 1]: current value is 1.5",
  });
  assert.throws(() => tukeyWindow(8, NaN), RangeError);
  assert.throws(() => applyWindow([1, 2], [1]), {
    name: "RangeError",
    message:
      "Cannot apply window as window length must equal signal length: window has 1 samples, signal has 2",
  });
  assert.throws(() => fadeIn([1, 2], 3), {
    name: "RangeError",
    message:
      "Cannot fade in as samples must be an integer in [0, 2] (the signal length): current value is 3",
  });
  assert.throws(() => fadeOut([1, 2], 0.5), {
    name: "RangeError",
    message:
      "Cannot fade out as samples must be an integer in [0, 2] (the signal length): current value is 0.5",
  });
});
