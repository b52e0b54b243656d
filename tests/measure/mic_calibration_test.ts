import assert from "node:assert/strict";
import { errorDb, seededRandom } from "../_assert.ts";
import {
  correctMicResponse,
  dbfsToDbSpl,
  micResponseAt,
  micSensitivityFromCalibrator,
} from "../../measure/mic_calibration.ts";
import { biquadFilter, biquadResponse, designBiquad } from "../../dsp/filters.ts";
import { amplitudeToDb } from "../../dsp/db.ts";

const FS = 48000;
const MIC = [designBiquad({ type: "peaking", frequencyHz: 3000, sampleRate: FS, q: 2, gainDb: 6 })];

function fileFor(withPhase: boolean, points = 400) {
  const hz: number[] = [], db: number[] = [], deg: number[] = [];
  for (let i = 0; i <= points; i++) {
    const f = 5 * Math.pow(24000 / 5, i / points);
    const H = biquadResponse(MIC, [f], FS);
    hz.push(f);
    db.push(amplitudeToDb(Math.hypot(H.re[0]!, H.im[0]!)));
    deg.push((Math.atan2(H.im[0]!, H.re[0]!) * 180) / Math.PI);
  }
  return {
    frequenciesHz: Float64Array.from(hz),
    levelsDb: Float64Array.from(db),
    ...(withPhase ? { phasesDeg: Float64Array.from(deg) } : {}),
  };
}

Deno.test("correctMicResponse removes a known mic (peaking +6 dB at 3 kHz), from magnitude alone (minimum phase) or with phase", () => {
  const random = seededRandom(1);
  const truth = new Float64Array(2048);
  for (let i = 100; i < 600; i++) truth[i] = (random() - 0.5) * Math.exp(-(i - 100) / 60);
  const measured = biquadFilter(MIC, truth);
  for (const withPhase of [false, true]) {
    const corrected = correctMicResponse(measured, FS, fileFor(withPhase));
    // 400 log-spaced points over 12 octaves; measured −75.3 dB (magnitude only) and −76.0 dB (with phase).
    const err = errorDb(corrected, truth);
    assert.ok(err < -70, `withPhase ${withPhase}: ${err.toFixed(1)} dB`);
  }
  // Uncorrected, the mic's peak is a −9 dB error: the check can fail.
  assert.ok(errorDb(measured, truth) > -20);
});

Deno.test("micResponseAt interpolates dB linearly in log frequency and holds the end values", () => {
  const r = {
    frequenciesHz: Float64Array.of(100, 1000, 10000),
    levelsDb: Float64Array.of(0, 2, -4),
  };
  assert.equal(micResponseAt(r, 50).levelDb, 0);
  assert.equal(micResponseAt(r, 0).levelDb, 0);
  assert.equal(micResponseAt(r, 20000).levelDb, -4);
  assert.ok(Math.abs(micResponseAt(r, Math.sqrt(1000 * 10000)).levelDb - -1) < 1e-12);
  assert.equal(micResponseAt(r, 1000).phaseDeg, undefined);
});

Deno.test("micSensitivityFromCalibrator: levels in AES17 dBFS, dB SPL conversion, warnings for a non-tone and clipping", () => {
  const tone = Float64Array.from(
    { length: FS },
    (_, n) => 0.1 * Math.sin((2 * Math.PI * 250 * n) / FS),
  );
  const r = micSensitivityFromCalibrator(tone, FS, 94);
  assert.ok(Math.abs(r.sensitivityDbfs - -20) < 1e-6); // a sine of peak 0.1 is −20 dBFS
  assert.ok(Math.abs(r.frequencyHz - 250) < 0.1);
  assert.deepEqual(r.warnings, []);
  assert.equal(dbfsToDbSpl(-40, -20), 74);
  const random = seededRandom(2);
  const noise = Float64Array.from({ length: FS }, () => random() - 0.5);
  assert.match(
    micSensitivityFromCalibrator(noise, FS, 94).warnings.join(),
    /not a steady tone: crest factor/,
  );
  const clipped = tone.map((v) => Math.max(-1, Math.min(1, v * 20)));
  assert.match(micSensitivityFromCalibrator(clipped, FS, 94).warnings.join(), /clipping/);
  assert.throws(() => micSensitivityFromCalibrator(tone, FS, 40), {
    name: "RangeError",
    message: "Cannot measure mic sensitivity as splDb must be 60..150 dB SPL: current value is 40",
  });
});
