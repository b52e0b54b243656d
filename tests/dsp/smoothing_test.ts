import assert from "node:assert/strict";
import { assertAllClose, seededRandom } from "../_assert.ts";
import { bandLevels, smoothSpectrum } from "../../dsp/smoothing.ts";
import { fractionalOctaveBands } from "../../dsp/bands.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { powerToDb } from "../../dsp/db.ts";

Deno.test("smoothSpectrum() keeps a flat spectrum flat (rectangular and Hann, 1/1..1/24 octave)", () => {
  const flat = new Float64Array(4097).fill(3.5);
  for (const fraction of [1, 3, 6, 12, 24]) {
    for (const window of ["rectangular", "hann"] as const) {
      // Prefix-sum differences of values ~1e4 lose ~1e-12 relative; Hann sums are exact-ish.
      assertAllClose(smoothSpectrum(flat, { fraction, window }), flat, { rtol: 1e-11 });
    }
  }
});

Deno.test("smoothSpectrum() spreads a single-bin peak over (m − ½)/r < k < (m + ½)·r, r = 2^(1/(2b))", () => {
  const bins = 2049, m = 1000;
  const p = new Float64Array(bins);
  p[m] = 1;
  for (const fraction of [3, 12]) {
    const r = Math.pow(2, 1 / (2 * fraction));
    const s = smoothSpectrum(p, { fraction });
    for (let k = 1; k < bins; k++) {
      const inside = k > (m - 0.5) / r && k < (m + 0.5) * r;
      assert.equal(s[k]! > 0, inside, `b=${fraction} bin ${k}`);
    }
    // In the plateau the bin covers the whole window's overlap: value = 1 / window width.
    assertAllClose([s[m]!], [1 / (m * r - m / r)], { rtol: 1e-12 });
  }
});

Deno.test("smoothSpectrum() keeps an isolated peak's power up to the factor 2·ln r/(r − 1/r)", () => {
  const bins = 8193, m = 3000;
  const p = new Float64Array(bins);
  p[m] = 1;
  for (const fraction of [1, 3, 6, 24]) {
    const r = Math.pow(2, 1 / (2 * fraction));
    let total = 0;
    for (const v of smoothSpectrum(p, { fraction })) total += v;
    // The factor is the integral ∫dk/(k(r − 1/r)) over [m/r, m·r]; the smoother sums over
    // integer k instead, which deviates by up to ~4e-4 (measured for m = 300..3000).
    assertAllClose([total], [(2 * Math.log(r)) / (r - 1 / r)], { rtol: 1e-3 });
  }
});

Deno.test("smoothSpectrum() leaves bins narrower than their window unchanged and stays within [min, max]", () => {
  const rand = seededRandom(11);
  const p = Float64Array.from({ length: 1025 }, () => rand() * 10);
  const fraction = 3;
  const s = smoothSpectrum(p, { fraction });
  // With r = 2^(1/6) the window [k/r, k·r] lies inside bin k's interval [k − ½, k + ½]
  // for k <= ½/(r − 1) = 4.1: those bins are copied exactly.
  for (let k = 0; k <= 4; k++) assert.equal(s[k], p[k]);
  const hann = smoothSpectrum(p, { fraction, window: "hann" });
  for (let k = 0; k < p.length; k++) {
    assert.ok(s[k]! >= 0 && s[k]! <= 10 && hann[k]! >= 0 && hann[k]! <= 10);
  }
});

/** Slow, obvious Hann-weighted smoothing: explicit weights for every bin pair. */
function hannSmoothReference(p: ArrayLike<number>, fraction: number): Float64Array {
  const r = Math.pow(2, 1 / (2 * fraction));
  const out = new Float64Array(p.length);
  out[0] = p[0] as number;
  for (let k = 1; k < p.length; k++) {
    let weighted = 0, total = 0;
    for (let j = 1; j < p.length; j++) {
      if (j < k / r || j > k * r) continue;
      const w = 0.5 + 0.5 * Math.cos(2 * Math.PI * fraction * Math.log2(j / k));
      weighted += w * (p[j] as number);
      total += w;
    }
    out[k] = weighted / total;
  }
  return out;
}

Deno.test("Hann smoothing through prefix sums equals explicit weighting to 1e-9 across 60 dB", () => {
  const rand = seededRandom(12);
  // 60 dB of spectral tilt plus random ripple, like a measured response.
  const p = Float64Array.from(
    { length: 1025 },
    (_, k) => (1 + rand()) * Math.pow(10, -6 * k / 1024),
  );
  for (const fraction of [1, 3, 24]) {
    // Prefix-sum differences lose precision in proportion to the power summed below the
    // window over the power in it; measured max 3.6e-10 relative (octave window, 60 dB tilt).
    assertAllClose(
      smoothSpectrum(p, { fraction, window: "hann" }),
      hannSmoothReference(p, fraction),
      {
        rtol: 1e-9,
      },
    );
  }
});

