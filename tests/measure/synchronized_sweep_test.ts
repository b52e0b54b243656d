import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import {
  harmonicAdvanceSeconds,
  sweepFrequencyAt,
  synchronizedSweep,
} from "../../measure/synchronized_sweep.ts";

const base = { startHz: 20, endHz: 20000, durationSeconds: 2, sampleRate: 48000 } as const;

Deno.test("synchronizedSweep() makes f1·L an integer and keeps the duration within one rounding step", () => {
  const s = synchronizedSweep(base);
  const cycles = s.startHz * s.rateSeconds;
  assert.equal(Math.abs(cycles - Math.round(cycles)) < 1e-9, true);
  // One step of f1·L changes the duration by ln(f2/f1)/f1 = 0.345 s; rounding moves at most half of it.
  assert.ok(Math.abs(s.durationSeconds - 2) <= Math.log(1000) / 20 / 2 + 1e-12);
  assert.equal(s.samples.length, Math.ceil(s.durationSeconds * 48000));
});

Deno.test("synchronizedSweep() instantaneous frequency follows f1·e^{t/L} within 0.3 %", () => {
  const s = synchronizedSweep({ ...base, fadeInSeconds: 0, fadeOutSeconds: 0 });
  const x = s.samples;
  // Zero crossings (linearly interpolated) are half a period apart: f ≈ 1 / (2·Δt).
  const crossings: number[] = [];
  for (let n = 1; n < x.length; n++) {
    if ((x[n - 1]! <= 0 && x[n]! > 0) || (x[n - 1]! >= 0 && x[n]! < 0)) {
      crossings.push((n - 1 + x[n - 1]! / (x[n - 1]! - x[n]!)) / s.sampleRate);
    }
  }
  let worst = 0;
  for (let i = 1; i < crossings.length; i++) {
    const t = 0.5 * (crossings[i]! + crossings[i - 1]!);
    const f = 1 / (2 * (crossings[i]! - crossings[i - 1]!));
    if (f > 5000) break; // above ~5 kHz a half period is < 5 samples and interpolation error dominates
    worst = Math.max(worst, Math.abs(f / sweepFrequencyAt(s, t) - 1));
  }
  assert.ok(worst < 3e-3, `worst relative frequency error ${worst}`);
});

Deno.test("synchronizedSweep() peak equals levelDbfs and fades start and end at zero", () => {
  const s = synchronizedSweep({ ...base, levelDbfs: -6 });
  let peak = 0;
  for (const v of s.samples) peak = Math.max(peak, Math.abs(v));
  assertAllClose([peak], [Math.pow(10, -6 / 20)], { rtol: 1e-4 });
  assert.equal(s.samples[0], 0);
  assert.ok(Math.abs(s.samples[s.samples.length - 1]!) < 1e-6);
});

Deno.test("the n-th harmonic of a synchronized sweep is the sweep advanced by L·ln(n)", () => {
  const s = synchronizedSweep({ ...base, fadeInSeconds: 0, fadeOutSeconds: 0 });
  const L = s.rateSeconds;
  const phase = (t: number) => 2 * Math.PI * s.startHz * L * Math.expm1(t / L);
  for (const n of [2, 3, 5]) {
    const dt = harmonicAdvanceSeconds(s, n);
    for (const t of [0.1, 0.7, 1.3]) {
      // sin(n·φ(t)) = sin(φ(t + L·ln n)) exactly when f1·L is an integer [Novak 2015, eq. 48].
      assertAllClose([Math.sin(n * phase(t))], [Math.sin(phase(t + dt))], { atol: 1e-8 });
    }
  }
});

Deno.test("synchronizedSweep() rejects out-of-range parameters with the value in the message", () => {
  assert.throws(() => synchronizedSweep({ ...base, endHz: 30000 }), {
    name: "RangeError",
    message:
      "Cannot create sweep as endHz must be <= sampleRate / 2 (24000 Hz): current value is 30000",
  });
  assert.throws(() => synchronizedSweep({ ...base, startHz: 0 }), {
    name: "RangeError",
    message: "Cannot create sweep as startHz must be > 0: current value is 0",
  });
  assert.throws(
    () => synchronizedSweep({ ...base, startHz: -5 }),
    /startHz must be > 0: current value is -5/,
  );
  assert.throws(() => synchronizedSweep({ ...base, startHz: 500, endHz: 400 }), {
    name: "RangeError",
    message: "Cannot create sweep as endHz must be > startHz (500 Hz): current value is 400",
  });
  assert.throws(() => synchronizedSweep({ ...base, durationSeconds: 0 }), {
    name: "RangeError",
    message:
      "Cannot create sweep as durationSeconds must be between 0.1 and 120 s: current value is 0",
  });
  assert.throws(
    () => synchronizedSweep({ ...base, durationSeconds: Number.NaN }),
    /durationSeconds.*NaN/,
  );
  assert.throws(() => synchronizedSweep({ ...base, durationSeconds: 500 }), /current value is 500/);
  assert.throws(() => synchronizedSweep({ ...base, levelDbfs: 3 }), {
    name: "RangeError",
    message: "Cannot create sweep as levelDbfs must be between -100 and 0 dBFS: current value is 3",
  });
  assert.throws(
    () => synchronizedSweep({ ...base, sampleRate: 1000, endHz: 400 }),
    /sampleRate must be between/,
  );
  assert.throws(
    () => synchronizedSweep({ ...base, fadeInSeconds: 5 }),
    /fadeInSeconds must be between 0 and half/,
  );
});
