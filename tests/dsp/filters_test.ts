import assert from "node:assert/strict";
import { assertAllClose, seededRandom } from "../_assert.ts";
import {
  biquadFilter,
  biquadResponse,
  designBiquad,
  frequencyResponse,
  lfilter,
} from "../../dsp/filters.ts";
import { amplitudeToDb } from "../../dsp/db.ts";
import { directConvolve } from "../../dsp/convolve.ts";

const fs = 48000;

function gainDbAt(b: Parameters<typeof biquadResponse>[0], hz: number): number {
  const H = biquadResponse(b, [hz], fs);
  return amplitudeToDb(Math.hypot(H.re[0]!, H.im[0]!));
}

// Gains are evaluated in closed form: 1e-9 dB covers the round-off of cos/sin and divisions.
const DB = { atol: 1e-9 };

Deno.test("cookbook low/high-pass (Q = 1/√2) are −3.01 dB at f0, 0 dB in the pass band, 0 at the stop end", () => {
  const lp = designBiquad({ type: "lowpass", frequencyHz: 1000, sampleRate: fs });
  const hp = designBiquad({ type: "highpass", frequencyHz: 1000, sampleRate: fs });
  assertAllClose([gainDbAt(lp, 1000), gainDbAt(hp, 1000)], [-3.0103, -3.0103], { atol: 1e-4 });
  assertAllClose([gainDbAt(lp, 0), gainDbAt(hp, fs / 2)], [0, 0], DB);
  const zero = biquadResponse(lp, [fs / 2], fs);
  assert.ok(Math.hypot(zero.re[0]!, zero.im[0]!) < 1e-12); // double zero at z = −1
});

Deno.test("cookbook peaking filter has gainDb at f0 and 0 dB at DC and fs/2", () => {
  for (const gainDb of [-12, 6]) {
    const pk = designBiquad({ type: "peaking", frequencyHz: 2500, sampleRate: fs, q: 2, gainDb });
    assertAllClose([gainDbAt(pk, 2500), gainDbAt(pk, 0), gainDbAt(pk, fs / 2)], [gainDb, 0, 0], DB);
  }
});

Deno.test("cookbook shelves reach gainDb on their shelf and gainDb/2 at f0", () => {
  const low = designBiquad({ type: "lowshelf", frequencyHz: 200, sampleRate: fs, gainDb: 9 });
  assertAllClose([gainDbAt(low, 0), gainDbAt(low, 200), gainDbAt(low, fs / 2)], [9, 4.5, 0], DB);
  const high = designBiquad({ type: "highshelf", frequencyHz: 8000, sampleRate: fs, gainDb: -4 });
  assertAllClose(
    [gainDbAt(high, 0), gainDbAt(high, 8000), gainDbAt(high, fs / 2)],
    [0, -2, -4],
    DB,
  );
});

Deno.test("lfilter() of an FIR equals direct convolution and of a one-pole equals its geometric series", () => {
  const rand = seededRandom(41);
  const x = Float64Array.from({ length: 200 }, () => rand() - 0.5);
  const b = [0.3, -0.2, 0.5, 0.1];
  assertAllClose(lfilter(b, [1], x), directConvolve(b, x).slice(0, 200), { atol: 1e-15 });
  const impulse = new Float64Array(20);
  impulse[0] = 1;
  const y = lfilter([2], [2, -1], impulse); // a0 = 2: y[n] = 0.5ⁿ
  assertAllClose(y, Array.from({ length: 20 }, (_, n) => 0.5 ** n), { rtol: 1e-15 });
});

