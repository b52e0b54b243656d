import assert from "node:assert/strict";
import {
  designVirtualizer,
  headShadowAlpha,
  woodworthItdSeconds,
} from "../../design/virtualizer.ts";

const GRID = { sampleRate: 48000, fftSize: 8192 };

Deno.test("designVirtualizer() ipsilateral is an all-pass (unity) and the contralateral shelf is 0 dB at DC", () => {
  const v = designVirtualizer(GRID);
  for (let k = 0; k < v.frequenciesHz.length; k++) {
    assert.equal(v.ipsilateral.re[k], 1);
    assert.equal(v.ipsilateral.im[k], 0);
  }
  assert.equal(v.contralateral.re[0], 1);
  assert.equal(v.contralateral.im[0], 0);
});

Deno.test("designVirtualizer() at 30°: ITD 261 µs (Woodworth), shelf −13.6 dB at high frequency, corner ≈ 929 Hz", () => {
  const v = designVirtualizer(GRID, { angleDeg: 30 });
  // (0.0875/343)·(π/6 + 0.5) = 261.1 µs.
  assert.ok(Math.abs(v.itdSeconds - 261.1e-6) < 0.1e-6, `${v.itdSeconds}`);
  // α(60°) = 1.3436, α(120°) = 0.2814: 20·log10(0.2814/1.3436) = −13.58 dB.
  assert.ok(Math.abs(v.shadowDepthDb + 13.58) < 0.01, `${v.shadowDepthDb}`);
  assert.ok(Math.abs(v.shadowCornerHz - 929) < 1, `${v.shadowCornerHz}`);
  // Magnitude near Nyquist approaches the shelf depth (within 0.5 dB at 24 kHz, corner at 4.4 kHz).
  const last = v.frequenciesHz.length - 1;
  const magDb = 20 * Math.log10(Math.hypot(v.contralateral.re[last]!, v.contralateral.im[last]!));
  assert.ok(Math.abs(magDb - v.shadowDepthDb) < 0.5, `${magDb}`);
  // Low-frequency group delay equals the ITD plus the shelf's own delay (αi − αc)/(2ω0) [Brown & Duda 1998].
  const k = 4; // 23 Hz
  const phase = Math.atan2(v.contralateral.im[k]!, v.contralateral.re[k]!);
  const w = 2 * Math.PI * v.frequenciesHz[k]!;
  const w0 = 343 / 0.0875;
  const expected = v.itdSeconds + (headShadowAlpha(60) - headShadowAlpha(120)) / (2 * w0);
  assert.ok(Math.abs(-phase / w - expected) < 1e-7, `${-phase / w} vs ${expected}`);
});

Deno.test("designVirtualizer() at 0° makes both ears equal (no ITD, no shadow) and the shadow deepens with angle up to 60°", () => {
  const v0 = designVirtualizer(GRID, { angleDeg: 0 });
  for (let k = 0; k < v0.frequenciesHz.length; k++) {
    assert.ok(
      Math.abs(v0.contralateral.re[k]! - 1) < 1e-15 && Math.abs(v0.contralateral.im[k]!) < 1e-15,
    );
  }
  // Brown & Duda's α(φ) is smallest at φ = 150° (the contralateral ear at θ = 60°); beyond that the
  // bright spot behind the head makes the shadow shallower again.
  const depths = [10, 30, 60].map((a) => designVirtualizer(GRID, { angleDeg: a }).shadowDepthDb);
  for (let i = 1; i < depths.length; i++) assert.ok(depths[i]! < depths[i - 1]!, depths.join());
  assert.ok(Math.abs(woodworthItdSeconds(90) - (0.0875 / 343) * (Math.PI / 2 + 1)) < 1e-15);
});

Deno.test("designVirtualizer() rejects out-of-range parameters with RangeError", () => {
  assert.throws(() => designVirtualizer(GRID, { angleDeg: 95 }), {
    name: "RangeError",
    message: "Cannot design virtualizer as angleDeg must be within 0..90: current value is 95",
  });
  assert.throws(() => designVirtualizer(GRID, { headRadiusMeters: 0 }), {
    name: "RangeError",
    message: "Cannot design virtualizer as headRadiusMeters must be > 0: current value is 0",
  });
  assert.throws(() => designVirtualizer(GRID, { speedOfSoundMps: -1 }), {
    name: "RangeError",
    message: "Cannot design virtualizer as speedOfSoundMps must be > 0: current value is -1",
  });
  assert.throws(() => designVirtualizer({ sampleRate: 0, fftSize: 8 }), {
    name: "RangeError",
    message:
      "Cannot design virtualizer as the grid needs fftSize >= 4 and sampleRate > 0: current values are 8 and 0",
  });
});
