import assert from "node:assert/strict";
import { wrapDeg } from "../../dsp/angles.ts";
import { normalizeAngleDeg } from "../../measure/positions.ts";

Deno.test("wrapDeg() maps to (−180, 180]: behind is +180, never −180", () => {
  // The edges of the half-open interval, from both sides and one and two turns away.
  assert.equal(wrapDeg(180), 180);
  assert.equal(wrapDeg(-180), 180);
  assert.equal(wrapDeg(540), 180);
  assert.equal(wrapDeg(-540), 180);
  assert.equal(wrapDeg(-179.5), -179.5);
  assert.equal(wrapDeg(180.5), -179.5);
  assert.equal(wrapDeg(-180.5), 179.5);
});

Deno.test("wrapDeg() keeps (−180, 180] as is, spells zero as +0 and maps a full turn to 0", () => {
  for (const a of [-179.25, -90, -1e-9, 1e-9, 45, 179.999]) assert.equal(wrapDeg(a), a);
  assert.ok(Object.is(wrapDeg(-0), 0));
  assert.ok(Object.is(wrapDeg(360), 0));
  assert.ok(Object.is(wrapDeg(-360), 0));
  assert.ok(Number.isNaN(wrapDeg(Infinity)));
});

Deno.test("wrapDeg() lands every angle of a 1° grid over ±5 turns in (−180, 180] on the same direction", () => {
  for (let a = -1800; a <= 1800; a += 1) {
    const w = wrapDeg(a);
    assert.ok(w > -180 && w <= 180, `${a} → ${w}`);
    // same direction: the difference is a whole number of turns
    assert.equal(((a - w) % 360 + 360) % 360, 0, `${a} → ${w}`);
  }
});

Deno.test("normalizeAngleDeg() is wrapDeg() rounded to 1e-6°", () => {
  for (const a of [-190, -180, 180, 359.9999999, -0.0000004, 725.25]) {
    const expected = Math.round(wrapDeg(a) * 1e6) / 1e6;
    assert.equal(normalizeAngleDeg(a), expected === 0 ? 0 : expected === -180 ? 180 : expected);
  }
  assert.equal(normalizeAngleDeg(-180.0000000001), 180); // rounds to −180, spelled 180
});
