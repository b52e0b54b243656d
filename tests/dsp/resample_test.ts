/**
 * The resampler against scipy.signal.resample_poly (Debian's scipy, run at test time as
 * /usr/bin/python3) and on its own terms: pass band, stop band, timing.
 */
import assert from "node:assert/strict";
import { assertAllClose, seededRandom } from "../_assert.ts";
import { besselI0 as referenceI0 } from "../_reference/kaiser.ts";
import {
  rationalRatio,
  resample,
  resampleAt,
  resampleByRatio,
  resampleFilter,
  type ResampleOptions,
} from "../../dsp/resample.ts";
import { besselI0, kaiserWindow } from "../../dsp/windows.ts";
import { amplitudeToDb, peakAmplitude, rms } from "../../dsp/db.ts";

const SCIPY = `
import json, sys
import numpy as np, scipy, scipy.signal as s
cases = json.load(sys.stdin)
out = []
for c in cases:
    x = np.array(c["x"], dtype=np.float64)
    if c.get("design"):
        d = c["design"]
        m = max(c["up"], c["down"])
        h = s.firwin(2 * d["halfLength"] * m + 1, d["cutoff"] / m, window=("kaiser", d["beta"]))
        y = s.resample_poly(x, c["up"], c["down"], window=h)
    else:
        y = s.resample_poly(x, c["up"], c["down"])
    out.append({"y": y.tolist()})
print(json.dumps({"scipy": scipy.__version__, "cases": out,
                  "kaiser": s.windows.kaiser(31, 7.5).tolist()}))
`;

async function scipy(cases: unknown[]): Promise<any> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", SCIPY],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
  await writer.close();
  const out = await child.output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function noise(n: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
}

const RATES: [number, number][] = [[44100, 48000], [48000, 44100], [48000, 96000], [
  96000,
  48000,
], [44100, 96000]];

Deno.test("resample() equals scipy.signal.resample_poly for 44.1/48/96 kHz, scipy's kernel and ours", async () => {
  const scipyKernel: ResampleOptions = { cutoff: 1, halfLength: 10, beta: 5 };
  const cases: { x: number[]; up: number; down: number; design?: ResampleOptions }[] = [];
  const ours: Float64Array[] = [];
  RATES.forEach(([from, to], i) => {
    const x = noise(1500 + 37 * i, 11 + i);
    const { up, down } = rationalRatio(from, to);
    cases.push({ x: [...x], up, down });
    ours.push(resample({ sampleRate: from, channels: [x] }, to, scipyKernel).channels[0]!);
    // Our default kernel handed to scipy as its FIR (firwin with the same cut-off and window).
    const d = { cutoff: 0.95, halfLength: 80, beta: 12 };
    cases.push({ x: [...x], up, down, design: d });
    ours.push(resample({ sampleRate: from, channels: [x] }, to).channels[0]!);
  });
  const ref = await scipy(cases);
  assert.match(ref.scipy, /^\d+\.\d+/);
  ref.cases.forEach((c: { y: number[] }, i: number) => {
    // O(1) outputs summed over ~20–180 taps: rounding differs by a few ulps (measured max 2.9e-15).
    assertAllClose(ours[i]!, c.y, { rtol: 0, atol: 1e-13, message: `case ${i}` });
  });
  // The Kaiser window itself (scipy.signal.windows.kaiser(31, 7.5)).
  assertAllClose(kaiserWindow(31, 7.5), ref.kaiser, { rtol: 0, atol: 1e-15 });
});

Deno.test("besselI0 matches the slow reference series to 1e-15 relative", () => {
  for (const x of [0, 0.5, 1, 5, 12, 20, 40]) {
    assertAllClose([besselI0(x)], [referenceI0(x)], { rtol: 1e-15 });
  }
});

/** Max |y − sin(2πf·t_m)| over the middle of the output, t_m = m / toRate. */
function sineError(from: number, to: number, hz: number, options?: ResampleOptions): number {
  const n = 4 * from / 10;
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * Math.PI * hz * i / from));
  const y = resample({ sampleRate: from, channels: [x] }, to, options).channels[0]!;
  let worst = 0;
  // Away from both ends by more than the kernel's reach (80 low-rate samples).
  for (let m = Math.round(0.05 * to); m < y.length - Math.round(0.05 * to); m++) {
    worst = Math.max(worst, Math.abs(y[m]! - Math.sin(2 * Math.PI * hz * m / to)));
  }
  return worst;
}

