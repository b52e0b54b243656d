import assert from "node:assert/strict";
import { designBeamformer } from "../../design/beamformer.ts";
import { referenceProblems } from "./_beam_reference.ts";

// The scipy reference (fixtures/beam/make_reference.py) solves the same minimax problem with
// SLSQP on the true magnitude constraints, from three starts of its own, on three geometries:
// the 5-driver 20 cm line array, a 6-driver circular array (r = 6 cm) and the simulated studio5
// (4 beam drivers, 5° arc). Spec: nulls ≥ 20 dB at ±90°, ±2.5 dB over ±45°, WNG ≥ −6 dB.
const PROBLEMS = referenceProblems();
const SPEC = { mainLobeToleranceDb: 2.5, nullDepthDb: 20, minWhiteNoiseGainDb: -6 };

for (const problem of PROBLEMS) {
  // Stage 1 alone (stopbandShare 0): the minimax optimum the reference also computes.
  const minimax = designBeamformer(problem.arc, { ...SPEC, stopbandShare: 0 });
  const shipped = designBeamformer(problem.arc, SPEC);

  Deno.test(`${problem.name}: the beam meets the spec in every bin where the scipy reference does`, () => {
    let met = 0;
    for (const r of problem.reference) {
      if (!r.meetsSpec) continue;
      met++;
      for (const d of [minimax, shipped]) {
        const m = d.predicted.unblended, k = r.bin;
        const ok = m.nullDepthDb[k]! >= 20 && m.windowMinDb[k]! >= -2.5 &&
          m.windowMaxDb[k]! <= 2.5 && m.whiteNoiseGainDb[k]! >= -6 - 1e-6;
        assert.ok(
          ok,
          `${r.hz} Hz: reference nulls ${r.nullDepthDb.toFixed(1)} dB, ours ${
            m.nullDepthDb[k]!.toFixed(1)
          } dB, window ${m.windowMinDb[k]!.toFixed(2)}..${m.windowMaxDb[k]!.toFixed(2)} dB`,
        );
      }
    }
    // The test must have something to check: the reference meets the spec in 26/37/34 bins.
    assert.ok(met >= 20, `${met} reference bins meet the spec`);
  });

  Deno.test(`${problem.name}: near the spec edge the minimax null depth is within 1 dB of the reference's`, () => {
    // Near the spec edge — where the reference's optimum uses between half and twice its
    // tolerances (0.5 ≤ t ≤ 2, within 6 dB of the spec either way) — the design is at most 1 dB
    // shallower. Where it has more margin our phase-update
    // method, a local one, may stop at a shallower optimum (measured up to 33 dB on the circle at
    // 3.5 kHz, where both are beyond 60 dB): there we ask for at least 4 dB of margin (t < 0.63;
    // measured worst: studio5 at 3.97 kHz, t = 0.60 against the reference's 0.38).
    for (const r of problem.reference) {
      const k = r.bin, ours = minimax.predicted.unblended.nullDepthDb[k]!;
      if (r.t >= 0.5 && r.t <= 2) {
        assert.ok(ours >= r.nullDepthDb - 1, `${r.hz} Hz: ${ours} vs reference ${r.nullDepthDb}`);
      } else if (r.t < 0.5) {
        assert.ok(minimax.minimaxRatio[k]! < 0.63, `${r.hz} Hz: t = ${minimax.minimaxRatio[k]}`);
      }
    }
  });
}
