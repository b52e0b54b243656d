import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import {
  earDirections,
  planeWaveHeadTable,
  resolveHead,
  sphereHeadResponse,
  woodworthItdSeconds,
} from "../../sim/head.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { POINT_SOURCE_MODEL } from "./_point_source.ts";

const reference = JSON.parse(
  Deno.readTextFileSync(new URL("../../fixtures/sim/reference.json", import.meta.url)),
);

Deno.test("sphereHeadResponse() equals a direct scipy summation of Duda & Martens eq. 9 (conjugated) to 1e-12", () => {
  for (const c of reference.sphere) {
    const head = resolveHead({ radiusMeters: c.radiusMeters });
    const [H] = sphereHeadResponse(head, c.distanceMeters, [c.thetaDeg], [c.frequencyHz]);
    // scipy uses e^{-iωt}: our e^{+jωt} response is its complex conjugate.
    // Tolerance: both sum up to ~60 terms of size <= ~30 in double precision.
    assertAllClose([H!.re[0]!, H!.im[0]!], [c.re, -c.im], { atol: 1e-12 });
  }
});

Deno.test("the head response tends to 1 at low frequency and to +6 dB (pressure doubling) facing the source at high frequency", () => {
  const head = resolveHead();
  // a distant source (1 km): at 2 m the near ear is also 4.6 % closer than the centre
  const [front, back] = sphereHeadResponse(head, 1000, [0, 180], [1, 16000]);
  // at 1 Hz ka = 0.0016: |H − 1| = O(ka), far below 1e-2
  assert.ok(Math.abs(front!.re[0]! - 1) < 1e-2 && Math.abs(front!.im[0]!) < 1e-2);
  assert.ok(Math.abs(back!.re[0]! - 1) < 1e-2);
  const db = 20 * Math.log10(Math.hypot(front!.re[1]!, front!.im[1]!));
  // ka = 25.6: the ipsilateral pole approaches 6.02 dB, up to finite-ka terms (±0.5 dB)
  assert.ok(Math.abs(db - 6.02) < 0.5, `${db} dB`);
});

Deno.test("ITD from the simulated ear IRs (interaural cross-correlation) is within 5 % of Woodworth's a/c·(θ + sin θ)", () => {
  const device = createSimDevice({
    model: POINT_SOURCE_MODEL,
    serial: "nominal",
    mics: "binaural",
    noiseLevelDbfs: -Infinity,
  });
  const fs = device.sampleRate;
  const up = 16;
  const upsample = (x: Float64Array) => {
    const X = realFftPlan(x.length).forward(x);
    const plan = realFftPlan(x.length * up);
    const re = new Float64Array(plan.binCount), im = new Float64Array(plan.binCount);
    for (let k = 0; k < X.re.length; k++) {
      re[k] = X.re[k]! * up;
      im[k] = X.im[k]! * up;
    }
    return plan.inverse({ re, im });
  };
  const errors: number[] = [];
  for (const lateralDeg of [15, 30, 45, 60, 75, 90]) {
    // turning the head by +θ (counter-clockwise) puts the source θ to the head's right
    const irs = device.trueImpulseResponses({
      azimuthDeg: 0,
      elevationDeg: 0,
      distanceMeters: 2,
      headYawDeg: lateralDeg,
    });
    const left = upsample(irs.ir.point!["ear-left"]!.slice(0, 1024));
    const right = upsample(irs.ir.point!["ear-right"]!.slice(0, 1024));
    let best = -Infinity, lag = 0;
    for (let l = 0; l <= 40 * up; l++) {
      let s = 0;
      for (let n = 250 * up; n < 400 * up; n++) s += right[n]! * left[n + l]!;
      if (s > best) {
        best = s;
        lag = l;
      }
    }
    const itd = lag / up / fs;
    errors.push(itd / woodworthItdSeconds(lateralDeg) - 1);
  }
  // Measured: +2.6 … +3.9 %. The broadband cross-correlation ITD of a rigid sphere sits just
  // above the ray-path (Woodworth) value; the very-low-frequency ITD is Kuhn's 3a/c·sin θ.
  for (const e of errors) {
    assert.ok(
      Math.abs(e) < 0.05,
      `ITD errors ${errors.map((v) => v.toFixed(3))}`,
    );
  }
});

Deno.test("at low frequency the interaural phase delay follows Kuhn's 3a/c·sin θ within 1 %", () => {
  const head = resolveHead();
  for (const frequencyHz of [50, 100]) {
    for (const lateral of [15, 45, 90]) {
      const [near, far] = sphereHeadResponse(head, 1000, [90 - lateral, 90 + lateral], [
        frequencyHz,
      ]);
      const phase = Math.atan2(near!.im[0]!, near!.re[0]!) - Math.atan2(far!.im[0]!, far!.re[0]!);
      const itd = phase / (2 * Math.PI * frequencyHz);
      const kuhn = ((3 * head.radiusMeters) / 343) * Math.sin((lateral * Math.PI) / 180);
      // Kuhn's limit is for ka → 0: measured +0.2 % at 50 Hz, +0.8 % at 100 Hz (ka = 0.16)
      assert.ok(Math.abs(itd / kuhn - 1) < 0.01, `${frequencyHz} Hz, ${lateral}°: ${itd / kuhn}`);
    }
  }
});