Deno.test("pass band: sines up to 0.9 of the lower Nyquist frequency come out exact to -110 dB, in time", () => {
  // Kaiser β = 12 → δ ≈ 10^(−(12/0.1102 + 8.7)/20) ≈ 1.3e-6 (−118 dB); an error in amplitude
  // or in time (any group delay left over) would show here as a larger difference. Measured
  // worst −116.9 dB over the five rate pairs and five frequencies.
  for (const [from, to] of RATES) {
    const nyquist = Math.min(from, to) / 2;
    for (const hz of [31, 1000, 5000, 12000, 0.9 * nyquist]) {
      const e = sineError(from, to, hz);
      assert.ok(amplitudeToDb(e) < -110, `${from}→${to} at ${hz} Hz: ${amplitudeToDb(e)} dB`);
    }
  }
  // scipy's own kernel (β = 5, H = 10) is only good to about −40 dB at 0.9 Nyquist: the
  // test above is able to fail.
  assert.ok(
    amplitudeToDb(sineError(44100, 48000, 19845, { cutoff: 1, halfLength: 10, beta: 5 })) > -40,
  );
});

Deno.test("stop band: tones above the output's Nyquist frequency are rejected by more than 110 dB", () => {
  const from = 48000, to = 44100;
  for (const hz of [22100, 22500, 23500]) {
    const x = Float64Array.from({ length: 19200 }, (_, i) => Math.sin(2 * Math.PI * hz * i / from));
    const y = resample({ sampleRate: from, channels: [x] }, to).channels[0]!;
    const middle = y.subarray(2000, y.length - 2000);
    // Measured worst −118.6 dB over the three tones.
    assert.ok(
      amplitudeToDb(peakAmplitude(middle)) < -110,
      `${hz} Hz: ${amplitudeToDb(peakAmplitude(middle))} dB`,
    );
  }
});

Deno.test("an impulse keeps its time: 44.1 → 48 kHz puts sample 4410 at sample 4800, symmetric about it", () => {
  const x = new Float64Array(8820);
  x[4410] = 1;
  const y = resample({ sampleRate: 44100, channels: [x] }, 48000).channels[0]!;
  assert.equal(y.length, 9600);
  let peak = 0;
  for (let i = 0; i < y.length; i++) if (Math.abs(y[i]!) > Math.abs(y[peak]!)) peak = i;
  assert.equal(peak, 4800);
  for (let j = 1; j < 300; j++) {
    // A zero-phase kernel: the response is symmetric about the onset to rounding.
    assert.ok(Math.abs(y[4800 - j]! - y[4800 + j]!) < 1e-15, `j ${j}`);
  }
  // Gain at DC is 1: a constant stays a constant away from the ends.
  const ones = resample({ sampleRate: 44100, channels: [new Float64Array(4410).fill(1)] }, 48000)
    .channels[0]!;
  assertAllClose(ones.subarray(500, 4300), new Float64Array(3800).fill(1), { rtol: 0, atol: 3e-6 });
});

Deno.test("resampleByRatio(): 20 ppm clock-drift correction is exact to -110 dB; 160/147 equals resample() to 5e-7", () => {
  const fs = 48000, ratio = 1 + 20e-6;
  const f = (t: number) =>
    0.5 * Math.sin(2 * Math.PI * 997 * t) + 0.4 * Math.sin(2 * Math.PI * 15013 * t);
  const x = Float64Array.from({ length: fs }, (_, i) => f(i / fs));
  const y = resampleByRatio(x, ratio);
  assert.equal(y.length, Math.ceil(fs * ratio));
  let worst = 0;
  for (let m = 2000; m < y.length - 2000; m++) {
    worst = Math.max(worst, Math.abs(y[m]! - f(m / ratio / fs)));
  }
  // Measured −136.3 dB (the 4096-step table's interpolation error is far below the kernel's).
  assert.ok(amplitudeToDb(worst) < -110, `${amplitudeToDb(worst)} dB`);

  const z = noise(3000, 5);
  const a = resampleByRatio(z, 160 / 147);
  const b = resample({ sampleRate: 44100, channels: [z] }, 48000).channels[0]!;
  assert.equal(a.length, b.length);
  // The tabulated kernel (4096 steps, linear interpolation) differs from the exact taps by
  // ≈ 3e-8 each, and its gain is the kernel's integral rather than resample()'s exact tap sum:
  // measured worst output difference 2.4e-7 on outputs up to 1.6 (−136 dB re peak).
  assertAllClose(a, b, { rtol: 0, atol: 5e-7 });
  assert.ok(rms(a) > 0.3);
});

