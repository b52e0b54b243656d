/**
 * Cross-checks against values computed by Debian's scipy, stored as JSON in
 * fixtures/scipy/ by fixtures/scipy/make_dsp_fixtures.py (tool, versions and
 * command in fixtures/README.md; each JSON's `meta` repeats them).
 */
import assert from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import { blackmanWindow, hannWindow, tukeyWindow } from "../../dsp/windows.ts";
import {
  biquadResponse,
  type BiquadType,
  designBiquad,
  frequencyResponse,
  lfilter,
} from "../../dsp/filters.ts";
import { minimumPhaseIr } from "../../dsp/minimum_phase.ts";
import { realFftPlan } from "../../dsp/fft.ts";

function load(name: string): any {
  return JSON.parse(
    Deno.readTextFileSync(new URL(`../../fixtures/scipy/${name}`, import.meta.url)),
  );
}

const windows = load("windows.json");
const filters = load("filters.json");
const minimumPhase = load("minimum_phase.json");

Deno.test("fixtures record the scipy and numpy versions that made them", () => {
  for (const f of [windows, filters, minimumPhase]) {
    assert.match(f.meta.scipy, /^\d+\.\d+/);
    assert.match(f.meta.numpy, /^\d+\.\d+/);
    assert.equal(f.meta.command, "/usr/bin/python3 fixtures/scipy/make_dsp_fixtures.py");
  }
});

Deno.test("hann, blackman and tukey windows match scipy.signal.windows (sym and periodic) to 5e-15", () => {
  assert.equal(windows.cases.length, 86);
  for (const c of windows.cases) {
    const options = { symmetric: c.symmetric as boolean };
    const w = c.window === "hann"
      ? hannWindow(c.length, options)
      : c.window === "blackman"
      ? blackmanWindow(c.length, options)
      : tukeyWindow(c.length, c.alpha, options);
    // scipy evaluates the cosines on other arguments (linspace(-π, π) for hann/blackman):
    // results differ by a few ulps of O(1) values (measured max 2.8e-15).
    assertAllClose(w, c.values, {
      rtol: 0,
      atol: 5e-15,
      message: `${c.window}(${c.length}, alpha ${c.alpha}, sym ${c.symmetric})`,
    });
  }
});

Deno.test("cookbook biquads equal scipy's bilinear transform of the pre-warped prototype", () => {
  for (const c of filters.biquads) {
    const bq = designBiquad({
      type: c.type as BiquadType,
      frequencyHz: c.frequencyHz,
      sampleRate: c.sampleRate,
      q: c.q,
      gainDb: c.gainDb,
    });
    const label = `${c.type} ${c.frequencyHz} Hz Q ${c.q} ${c.gainDb} dB`;
    // Coefficients are O(1) and agree to an ulp or two (measured max 2.4e-16).
    const coef = { rtol: 0, atol: 1e-15 };
    assertAllClose([bq.b0, bq.b1, bq.b2], c.b, { ...coef, message: `${label} b` });
    assertAllClose([1, bq.a1, bq.a2], c.a, { ...coef, message: `${label} a` });
    // Responses vs scipy.signal.freqz: at sharp low-frequency resonances (60 Hz, Q 10) those
    // ulps of coefficient difference are amplified by ~1/(1 − |pole|)² ≈ 1e4 (measured max
    // 2.8e-12), so 1e-11.
    const H = biquadResponse(bq, filters.frequenciesHz, c.sampleRate);
    const response = { rtol: 0, atol: 1e-11 };
    assertAllClose(H.re, c.responseRe, { ...response, message: `${label} response re` });
    assertAllClose(H.im, c.responseIm, { ...response, message: `${label} response im` });
  }
});

Deno.test("cookbook low/high-pass at Q = 1/√2 equal scipy.signal.butter(2) to 1e-15", () => {
  for (const c of filters.butter2) {
    const bq = designBiquad({
      type: c.type as BiquadType,
      frequencyHz: c.frequencyHz,
      sampleRate: c.sampleRate,
    });
    // butter() goes through zpk and polynomial expansion: a few ulps on O(1) values
    // (measured max 4.4e-16).
    assertAllClose([bq.b0, bq.b1, bq.b2], c.b, { rtol: 0, atol: 1e-15, message: `${c.type} b` });
    assertAllClose([1, bq.a1, bq.a2], c.a, { rtol: 0, atol: 1e-15, message: `${c.type} a` });
  }
});

Deno.test("lfilter() matches scipy.signal.lfilter and frequencyResponse() matches freqz", () => {
  const x = filters.lfilterInput as number[];
  for (const c of filters.lfilter) {
    // Same difference equation, different operation order: 1e-13 on O(1) outputs (measured max
    // 4.8e-15), except for
    // the order-8 band-pass in transfer-function form (poles up to |z| = 0.987, clustered
    // near z = 1), whose recursion amplifies round-off ~1e8×: scipy's own output differs by
    // 1.2e-8 from an 80-bit run of the same recursion and by 3.6e-8 from sosfilt, so 5e-8.
    const atol = c.name.startsWith("butter(4") ? 5e-8 : 1e-13;
    assertAllClose(lfilter(c.b, c.a, x), c.y, { rtol: 0, atol, message: c.name });
    // Both evaluate the polynomials in e^{−jω} by Horner's rule: ulps apart (measured
    // max 3.3e-16). Both are 4e-8 from an 80-bit evaluation for the order-8 band-pass, whose
    // denominator nearly cancels at the band edges.
    const H = frequencyResponse(c.b, c.a, filters.frequenciesHz, filters.sampleRate);
    const response = { rtol: 0, atol: 1e-14 };
    assertAllClose(H.re, c.responseRe, { ...response, message: `${c.name} response re` });
    assertAllClose(H.im, c.responseIm, { ...response, message: `${c.name} response im` });
  }
});

Deno.test("minimumPhaseIr() agrees with scipy.signal.minimum_phase(homomorphic) where the two match", () => {
  const { hLinear, h0, nFft, scipyHomomorphic } = minimumPhase;
  // scipy's target is sqrt(|FFT(hLinear)|); give ours the same magnitude on the same grid.
  const H = realFftPlan(nFft).forward(hLinear);
  const target = H.re.map((re, k) => Math.sqrt(Math.hypot(re, H.im[k]!)));
  const ours = minimumPhaseIr(target, { taps: scipyHomomorphic.length });
  // Ours vs the true minimum-phase factor: zeros at |z| <= 0.6 make the cepstral aliasing
  // ~0.6^2048, so only FFT round-off remains (measured max 1.7e-16).
  assertAllClose(ours, h0, { rtol: 0, atol: 1e-14 });
  // scipy keeps cepstral coefficients only up to len(h)/2 and adds 1e-7·min|H| before the
  // log; its result differs from the exact factor by up to 2.5e-8 (measured).
  assertAllClose(ours, scipyHomomorphic, { rtol: 0, atol: 1e-7 });
});
