import { assertAllClose } from "../_assert.ts";
import { addFractionalImpulse } from "../../sim/_synthesis.ts";

Deno.test("addFractionalImpulse() equals the direct Hann-windowed sinc formula to 1e-14", () => {
  const half = 16;
  for (const delay of [40, 40.25, 40.5, 57.999, 3.3]) {
    const fast = new Float64Array(100);
    addFractionalImpulse(fast, delay, 0.7);
    const slow = new Float64Array(100);
    const n0 = Math.floor(delay);
    for (let n = n0 - half + 1; n <= n0 + half; n++) {
      if (n < 0) continue;
      const t = n - delay;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
      slow[n]! += 0.7 * sinc * 0.5 * (1 + Math.cos((Math.PI * t) / half));
    }
    // the rotation recurrence for the window drifts by ~32 roundings
    assertAllClose(fast, slow, { atol: 1e-14 });
  }
});
