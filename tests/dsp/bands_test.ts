import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import {
  bandCenterHz,
  bandEdgesHz,
  fractionalOctaveBands,
  OCTAVE_RATIO_BASE10,
} from "../../dsp/bands.ts";

// Values computed from powers of 10^(3/10): exact to a few ulps.
const TIGHT = { rtol: 1e-13 };

Deno.test("octave band centres are 1000·G^x (IEC 61260-1 base 10)", () => {
  const bands = fractionalOctaveBands({ fraction: 1, minHz: 31.5, maxHz: 16000 });
  assert.deepEqual([...bands.index], [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4]);
  const expected = [...bands.index].map((x) => 1000 * Math.pow(10, (3 * x) / 10));
  assertAllClose(bands.centerHz, expected, TIGHT);
  // The nominal labels 31.5, 63, 125, ... 16k round these exact values.
  assert.deepEqual(
    [...bands.centerHz].map((f) => Number(f.toPrecision(3))),
    [31.6, 63.1, 126, 251, 501, 1000, 2000, 3980, 7940, 15800],
  );
});

Deno.test("third-octave bands from 20 Hz to 20 kHz are the 31 bands 19.95 Hz .. 19.95 kHz", () => {
  const bands = fractionalOctaveBands({ fraction: 3, minHz: 20, maxHz: 20000 });
  assert.equal(bands.centerHz.length, 31);
  assertAllClose(
    [bands.centerHz[0]!, bands.centerHz[30]!],
    [19.952623149688797, 19952.62314968879],
    TIGHT,
  );
  assert.equal(bands.index[0], -17);
  assert.equal(bands.index[17], 0); // 1000 Hz
});

Deno.test("even fractions put 1 kHz on a band edge: fm = 1000·G^((2x+1)/(2b))", () => {
  for (const b of [6, 12, 24] as const) {
    const bands = fractionalOctaveBands({ fraction: b, minHz: 900, maxHz: 1100 });
    const i = [...bands.index].indexOf(0);
    assertAllClose(
      [bands.centerHz[i]!],
      [1000 * Math.pow(OCTAVE_RATIO_BASE10, 1 / (2 * b))],
      TIGHT,
    );
    assertAllClose([bands.lowerHz[i]!], [1000], TIGHT);
  }
});

Deno.test("bands tile the axis: each upper edge is the next lower edge, width 1/b octave", () => {
  for (const b of [1, 3, 6, 12, 24] as const) {
    const bands = fractionalOctaveBands({ fraction: b, minHz: 20, maxHz: 20000 });
    assertAllClose(bands.lowerHz.slice(1), bands.upperHz.slice(0, -1), TIGHT);
    for (let i = 0; i < bands.centerHz.length; i++) {
      assertAllClose([Math.log(bands.upperHz[i]! / bands.lowerHz[i]!)], [
        Math.log(OCTAVE_RATIO_BASE10) / b,
      ], TIGHT);
      assertAllClose([bands.centerHz[i]! ** 2], [bands.lowerHz[i]! * bands.upperHz[i]!], TIGHT);
    }
    // Covering: first band contains minHz, last contains maxHz.
    assert.ok(bands.lowerHz[0]! <= 20 && bands.upperHz[0]! > 20);
    const last = bands.centerHz.length - 1;
    assert.ok(bands.lowerHz[last]! < 20000 && bands.upperHz[last]! >= 20000);
  }
});

Deno.test("bandCenterHz() and bandEdgesHz() agree with fractionalOctaveBands()", () => {
  assertAllClose([bandCenterHz(-17, 3)], [19.952623149688797], TIGHT);
  assertAllClose(bandEdgesHz(1000, 1), [
    1000 / Math.pow(OCTAVE_RATIO_BASE10, 0.5),
    1000 * Math.pow(OCTAVE_RATIO_BASE10, 0.5),
  ], TIGHT);
  const bands = fractionalOctaveBands({ fraction: 12, minHz: 100, maxHz: 200 });
  for (let i = 0; i < bands.index.length; i++) {
    assertAllClose([bandCenterHz(bands.index[i]!, 12)], [bands.centerHz[i]!], TIGHT);
    assertAllClose(
      bandEdgesHz(bands.centerHz[i]!, 12),
      [bands.lowerHz[i]!, bands.upperHz[i]!],
      TIGHT,
    );
  }
});

Deno.test("band functions reject bad fractions, ranges and indices", () => {
  assert.throws(() => fractionalOctaveBands({ fraction: 2 as 1, minHz: 20, maxHz: 200 }), {
    name: "RangeError",
    message:
      "Cannot create fractional-octave bands as fraction must be one of 1, 3, 6, 12, 24: current value is 2",
  });
  assert.throws(() => fractionalOctaveBands({ fraction: 3, minHz: 0, maxHz: 200 }), {
    name: "RangeError",
    message:
      "Cannot create fractional-octave bands as minHz must be a positive number: current value is 0",
  });
  assert.throws(() => fractionalOctaveBands({ fraction: 3, minHz: 200, maxHz: 100 }), {
    name: "RangeError",
    message:
      "Cannot create fractional-octave bands as maxHz must be a finite number > minHz (200 Hz): current value is 100",
  });
  assert.throws(() => bandCenterHz(0.5, 3), {
    name: "RangeError",
    message: "Cannot compute band centre as index must be an integer: current value is 0.5",
  });
  assert.throws(() => bandEdgesHz(-1, 3), {
    name: "RangeError",
    message: "Cannot compute band edges as centerHz must be a positive number: current value is -1",
  });
  assert.throws(() => bandEdgesHz(1000, 5 as 3), {
    name: "RangeError",
    message:
      "Cannot compute band edges as fraction must be one of 1, 3, 6, 12, 24: current value is 5",
  });
});
