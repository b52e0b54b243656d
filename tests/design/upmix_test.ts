import assert from "node:assert/strict";
import { upmixParameters, upmixStereo } from "../../design/upmix.ts";
import { assertAllClose, errorDb, seededRandom } from "../_assert.ts";

const FS = 48000;

function noise(seed: number, length: number): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length }, () => rand() * 2 - 1);
}

function energy(x: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += (x[i] as number) ** 2;
  return e;
}

function levelDb(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  return 10 * Math.log10(energy(x) / energy(ref));
}

Deno.test("upmixStereo() reconstructs perfectly: left + center = L and right + center = R to 1e-12", () => {
  const L = noise(1, 9000), R = noise(2, 9000);
  for (let i = 0; i < L.length; i++) R[i] = 0.6 * R[i]! + 0.5 * L[i]!; // partly correlated
  const u = upmixStereo(L, R, { sampleRate: FS });
  assert.equal(u.center.length, 9000);
  const sumL = u.left.map((v, i) => v + u.center[i]!);
  const sumR = u.right.map((v, i) => v + u.center[i]!);
  // COLA overlap-add of a √Hann/√Hann STFT: round-off of a few FFTs on O(1) samples.
  assertAllClose(sumL, L, { atol: 1e-12 });
  assertAllClose(sumR, R, { atol: 1e-12 });
});

Deno.test("a hard-panned source stays wholly in its side: center and the other side are exactly zero", () => {
  const x = noise(3, 24000), silent = new Float64Array(24000);
  const u = upmixStereo(x, silent, { sampleRate: FS });
  // Re⟨L·R*⟩ = 0 exactly when one channel is silent, so γ = 0 and C = 0.
  assert.equal(energy(u.center), 0);
  assert.equal(energy(u.right), 0);
  // The left output is the input through the STFT: round-off only.
  assert.ok(errorDb(u.left, x) < -250, `left error ${errorDb(u.left, x)} dB`);
  const v = upmixStereo(silent, x, { sampleRate: FS });
  assert.ok(energy(v.center) === 0 && energy(v.left) === 0);
});

Deno.test("a mono source goes wholly to the center (sides below -100 dB)", () => {
  const x = noise(4, 24000);
  const u = upmixStereo(x, x, { sampleRate: FS });
  // S = 0 exactly, so α = 0 and C = M = x: only round-off reaches the sides.
  assert.ok(levelDb(u.left, x) < -100 && levelDb(u.right, x) < -100);
  assert.ok(errorDb(u.center, x) < -100);
});

Deno.test("uncorrelated left and right (wide ambience) mostly stay out of the center (< -10 dB)", () => {
  const L = noise(8, 48000), R = noise(9, 48000);
  const u = upmixStereo(L, R, { sampleRate: FS });
  // γ = Re⟨LR*⟩/⟨|M|²⟩ is only estimation noise for independent channels (50 ms averages);
  // measured −14 dB.
  const c = levelDb(u.center, L);
  assert.ok(c < -10, `center ${c.toFixed(1)} dB`);
});

function tones(hz: number[], n: number, phase: number): Float64Array {
  return Float64Array.from(
    { length: n },
    (_, i) => hz.reduce((a, f, k) => a + Math.sin((2 * Math.PI * f * i) / FS + phase * (k + 1)), 0),
  );
}

Deno.test("in a mix of a mono vocal and two hard-panned guitars (disjoint spectra) the center is the vocal to -25 dB", () => {
  const n = 48000;
  const vocal = tones([220, 440, 660, 880], n, 0.3);
  const gl = tones([300, 1000, 1700], n, 1.1), gr = tones([520, 1250, 2100], n, 2.3);
  const L = vocal.map((v, i) => v + gl[i]!), R = vocal.map((v, i) => v + gr[i]!);
  const u = upmixStereo(L, R, { sampleRate: FS });
  // Skip the first 0.25 s: the 50 ms recursive averages start from zero.
  const from = 12000;
  const c = u.center.subarray(from), v = vocal.subarray(from);
  // Components ≥ 80 Hz apart barely share STFT bins: the centre is the vocal up to window
  // leakage (measured −33 dB).
  assert.ok(errorDb(c, v) < -25, `center vs vocal ${errorDb(c, v).toFixed(1)} dB`);
  assert.ok(errorDb(u.left.subarray(from), gl.subarray(from)) < -25);
  assert.ok(errorDb(u.right.subarray(from), gr.subarray(from)) < -25);
});

