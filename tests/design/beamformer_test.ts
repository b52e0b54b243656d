import assert from "node:assert/strict";
import { designBeamformer, matrixMixing } from "../../design/beamformer.ts";
import { beamMetrics } from "../../design/metrics.ts";
import { arcTransferMatrix } from "../../design/transfer_matrix.ts";
import { arcPlant, binsBetween, FIVE_DRIVERS_Y } from "./_plants.ts";

const ARC = arcPlant(FIVE_DRIVERS_Y);
const DESIGN = designBeamformer(ARC);

Deno.test("beamformer on a 5-driver 20 cm array controls about 1.5–3.6 kHz, up to about the aliasing limit c/(2·5 cm)", () => {
  const band = DESIGN.controlledBand;
  assert.ok(band !== null, DESIGN.warnings.join());
  assert.deepEqual(DESIGN.warnings, []);
  // Low edge: a flat ±45° lobe with ±90° nulls needs a 4th-order pattern, WNG-limited (−6 dB) below ~1.6 kHz.
  assert.ok(band.lowHz >= 1000 && band.lowHz <= 1800, `low edge ${band.lowHz}`);
  // High edge: spatial aliasing from c/(2s) = 343/(2·0.05) = 3430 Hz; the first grating lobe
  // enters at endfire and reaches the ±90° nulls' neighbours a little above it (measured 3.64 kHz).
  assert.ok(band.highHz >= 2800 && band.highHz <= 3430 * 1.1, `high edge ${band.highHz}`);
});

Deno.test("beamformer nulls are ≥ 20 dB below on-axis at ±90° and the response stays within ±3 dB over ±45° in the controlled band", () => {
  const band = DESIGN.controlledBand!;
  const m = DESIGN.predicted.beam;
  for (const k of binsBetween(DESIGN.frequenciesHz, band.lowHz, band.highHz)) {
    assert.ok(m.nullDepthDb[k]! >= 20, `null ${m.nullDepthDb[k]} dB at bin ${k}`);
    assert.ok(m.windowMinDb[k]! >= -3 && m.windowMaxDb[k]! <= 3, `window at bin ${k}`);
  }
  assert.ok(DESIGN.predicted.minNullDepthDb >= 20);
  assert.ok(DESIGN.predicted.worstMainLobeDeviationDb <= 3);
  // Matrix mixing has no such nulls in this band (measured 12–21 dB).
  const mix = DESIGN.predicted.mixing;
  const k2k = Math.round((2000 * DESIGN.fftSize) / DESIGN.sampleRate);
  assert.ok(mix.nullDepthDb[k2k]! < 15, `mixing null ${mix.nullDepthDb[k2k]}`);
});

Deno.test("beamformer holds its drive-effort limit ‖w‖² ≤ E_max in every bin (WNG ≥ −6 dB at the target response)", () => {
  for (let k = 0; k < DESIGN.frequenciesHz.length; k++) {
    let e = 0;
    for (let d = 0; d < 5; d++) {
      e += DESIGN.weights.re[k * 5 + d]! ** 2 + DESIGN.weights.im[k * 5 + d]! ** 2;
    }
    // Bisection stops within 0.1 % above the smallest feasible loading: the limit holds exactly.
    assert.ok(
      e <= DESIGN.effortLimit[k]! * (1 + 1e-9),
      `bin ${k}: ${e} > ${DESIGN.effortLimit[k]}`,
    );
  }
  // The on-axis response is a hard constraint, so the effort limit is exactly the WNG floor; the
  // bisection stops within 1 % of the smallest feasible loading (above it).
  assert.ok(
    DESIGN.predicted.minWhiteNoiseGainDb >= -6 - 1e-6,
    `${DESIGN.predicted.minWhiteNoiseGainDb}`,
  );
  for (let k = 1; k < DESIGN.frequenciesHz.length; k++) {
    if (DESIGN.blend[k] === 1) assert.ok(DESIGN.predicted.beam.whiteNoiseGainDb[k]! >= -6 - 1e-6);
  }
});

