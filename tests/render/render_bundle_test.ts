import assert from "node:assert/strict";
import { bundleInputs, renderBundle } from "../../render/mod.ts";
import type { FilterBundleDraft } from "../../calibrate/bundle.ts";
import { upmixParameters } from "../../design/upmix.ts";
import { directConvolve } from "../../dsp/convolve.ts";
import { assertAllClose, seededRandom } from "../_assert.ts";

const DRIVERS = ["a", "b", "c"];

function bundle(withUpmix: boolean, taps = 32): FilterBundleDraft {
  const inputs = withUpmix ? ["left", "right", "center"] : ["left", "right"];
  return {
    format: "spatialcal.filter-bundle",
    version: 1,
    sampleRate: 48000,
    taps,
    latencySamples: 0,
    device: { model: "test", serial: "x", drivers: DRIVERS },
    source: { measurementSet: "none", sha256: "0".repeat(64) },
    inputs,
    ...(withUpmix ? { upmix: { ...upmixParameters() } } : {}),
    filters: Object.fromEntries(inputs.map((i) => [i, `filters/${i}.wav`])),
    design: {},
    predicted: {},
  };
}

function energy(x: Float64Array, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i]! ** 2;
  return e;
}

Deno.test("renderBundle without upmix is out_d = Σ_i filters[i][d] * inputs_i (linear convolution)", () => {
  const rand = seededRandom(7);
  const b = bundle(false);
  const filters = Object.fromEntries(
    b.inputs.map((
      i,
    ) => [i, DRIVERS.map(() => Float64Array.from({ length: 32 }, () => rand() - 0.5))]),
  );
  const left = Float64Array.from({ length: 300 }, () => rand() - 0.5);
  const right = Float64Array.from({ length: 300 }, () => rand() - 0.5);
  const out = renderBundle(b, filters, { sampleRate: 48000, channels: [left, right] });
  assert.equal(out.channels.length, 3);
  DRIVERS.forEach((_, d) => {
    const l = directConvolve(filters.left![d]!, left),
      r = directConvolve(filters.right![d]!, right);
    // FFT round-off on 512-point transforms of O(1) data: ~1e-15; 1e-12 leaves margin.
    assertAllClose(out.channels[d]!, l.map((x, i) => x + r[i]!), { atol: 1e-12 });
  });
});

Deno.test("end to end through the upmix: a hard-panned source stays on its side's driver, a mono source goes mostly to the center's", () => {
  // Routing filters: left → driver a, right → driver b, center → driver c (unit impulses).
  const b = bundle(true, 16);
  const route = (d: number) =>
    DRIVERS.map((_, i) => {
      const h = new Float64Array(16);
      if (i === d) h[0] = 1;
      return h;
    });
  const filters = { left: route(0), right: route(1), center: route(2) };
  const n = 48000;
  const rand = seededRandom(3);
  const noise = Float64Array.from({ length: n }, () => rand() - 0.5);
  const silence = new Float64Array(n);
  const steady = (x: Float64Array) => energy(x, 4096, n - 4096); // skip the STFT's edges

  const hard = renderBundle(b, filters, { sampleRate: 48000, channels: [noise, silence] });
  const [ea, eb, ec] = hard.channels.map(steady) as [number, number, number];
  // A hard-panned source: γ = 0, nothing goes to center; within 1e-6 of the input energy.
  assert.ok(eb / ea < 1e-6 && ec / ea < 1e-6, `right ${eb / ea}, center ${ec / ea}`);
  assert.ok(Math.abs(ea / steady(noise) - 1) < 1e-6);

  const mono = renderBundle(b, filters, { sampleRate: 48000, channels: [noise, noise] });
  const [ma, mb, mc] = mono.channels.map(steady) as [number, number, number];
  // A mono source: the center carries (almost) all of it; measured > 99 %.
  assert.ok(mc / (ma + mb + mc) > 0.95, `center share ${mc / (ma + mb + mc)}`);
});

Deno.test("bundleInputs and renderBundle refuse non-stereo input and another sample rate", () => {
  const b = bundle(false);
  const x = new Float64Array(10);
  assert.throws(
    () => bundleInputs(b, { sampleRate: 48000, channels: [x] }),
    (e: unknown) =>
      e instanceof RangeError &&
      /input must be stereo \(2 channels\): current value is 1/.test(e.message),
  );
  assert.throws(
    () => bundleInputs(b, { sampleRate: 44100, channels: [x, x] }),
    (e: unknown) =>
      e instanceof RangeError &&
      /sample rates differ: the bundle has 48000 Hz, the input has 44100 Hz/.test(e.message),
  );
  assert.throws(
    () => renderBundle(b, { left: [x], right: [x] }, { sampleRate: 48000, channels: [x, x] }),
    (e: unknown) =>
      e instanceof RangeError &&
      /filters.left must have one filter per driver \(3\)/.test(e.message),
  );
});