Deno.test("resample() refuses bad rates and options, naming the value", () => {
  const s = { sampleRate: 44100.5, channels: [new Float64Array(10)] };
  assert.throws(() => resample(s, 48000), {
    name: "RangeError",
    message:
      "Cannot resample as fromRate must be a positive integer number of Hz: current value is 44100.5",
  });
  assert.throws(
    () => resample({ sampleRate: 48000, channels: [new Float64Array([0, NaN])] }, 44100),
    {
      name: "RangeError",
      message: "Cannot resample as samples must be finite: channel 0 sample 1 is NaN",
    },
  );
  assert.throws(
    () => resampleFilter({ up: 2, down: 1 }, { cutoff: 1.5 }),
    /cutoff must be in \(0, 1\]/,
  );
  assert.throws(
    () => resampleByRatio([1, 2], 0),
    /ratio must be in \[0.001, 1000\]: current value is 0/,
  );
  assert.throws(
    () => resample({ sampleRate: 384000, channels: [new Float64Array(4)] }, 383999),
    /2\^25/,
  );
  // Same rate: a copy.
  const same = resample({ sampleRate: 48000, channels: [new Float64Array([1, 2])] }, 48000);
  assert.deepEqual([...same.channels[0]!], [1, 2]);
});

Deno.test("resampleAt(): a clock 200 ppm slow with a fractional start is exact to -110 dB against the band-limited truth; 20001/20000 equals scipy.signal.resample_poly to 2e-6", async () => {
  const fs = 48000;
  const f = (t: number) =>
    0.5 * Math.sin(2 * Math.PI * 997 * t + 0.3) + 0.4 * Math.sin(2 * Math.PI * 19013 * t);
  const x = Float64Array.from({ length: fs }, (_, i) => f(i / fs));
  for (const [start, step] of [[123.456, 1 + 200e-6], [-50.25, 1 - 200e-6], [0.5, 1]]) {
    const y = resampleAt(x, { start: start!, step: step!, length: 40000 });
    let worst = 0;
    for (let m = 0; m < y.length; m++) {
      const t = start! + m * step!;
      if (t < 2000 || t > fs - 2000) continue;
      worst = Math.max(worst, Math.abs(y[m]! - f(t / fs)));
    }
    // Measured ≈ −136 dB (as resampleByRatio: the same table).
    assert.ok(amplitudeToDb(worst) < -110, `${start}/${step}: ${amplitudeToDb(worst)} dB`);
  }
  // Samples before the input read zeros: a delayed impulse lands where it should.
  const d = new Float64Array(100);
  d[10] = 1;
  const z = resampleAt(d, { start: -20, step: 1, length: 100 });
  // (the kernel's peak is its cut-off, 0.95, and it is symmetric about sample 30)
  assert.ok(Math.abs(z[30]! - 0.95) < 1e-6 && Math.abs(z[29]! - z[31]!) < 1e-9, `${z[30]}`);
  // scipy's polyphase resampler with the same Kaiser design at the drift ratio 20001/20000.
  // The defaults: scipy normalizes the taps to sum to `up`, we tabulate the kernel; with a short
  // kernel (H = 16, β = 8) that differs by 4e-5, with ours by less than 2e-6.
  const design = { cutoff: 0.95, halfLength: 80, beta: 12 };
  const v = noise(4000, 9);
  const { cases } = await scipy([{ x: Array.from(v), up: 20001, down: 20000, design }]);
  const ref = cases[0].y as number[];
  const ours = resampleAt(v, { start: 0, step: 20000 / 20001, length: ref.length }, design);
  assertAllClose(ours.subarray(100, ref.length - 100), ref.slice(100, ref.length - 100), {
    rtol: 0,
    atol: 2e-6,
  });
});