Deno.test("beamformer falls back to matrix mixing outside the band and keeps exactly the on-axis response of mixing everywhere", () => {
  for (const hz of [200, 500, 8000]) {
    const k = Math.round((hz * DESIGN.fftSize) / DESIGN.sampleRate);
    assert.equal(DESIGN.blend[k], 0);
    for (let d = 0; d < 5; d++) {
      assert.equal(DESIGN.weights.re[k * 5 + d], 0.2);
      assert.equal(DESIGN.weights.im[k * 5 + d], 0);
    }
  }
  const beam = DESIGN.predicted.beam.onAxisDb, mix = DESIGN.predicted.mixing.onAxisDb;
  for (const k of binsBetween(DESIGN.frequenciesHz, 100, 16000)) {
    // a(0°)·w = d₀ is a hard constraint of the beam, and the cross-fade is linear in w.
    assert.ok(Math.abs(beam[k]! - mix[k]!) <= 1e-6, `bin ${k}: ${beam[k]} vs ${mix[k]}`);
  }
});

Deno.test("beamDrivers restricts the beam: excluded drivers get exactly zero weight in band", () => {
  const d = designBeamformer(ARC, { beamDrivers: [0, 1, 3, 4] });
  assert.ok(d.controlledBand !== null);
  for (const k of binsBetween(d.frequenciesHz, d.controlledBand.lowHz, d.controlledBand.highHz)) {
    if (d.blend[k] !== 1) continue;
    assert.equal(d.weights.re[k * 5 + 2], 0);
    assert.equal(d.weights.im[k * 5 + 2], 0);
  }
  assert.deepEqual(d.parameters.beamDrivers, [0, 1, 3, 4]);
});

Deno.test("collocated drivers cannot steer: the beamformer warns and returns matrix mixing", () => {
  const arc = arcPlant([0, 0, 0]);
  const d = designBeamformer(arc);
  assert.equal(d.controlledBand, null);
  assert.match(d.warnings[0]!, /^beamformer meets its spec .* in no band/);
  for (let i = 0; i < d.weights.re.length; i++) {
    assert.ok(Math.abs(d.weights.re[i]! - 1 / 3) < 1e-15 && d.weights.im[i] === 0);
  }
});

Deno.test("matrixMixing() drives the chosen drivers equally; beamMetrics() gives DI 0 dB for one omni driver", () => {
  const w = matrixMixing(ARC, [3, 1]);
  assert.deepEqual(Array.from(w.re.subarray(0, 5)), [0, 0.5, 0, 0.5, 0]);
  const centre = beamMetrics(ARC, matrixMixing(ARC, [2]));
  // An omni point source at the arc's centre radiates equally in all directions.
  for (let k = 0; k < centre.directivityIndexDb.length; k += 97) {
    assert.ok(Math.abs(centre.directivityIndexDb[k]!) < 1e-9);
    // WNG is relative to the mean of all 5 drivers' on-axis power; the outer ones are 2.5 mm farther.
    assert.ok(Math.abs(centre.whiteNoiseGainDb[k]!) < 0.05);
  }
});

Deno.test("designBeamformer() and matrixMixing() reject bad arcs and options with RangeError", () => {
  const noSide = arcTransferMatrix(ARC, Array.from(ARC.azimuthsDeg, (a) => a * 0.4));
  const cases: [() => unknown, string][] = [
    [
      () => designBeamformer(noSide),
      "Cannot design beamformer as the arc must sample azimuth -90° within 2.5°: nearest is 20° away",
    ],
    [
      () => designBeamformer(ARC, { mainLobeDeg: 95 }),
      "Cannot design beamformer as mainLobeDeg is out of range (see BeamformerOptions): current value is 95",
    ],
    [
      () => designBeamformer(ARC, { minWhiteNoiseGainDb: NaN }),
      "Cannot design beamformer as minWhiteNoiseGainDb is out of range (see BeamformerOptions): current value is NaN",
    ],
    [
      () => designBeamformer(arcPlant([0])),
      "Cannot design beamformer as the arc needs at least 2 drivers: current value is 1",
    ],
    [
      () => designBeamformer(ARC, { beamDrivers: [7] }),
      "Cannot design beamformer as beamDrivers must be distinct indices within 0..4: current value is [7]",
    ],
    [
      () => matrixMixing(ARC, [0, 0]),
      "Cannot design matrix mixing as drivers must be distinct indices within 0..4: current value is [0, 0]",
    ],
    [
      () => matrixMixing(ARC, [5]),
      "Cannot design matrix mixing as drivers must be distinct indices within 0..4: current value is [5]",
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { name: "RangeError", message });
  const bad = arcPlant(FIVE_DRIVERS_Y, { points: 8 });
  bad.matrix.im[7] = NaN;
  assert.throws(() => designBeamformer(bad), {
    name: "RangeError",
    message: `Cannot design beamformer as the arc must be finite: bin 0 has ${
      bad.matrix.re[7]
    } + NaNj`,
  });
});