Deno.test("Hann smoothing weights the centre more: a peak's smoothed value is higher at the peak", () => {
  const p = new Float64Array(2049);
  p[1000] = 1;
  const rect = smoothSpectrum(p, { fraction: 3 });
  const hann = smoothSpectrum(p, { fraction: 3, window: "hann" });
  assert.ok(hann[1000]! > rect[1000]!);
  assert.ok(hann[1100]! < rect[1100]!); // near the window edge
});

Deno.test("bandLevels() of a unit impulse gives each band its share of the flat spectrum", () => {
  const sampleRate = 48000;
  const ir = new Float64Array(4096);
  ir[0] = 1; // energy 1, flat: energy density 1/(fs/2) per Hz
  const bands = fractionalOctaveBands({ fraction: 3, minHz: 20, maxHz: 20000 });
  const levels = bandLevels({ ir, sampleRate }, bands);
  const expected = [...bands.lowerHz].map((lo, i) =>
    powerToDb((bands.upperHz[i]! - lo) / (sampleRate / 2))
  );
  // Fractional bin overlaps reproduce the band width exactly for a flat spectrum.
  assertAllClose(levels, expected, { atol: 1e-9 });
});

Deno.test("bandLevels() puts an on-bin sinusoid's whole energy in its band (Parseval)", () => {
  const sampleRate = 48000;
  const plan = realFftPlan(8192);
  const f = (100 * sampleRate) / 8192; // exactly bin 100 of the 8192-point FFT: 585.9 Hz
  const x = Float64Array.from(
    { length: 8192 },
    (_, i) => Math.sin(2 * Math.PI * f * i / sampleRate),
  );
  let energy = 0;
  for (const v of x) energy += v * v;
  const bands = fractionalOctaveBands({ fraction: 1, minHz: 31.5, maxHz: 16000 });
  const fromSpectrum = bandLevels({ spectrum: plan.forward(x), sampleRate }, bands);
  const fromIr = bandLevels({ ir: x, sampleRate }, bands);
  assertAllClose(fromIr, fromSpectrum, { atol: 1e-12 });
  const band = [...bands.lowerHz].findIndex((lo, i) => lo <= f && f < bands.upperHz[i]!);
  // Parseval in floating point: 1e-12 relative.
  assertAllClose([fromSpectrum[band]!], [powerToDb(energy)], { atol: 1e-10 });
  // The other bands hold only round-off (< −200 dB re the tone).
  for (let b = 0; b < fromSpectrum.length; b++) {
    if (b !== band) assert.ok(fromSpectrum[b]! < powerToDb(energy) - 200, `band ${b}`);
  }
});

Deno.test("smoothSpectrum() and bandLevels() reject bad input with named values", () => {
  assert.throws(() => smoothSpectrum([1, 2, 3], { fraction: 0 }), {
    name: "RangeError",
    message: "Cannot smooth spectrum as fraction must be a positive number: current value is 0",
  });
  assert.throws(() => smoothSpectrum([1], { fraction: 3 }), {
    name: "RangeError",
    message:
      "Cannot smooth spectrum as powerSpectrum must have at least 2 bins: current length is 1",
  });
  assert.throws(() => smoothSpectrum([1, -1, 3], { fraction: 3 }), {
    name: "RangeError",
    message: "Cannot smooth spectrum as power values must be finite and >= 0: bin 1 is -1",
  });
  assert.throws(() => smoothSpectrum([1, 2], { fraction: 3, window: "kaiser" as "hann" }), {
    name: "RangeError",
    message:
      'Cannot smooth spectrum as window must be "rectangular" or "hann": current value is kaiser',
  });
  const bands = fractionalOctaveBands({ fraction: 1, minHz: 100, maxHz: 1000 });
  assert.throws(() => bandLevels({ ir: [1], sampleRate: 0 }, bands), {
    name: "RangeError",
    message:
      "Cannot compute band levels as sampleRate must be a positive number of Hz: current value is 0",
  });
  assert.throws(() => bandLevels({ ir: [], sampleRate: 48000 }, bands), {
    name: "RangeError",
    message: "Cannot compute band levels as ir must have at least 1 sample: current length is 0",
  });
  const bad = { re: new Float64Array(5), im: new Float64Array(4) };
  assert.throws(() => bandLevels({ spectrum: bad, sampleRate: 48000 }, bands), {
    name: "RangeError",
    message:
      "Cannot compute band levels as spectrum must have equal re and im lengths >= 3: re has 5, im has 4",
  });
  assert.throws(() => bandLevels({ ir: [1], sampleRate: 1000 }, bands), {
    name: "RangeError",
    message:
      `Cannot compute band levels as every band must start below sampleRate / 2 (500 Hz): band 3 starts at ${
        bands.lowerHz[3]
      } Hz`,
  });
});