Deno.test("biquadFilter() equals lfilter() per section and a cascade multiplies the responses", () => {
  const rand = seededRandom(42);
  const x = Float64Array.from({ length: 300 }, () => rand() - 0.5);
  const a = designBiquad({ type: "peaking", frequencyHz: 500, sampleRate: fs, q: 1, gainDb: 5 });
  const c = designBiquad({ type: "highpass", frequencyHz: 100, sampleRate: fs });
  const viaLfilter = lfilter(
    [c.b0, c.b1, c.b2],
    [1, c.a1, c.a2],
    lfilter([a.b0, a.b1, a.b2], [1, a.a1, a.a2], x),
  );
  // Same arithmetic in the same order: equal up to the last bit or two.
  assertAllClose(biquadFilter([a, c], x), viaLfilter, { atol: 1e-15 });
  const f = [50, 500, 5000];
  const both = biquadResponse([a, c], f, fs);
  const ha = biquadResponse(a, f, fs), hc = biquadResponse(c, f, fs);
  for (let i = 0; i < 3; i++) {
    assertAllClose([Math.hypot(both.re[i]!, both.im[i]!)], [
      Math.hypot(ha.re[i]!, ha.im[i]!) * Math.hypot(hc.re[i]!, hc.im[i]!),
    ], { rtol: 1e-14 });
  }
});

Deno.test("frequencyResponse() of a two-tap average is cos(ω/2)·e^{−jω/2}", () => {
  const f = [0, 6000, 12000, 24000];
  const H = frequencyResponse([0.5, 0.5], [1], f, fs);
  for (let i = 0; i < f.length; i++) {
    const w = (2 * Math.PI * f[i]!) / fs;
    assertAllClose(
      [H.re[i]!, H.im[i]!],
      [Math.cos(w / 2) ** 2, -Math.cos(w / 2) * Math.sin(w / 2)],
      { atol: 1e-16 },
    );
  }
});

Deno.test("filter functions reject bad designs and coefficients with named values", () => {
  assert.throws(
    () => designBiquad({ type: "notch" as "peaking", frequencyHz: 100, sampleRate: fs }),
    {
      name: "RangeError",
      message:
        "Cannot design biquad as type must be one of lowpass, highpass, peaking, lowshelf, highshelf: current value is notch",
    },
  );
  assert.throws(() => designBiquad({ type: "lowpass", frequencyHz: 24000, sampleRate: fs }), {
    name: "RangeError",
    message:
      "Cannot design biquad as frequencyHz must be in (0, sampleRate/2 = 24000) Hz: current value is 24000",
  });
  assert.throws(() => designBiquad({ type: "lowpass", frequencyHz: 100, sampleRate: -1 }), {
    name: "RangeError",
    message:
      "Cannot design biquad as sampleRate must be a positive number of Hz: current value is -1",
  });
  assert.throws(() => designBiquad({ type: "lowpass", frequencyHz: 100, sampleRate: fs, q: 0 }), {
    name: "RangeError",
    message: "Cannot design biquad as q must be a positive number: current value is 0",
  });
  assert.throws(
    () => designBiquad({ type: "peaking", frequencyHz: 100, sampleRate: fs, gainDb: Infinity }),
    {
      name: "RangeError",
      message: "Cannot design biquad as gainDb must be a finite number: current value is Infinity",
    },
  );
  assert.throws(() => lfilter([], [1], [1]), {
    name: "RangeError",
    message:
      "Cannot run lfilter as b and a must each have at least one coefficient: b has 0, a has 1",
  });
  assert.throws(() => lfilter([1], [0, 1], [1]), {
    name: "RangeError",
    message: "Cannot run lfilter as a[0] must be a finite non-zero number: current value is 0",
  });
  assert.throws(() => frequencyResponse([1], [1], [0], 0), {
    name: "RangeError",
    message:
      "Cannot compute frequency response as sampleRate must be a positive number of Hz: current value is 0",
  });
  const lp = designBiquad({ type: "lowpass", frequencyHz: 100, sampleRate: fs });
  assert.throws(() => biquadResponse(lp, [0], NaN), {
    name: "RangeError",
    message:
      "Cannot compute biquad response as sampleRate must be a positive number of Hz: current value is NaN",
  });
});