Deno.test("with fully overlapping white noise the center is the Wiener estimate γ·M (vocal share > 0 dB, at most +3 dB)", () => {
  const n = 48000;
  const vocal = noise(5, n), gl = noise(6, n), gr = noise(7, n);
  const L = vocal.map((v, i) => v + gl[i]!), R = vocal.map((v, i) => v + gr[i]!);
  const u = upmixStereo(L, R, { sampleRate: FS });
  let cv = 0, vv = 0;
  for (let i = 0; i < n; i++) {
    cv += u.center[i]! * vocal[i]!;
    vv += vocal[i]! ** 2;
  }
  const a = cv / vv;
  const rest = u.center.map((c, i) => c - a * vocal[i]!);
  const share = 10 * Math.log10((a * a * vv) / energy(rest));
  // A per-bin linear estimate cannot split sources that overlap in every bin: C ≈ γ·(v + (gl+gr)/2)
  // bounds the share at +3 dB; estimation noise of the 50 ms averages costs ~2 dB (measured 1.1 dB).
  assert.ok(share > 0 && share <= 3, `vocal share ${share.toFixed(1)} dB`);
});

Deno.test("the center is minimally correlated with left−right: with a partly panned source and ambience, corr(C, L−R) is 0.45 for the plain mid, < 0.2 by default and → 0 as the regularization → 0", () => {
  // A mono vocal, a guitar panned to the left (R gets half of it: panning index 1/3) and
  // uncorrelated ambience in each channel, all white noise of one power.
  const n = 4 * FS;
  const vocal = noise(11, n), guitar = noise(12, n), al = noise(13, n), ar = noise(14, n);
  const L = vocal.map((v, i) => v + guitar[i]! + 0.3 * al[i]!);
  const R = vocal.map((v, i) => v + 0.5 * guitar[i]! + 0.3 * ar[i]!);
  const side = L.map((l, i) => l - R[i]!);
  const corr = (x: Float64Array, y: Float64Array) => {
    let xy = 0;
    for (let i = 0; i < x.length; i++) xy += x[i]! * y[i]!;
    return xy / Math.sqrt(energy(x) * energy(y));
  };
  const mid = L.map((l, i) => (l + R[i]!) / 2);
  // Analytic: E[M·(L−R)] = 0.75·0.5, var M = 1.6075, var(L−R) = 0.43 → 0.375/√(1.6075·0.43) = 0.451.
  const plain = corr(mid, side);
  assert.ok(Math.abs(plain - 0.451) < 0.02, `corr(mid, L−R) ${plain.toFixed(3)}`);
  // Default regularization (panIndexHalfGain 0.15) keeps a little of the panned guitar's mid
  // (measured 0.15); the unregularized projection removes it (measured < 0.05).
  const byDefault = corr(upmixStereo(L, R, { sampleRate: FS }).center, side);
  assert.ok(Math.abs(byDefault) < 0.2, `default: corr(center, L−R) ${byDefault.toFixed(3)}`);
  const sharp = corr(upmixStereo(L, R, { sampleRate: FS, panIndexHalfGain: 0.01 }).center, side);
  assert.ok(Math.abs(sharp) < 0.05, `ε → 0: corr(center, L−R) ${sharp.toFixed(3)}`);
});

Deno.test("upmixParameters() documents the method for the bundle and upmixStereo() rejects bad input", () => {
  assert.deepEqual(upmixParameters(), {
    method: "mid-side-projection",
    frameSize: 2048,
    hopSize: 512,
    window: "sqrt-hann",
    smoothingSeconds: 0.05,
    panIndexHalfGain: 0.15,
  });
  const cases: [() => unknown, string][] = [
    [
      () => upmixStereo([1, 2], [1], { sampleRate: FS }),
      "Cannot upmix stereo as left and right must have the same length: left has 2, right has 1",
    ],
    [
      () => upmixStereo([1], [NaN], { sampleRate: FS }),
      "Cannot upmix stereo as samples must be finite: right sample 0 is NaN",
    ],
    [
      () => upmixStereo([1], [1], { sampleRate: 0 }),
      "Cannot upmix stereo as sampleRate must be a positive number of Hz: current value is 0",
    ],
    [
      () => upmixParameters({ frameSize: 100 }),
      "Cannot upmix stereo as frameSize must be a power of two >= 64: current value is 100",
    ],
    [
      // A string from a hand-edited bundle.json shows as a string.
      () => upmixParameters({ frameSize: "2048" as unknown as number }),
      'Cannot upmix stereo as frameSize must be a power of two >= 64: current value is "2048"',
    ],
    [
      () => upmixParameters({ smoothingSeconds: -1 }),
      "Cannot upmix stereo as smoothingSeconds must be >= 0: current value is -1",
    ],
    [
      () => upmixParameters({ panIndexHalfGain: 0 }),
      "Cannot upmix stereo as panIndexHalfGain must be within (0, 1]: current value is 0",
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { name: "RangeError", message });
});
