import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import { besselJ1, pistonDirectivity } from "../../sim/_bessel.ts";
import { hashString } from "../../sim/_random.ts";

const reference = JSON.parse(
  Deno.readTextFileSync(new URL("../../fixtures/sim/reference.json", import.meta.url)),
);

Deno.test("besselJ1() matches scipy.special.j1 to 1e-12 across the series and asymptotic ranges", () => {
  const x = reference.besselJ1.map((r: { x: number }) => r.x);
  const expected = reference.besselJ1.map((r: { j1: number }) => r.j1);
  // series cancellation near x = 14 costs ~4 digits (largest term ~2e4): 1e-12 absolute
  assertAllClose(x.map(besselJ1), expected, { atol: 1e-12 });
  assertAllClose(x.map((v: number) => besselJ1(-v)), expected.map((v: number) => -v), {
    atol: 1e-12,
  });
});

Deno.test("pistonDirectivity() is 1 on axis and has its first null at x = 3.8317 (first zero of J1)", () => {
  assert.equal(pistonDirectivity(0), 1);
  assert.ok(Math.abs(pistonDirectivity(3.831705970207512)) < 1e-12);
  // -3 dB at ka·sinθ ≈ 1.616 (the half-power point of 2J1(x)/x)
  assertAllClose([pistonDirectivity(1.6163)], [Math.SQRT1_2], { atol: 1e-4 });
});

Deno.test("hashString() is deterministic and spreads one-character changes", () => {
  assert.equal(hashString("SIM-000123"), hashString("SIM-000123"));
  assert.notEqual(hashString("SIM-000123"), hashString("SIM-000124"));
});
