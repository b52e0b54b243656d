import assert from "node:assert/strict";
import { imageSources, resolveRoom, type RoomSpec, sabineT60Seconds } from "../../sim/room.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { errorDb } from "../_assert.ts";
import { POINT_SOURCE_MODEL } from "./_point_source.ts";

const BOX: RoomSpec = {
  dimensionsMeters: { x: 6, y: 5, z: 2.6 },
  absorption: 0.3,
  maxOrder: 1,
  devicePositionMeters: { x: 2.6, y: 2.5, z: 1.0 },
};

Deno.test("imageSources() gives (2N+1)(2N²+2N+3)/3 images up to order N, first-order ones mirrored in each wall", () => {
  for (const maxOrder of [0, 1, 3, 10]) {
    const room = resolveRoom({ ...BOX, maxOrder })!;
    const n = maxOrder;
    assert.equal(
      imageSources(room, { x: 1, y: 2, z: 0.5 }).length,
      ((2 * n + 1) * (2 * n * n + 2 * n + 3)) / 3,
    );
  }
  const room = resolveRoom(BOX)!;
  const first = imageSources(room, { x: 1, y: 2, z: 0.5 }).filter((i) => i.order === 1);
  const positions = first.map((i) => [i.position.x, i.position.y, i.position.z].join(",")).sort();
  assert.deepEqual(
    positions,
    ["-1,2,0.5", "11,2,0.5", "1,-2,0.5", "1,8,0.5", "1,2,-0.5", "1,2,4.7"].sort(),
  );
  for (const i of first) assert.ok(Math.abs(i.gain - Math.sqrt(0.7)) < 1e-15);
});

function upsampledPeak(ir: Float64Array, around: number, factor = 32): number {
  // band-limited interpolation of a window around the expected arrival
  const start = Math.floor(around) - 64;
  const segment = ir.slice(start, start + 128);
  const X = realFftPlan(128).forward(segment);
  const plan = realFftPlan(128 * factor);
  const re = new Float64Array(plan.binCount), im = new Float64Array(plan.binCount);
  for (let k = 0; k < X.re.length; k++) {
    re[k] = X.re[k]! * factor;
    im[k] = X.im[k]! * factor;
  }
  const y = plan.inverse({ re, im });
  let best = 0, at = 0;
  for (let n = (64 - 3) * factor; n < (64 + 4) * factor; n++) {
    if (Math.abs(y[n]!) > best) {
      best = Math.abs(y[n]!);
      at = n;
    }
  }
  return start + at / factor;
}

Deno.test("the first reflection arrives at path length / c, to 0.02 sample, both on the exact and the diffuse path", () => {
  for (const exactOrder of [1, 0]) {
    const device = createSimDevice({
      model: POINT_SOURCE_MODEL,
      serial: "nominal",
      mics: "reference",
      noiseLevelDbfs: -Infinity,
      room: { ...BOX, exactOrder },
    });
    const ir = device.trueImpulseResponses({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1.5 })
      .ir.point!.ref!;
    // source (2.6, 2.5, 1.0), mic (4.1, 2.5, 1.0): the floor image at z = −1.0 is nearest
    const path = Math.hypot(1.5, 2.0);
    const expected = (path * 48000) / 343;
    const direct = (1.5 * 48000) / 343;
    const found = upsampledPeak(ir, expected);
    assert.ok(
      Math.abs(found - expected) < 0.02, // measured 0.0105 sample (peak picking on a 32× upsampled IR)
      `exactOrder ${exactOrder}: ${found} vs ${expected}`,
    );
    assert.ok(Math.abs(upsampledPeak(ir, direct) - direct) < 0.02); // measured 0.0063
  }
});

function t20Seconds(ir: Float64Array, fs: number): number {
  // Schroeder backward integral; T20 from the −5…−25 dB line (ISO 3382-1) times 3
  const edc = new Float64Array(ir.length);
  let sum = 0;
  for (let n = ir.length - 1; n >= 0; n--) {
    sum += ir[n]! * ir[n]!;
    edc[n] = sum;
  }
  const db = (n: number) => 10 * Math.log10(edc[n]! / edc[0]!);
  let n5 = 0;
  while (db(n5) > -5) n5++;
  let n25 = n5;
  while (db(n25) > -25) n25++;
  return (3 * (n25 - n5)) / fs;
}