Deno.test("ILD grows with frequency (1/3-octave bands, source at 30°, 60° and 90°)", () => {
  const head = resolveHead();
  const bandEnergy = (s: { re: Float64Array; im: Float64Array }) =>
    s.re.reduce((sum, v, i) => sum + v * v + s.im[i]! ** 2, 0);
  for (const lateral of [30, 60, 90]) {
    const ilds = [250, 1000, 4000, 16000].map((fc) => {
      const f = Array.from({ length: 41 }, (_, i) => fc * 2 ** ((i - 20) / 120));
      const [near, far] = sphereHeadResponse(head, 2, [90 - lateral, 90 + lateral], f);
      return 10 * Math.log10(bandEnergy(near!) / bandEnergy(far!));
    });
    for (let i = 1; i < ilds.length; i++) {
      assert.ok(ilds[i]! > ilds[i - 1]!, `ILD at ${lateral}°: ${ilds.map((v) => v.toFixed(1))}`);
    }
  }
});

Deno.test("the shadowed ear with the source at 90° is >= 10 dB down at 5 kHz (ears set 10° back; on the exact ear axis the sphere's bright spot gives 0 dB)", () => {
  const f = Array.from({ length: 41 }, (_, i) => 5000 * 2 ** ((i - 20) / 120));
  const level = (s: { re: Float64Array; im: Float64Array }) =>
    10 * Math.log10(s.re.reduce((sum, v, i) => sum + v * v + s.im[i]! ** 2, 0) / f.length);
  // Ears at ±100° (Brown & Duda 1998 style): the source at 90° sees the near ear at 10°, the far one at 170°.
  const back = resolveHead({ earAngleDeg: 100 });
  const [near, far] = sphereHeadResponse(back, 2, [10, 170], f);
  const ild = level(near!) - level(far!);
  assert.ok(ild >= 10, `ILD ${ild} dB`); // measured 11.6 dB
  assert.ok(level(far!) <= -5, `far ear ${level(far!)} dB re free field`); // measured -5.4 dB
  // Ears exactly at ±90° (the default): the far ear sits on the axis behind the sphere, where
  // waves round every side arrive in phase (Duda & Martens 1998, Fig. 4): within 1 dB of free field.
  const [onAxis] = sphereHeadResponse(resolveHead(), 2, [180], f);
  assert.ok(Math.abs(level(onAxis!)) < 1, `bright spot ${level(onAxis!)} dB`);
});

Deno.test("planeWaveHeadTable() matches the exact series at a large distance and its diffuse-field level is about 0 dB at low frequency", () => {
  const head = resolveHead();
  const f = [100, 1000, 3000];
  const table = planeWaveHeadTable(head, f, 2);
  const exact = sphereHeadResponse(head, 1000, [0, 90, 180], f);
  [0, 45, 90].forEach((j, i) => {
    // ρ = 11400: h_m(x) differs from its plane-wave limit by O(m(m+1)/(2x)), x = ka·ρ, up to ~2e-3
    assertAllClose(table.re[j]!, exact[i]!.re, { atol: 2e-3 });
    assertAllClose(table.im[j]!, exact[i]!.im, { atol: 2e-3 });
  });
  assert.ok(Math.abs(20 * Math.log10(table.diffuse[0]!)) < 0.1);
});

Deno.test("earDirections(): facing the device from +x, the listener's left ear points to the device's right (−y)", () => {
  const ears = earDirections(resolveHead(), { x: 2, y: 0, z: 0 }, { x: 0, y: 0, z: 0 });
  assertAllClose([ears.left.x, ears.left.y, ears.right.y], [0, -1, 1], { atol: 1e-12 });
  const turned = earDirections(resolveHead(), { x: 2, y: 0, z: 0 }, { x: 0, y: 0, z: 0 }, 90);
  assertAllClose([turned.left.x, turned.right.x], [1, -1], { atol: 1e-12 });
});

Deno.test("resolveHead() and sphereHeadResponse() reject bad geometry with RangeErrors naming the value", () => {
  assert.throws(() => resolveHead({ radiusMeters: 0.5 }), {
    name: "RangeError",
    message: "Cannot create head as radiusMeters must be in (0.03, 0.2] m: current value is 0.5",
  });
  assert.throws(() => resolveHead({ earAngleDeg: 10 }), {
    name: "RangeError",
    message: "Cannot create head as earAngleDeg must be in [45, 135] degrees: current value is 10",
  });
  assert.throws(() => sphereHeadResponse(resolveHead(), 0.05, [0], [100]), {
    name: "RangeError",
    message:
      "Cannot compute head response as distanceMeters must be > 1.05 × head radius (0.0919 m): current value is 0.05",
  });
});
