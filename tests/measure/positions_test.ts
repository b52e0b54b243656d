import assert from "node:assert/strict";
import {
  MIN_HEAD_DISTANCE_METERS,
  normalizeAngleDeg,
  normalizePosition,
  offsetPosition,
} from "../../measure/positions.ts";
import { parseArc } from "../../cli/_positions.ts";

Deno.test("normalizeAngleDeg() gives every direction one spelling in (-180, 180]", () => {
  assert.deepEqual(
    [0, 360, -360, 720, -180, 180, 540, 190, -190, 359.5, -0, 1e-9].map(normalizeAngleDeg),
    [0, 0, 0, 0, 180, 180, 180, -170, 170, -0.5, 0, 0],
  );
  assert.throws(() => normalizeAngleDeg(NaN), {
    name: "RangeError",
    message: "Cannot normalize angle as degrees must be a finite number: current value is NaN",
  });
  assert.deepEqual(
    normalizePosition({ azimuthDeg: 360, elevationDeg: 5, distanceMeters: 2, headYawDeg: 360 }),
    { azimuthDeg: 0, elevationDeg: 5, distanceMeters: 2 },
  );
});

Deno.test("parseArc() keeps 72 distinct points for -180:180:5 and refuses an arc that repeats a direction", () => {
  const arc = parseArc("-180:180:5");
  assert.equal(arc.length, 72);
  assert.equal(new Set(arc).size, 72);
  assert.equal(arc[0], 180); // -180 is spelled 180
  assert.ok(arc.every((a) => a > -180 && a <= 180));
  assert.deepEqual(parseArc("0:360:90"), [0, 90, 180, -90]);
  assert.throws(() => parseArc("0:720:90"), {
    name: "UsageError",
    message:
      'Cannot use --arc as its points must be distinct directions (at most one full turn): current value is "0:720:90", which gives azimuth 0° twice',
  });
});

Deno.test("offsetPosition() refuses an offset that moves the head into or through the device", () => {
  const p = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 };
  assert.throws(() => offsetPosition(p, -200, 0), {
    name: "RangeError",
    message:
      "Cannot offset the head by -200,0 cm from 2 m at azimuth 0° as the head must stay at least 8.75 cm (a head radius) from the device and on the same side of it: the moved head would be 0.0 cm from the device",
  });
  assert.throws(
    () => offsetPosition({ ...p, distanceMeters: 0.5 }, -100, 0),
    /50\.0 cm from the device, on its other side$/,
  );
  assert.throws(
    () => offsetPosition(p, NaN, 0),
    /offset must be finite numbers of cm: current value is NaN,0/,
  );
  // Just outside a head radius is still a position.
  const near = offsetPosition(p, -200 + MIN_HEAD_DISTANCE_METERS * 100 + 1, 0);
  assert.ok(Math.abs(near.distanceMeters - (MIN_HEAD_DISTANCE_METERS + 0.01)) < 1e-4);
  // Behind the device, a move that keeps the head behind it is fine, and its azimuth is 180 (not -180).
  assert.equal(offsetPosition({ ...p, azimuthDeg: 180 }, -50, 0).azimuthDeg, 180);
});