Deno.test("more absorption gives a shorter decay (T20 from the Schroeder integral)", () => {
  const t20 = [0.15, 0.3, 0.6].map((absorption) => {
    const device = createSimDevice({
      model: POINT_SOURCE_MODEL,
      serial: "nominal",
      mics: "reference",
      noiseLevelDbfs: -Infinity,
      room: { ...BOX, absorption, maxOrder: 30 },
      irLengthSamples: 32768,
    });
    const ir = device.trueImpulseResponses({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 })
      .ir.point!.ref!;
    return t20Seconds(ir, 48000);
  });
  assert.ok(t20[0]! > t20[1]! && t20[1]! > t20[2]!, `T20 ${t20}`);
  // Image sources to order 30 fill the first ~0.4 s. Measured T20: 0.66 / 0.39 / 0.14 s against
  // Sabine's 0.71 / 0.36 / 0.18 s; a shoebox with uniform walls is not a diffuse field, so allow
  // 0.6…1.5 × Sabine.
  const sabine = [0.15, 0.3, 0.6].map((absorption) =>
    sabineT60Seconds(resolveRoom({ ...BOX, absorption })!)
  );
  t20.forEach((t, i) =>
    assert.ok(t > sabine[i]! * 0.6 && t < sabine[i]! * 1.5, `T20 ${t20} vs Sabine ${sabine}`)
  );
});

Deno.test("resolveRoom() rejects bad rooms with RangeErrors naming field and value", () => {
  assert.throws(() => resolveRoom({ ...BOX, absorption: 1.2 }), {
    name: "RangeError",
    message: "Cannot create room as absorption must be in [0, 1): current value is 1.2",
  });
  assert.throws(() => resolveRoom({ ...BOX, dimensionsMeters: { x: 6, y: 0.5, z: 2.6 } }), {
    name: "RangeError",
    message: "Cannot create room as dimensionsMeters.y must be in [1, 50] m: current value is 0.5",
  });
  assert.throws(() => resolveRoom({ ...BOX, devicePositionMeters: { x: 7, y: 1, z: 1 } }), {
    name: "RangeError",
    message:
      "Cannot create room as devicePositionMeters.x must be inside the room (0, 6) m: current value is 7",
  });
  assert.throws(() => resolveRoom({ ...BOX, maxOrder: 2.5 }), {
    name: "RangeError",
    message: "Cannot create room as maxOrder must be an integer in [0, 30]: current value is 2.5",
  });
  assert.equal(resolveRoom("anechoic"), null);
});

Deno.test("before the first reflection a room IR equals the anechoic IR, for a head and a mic, also with the device turned", () => {
  const position = { azimuthDeg: 20, elevationDeg: 0, distanceMeters: 1.5, headYawDeg: 10 };
  for (const deviceYawDeg of [0, 90]) {
    const room: RoomSpec = {
      dimensionsMeters: { x: 6, y: 6, z: 2.6 },
      absorption: 0.3,
      maxOrder: 3,
      devicePositionMeters: { x: 3, y: 3, z: 1.2 },
      deviceYawDeg,
    };
    const common = {
      model: "studio5",
      serial: "SIM-5",
      mics: "both" as const,
      irLengthSamples: 16384,
    };
    const free = createSimDevice(common).trueImpulseResponses(position).ir["mid-left"]!;
    const inRoom = createSimDevice({ ...common, room }).trueImpulseResponses(position)
      .ir["mid-left"]!;
    // the floor reflection (device 1.2 m high) arrives (√(1.5² + 2.4²) − 1.5)·48000/343 ≈ 186
    // samples after the direct sound (≈ 210); compare up to 40 samples before it
    const end = 210 + 186 - 40;
    for (const mic of ["ear-left", "ear-right", "ref"]) {
      const a = free[mic]!.slice(0, end), b = inRoom[mic]!.slice(0, end);
      // what remains is the band-limited reflections' pre-ringing: measured -118 dB
      assert.ok(errorDb(b, a) < -90, `${mic} yaw ${deviceYawDeg}: ${errorDb(b, a)} dB`);
    }
  }
});
