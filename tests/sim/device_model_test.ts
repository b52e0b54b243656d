import assert from "node:assert/strict";
import {
  knownDeviceModels,
  loadDeviceModel,
  TOLERANCE_CLAMP_SIGMA,
  unitDeviations,
  validateDeviceModel,
} from "../../sim/device_model.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { realFftPlan } from "../../dsp/fft.ts";

const ON_AXIS_MID_LEFT = { azimuthDeg: 60, elevationDeg: 0, distanceMeters: 2 };

Deno.test("the shipped models load: studio5 has its five drivers, soundbar2 two 15 cm apart, stereo-pair ±30° from 2 m", () => {
  assert.deepEqual(knownDeviceModels(), ["soundbar2", "stereo-pair", "studio5"]);
  const studio5 = loadDeviceModel("studio5");
  const axes = Object.fromEntries(studio5.drivers.map((d) => [d.id, d.axis]));
  assert.deepEqual(axes["mid-left"], { azimuthDeg: 60, elevationDeg: 0 });
  assert.deepEqual(axes["mid-right"], { azimuthDeg: -60, elevationDeg: 0 });
  assert.equal(axes["mid-top"]!.elevationDeg, 90);
  assert.equal(axes["woofer"]!.elevationDeg, -90);
  assert.equal(axes["tweeter"]!.azimuthDeg, 0);
  const width = Math.max(...studio5.drivers.map((d) => d.positionMeters.y)) -
    Math.min(...studio5.drivers.map((d) => d.positionMeters.y));
  assert.ok(width > 0.15 && width < 0.22); // "about 20 cm wide" (driver centres inside it)
  const bar = loadDeviceModel("soundbar2");
  assert.ok(
    Math.abs(bar.drivers[0]!.positionMeters.y - bar.drivers[1]!.positionMeters.y - 0.15) < 1e-12,
  );
  const pair = loadDeviceModel("stereo-pair");
  for (const d of pair.drivers) {
    const seen = (Math.atan2(d.positionMeters.y, 2 - d.positionMeters.x) * 180) / Math.PI;
    assert.ok(Math.abs(Math.abs(seen) - 30) < 0.01, `${d.id} seen at ${seen}°`);
  }
});

Deno.test("validateDeviceModel() names the file, the field and the value", () => {
  const model = JSON.parse(
    Deno.readTextFileSync(new URL("../../fixtures/devices/studio5.json", import.meta.url)),
  );
  model.drivers[2].response.resonanceHz = -3;
  assert.throws(() => validateDeviceModel(model, "fixtures/devices/studio5.json"), {
    name: "RangeError",
    message:
      "Cannot load device model as drivers[2].response.resonanceHz must be a number > 0: current value is -3 (fixtures/devices/studio5.json)",
  });
  model.drivers[2].response.resonanceHz = 160;
  model.drivers[1].id = "mid-left";
  assert.throws(() => validateDeviceModel(model, "x.json"), {
    name: "RangeError",
    message:
      'Cannot load device model as drivers[1].id must be unique among the drivers: current value is "mid-left" (x.json)',
  });
  model.drivers[1].id = "mid-right";
  model.drivers[3].positionMeters = { x: 0.2, y: 0, z: 0 };
  assert.throws(() => validateDeviceModel(model, "x.json"), {
    name: "RangeError",
    message:
      "Cannot load device model as drivers[3].positionMeters must be inside an enclosure's bounding sphere: current value is [0.2,0,0] (x.json)",
  });
  assert.throws(() => validateDeviceModel({ format: "other" }, "y.json"), {
    name: "RangeError",
    message:
      'Cannot load device model as format must be "spatialcal.device-model": current value is "other" (y.json)',
  });
});

Deno.test("unitDeviations(): the same serial gives the same draws, 'nominal' gives zeros, all within ±3σ", () => {
  const model = loadDeviceModel("studio5");
  assert.deepEqual(unitDeviations(model, "SIM-000123"), unitDeviations(model, "SIM-000123"));
  assert.notDeepEqual(unitDeviations(model, "SIM-000123"), unitDeviations(model, "SIM-000124"));
  for (const d of unitDeviations(model, "nominal")) {
    assert.deepEqual(d, {
      sensitivityDb: 0,
      resonanceRelative: 0,
      qRelative: 0,
      positionMeters: { x: 0, y: 0, z: 0 },
    });
  }
  const t = model.tolerances;
  const k = TOLERANCE_CLAMP_SIGMA * (1 + 1e-12); // σ·3 and 3σ/100 round differently
  const sens: number[] = [];
  for (let s = 0; s < 400; s++) {
    for (const d of unitDeviations(model, `SIM-${s}`)) {
      sens.push(d.sensitivityDb);
      assert.ok(Math.abs(d.sensitivityDb) <= k * t.sensitivityDb);
      assert.ok(Math.abs(d.resonanceRelative) <= (k * t.resonancePercent) / 100);
      assert.ok(Math.abs(d.qRelative) <= (k * t.qPercent) / 100);
      for (const v of Object.values(d.positionMeters)) {
        assert.ok(Math.abs(v) <= (k * t.positionMm) / 1000);
      }
    }
  }
  // 2000 draws: the sample σ is within ±10 % of the stated σ (its standard error is ~1.6 %).
  const sd = Math.sqrt(sens.reduce((a, v) => a + v * v, 0) / sens.length);
  assert.ok(Math.abs(sd / t.sensitivityDb - 1) < 0.1, `σ ${sd}`);
});

Deno.test("two serials' true IRs differ by their drawn sensitivity (±0.05 dB) and within the tolerance band; the same serial's are identical", () => {
  const level = (ir: Float64Array) => {
    // mean pass-band level 1–3 kHz, far from resonance (160 Hz) and break-up (7.5 kHz)
    const X = realFftPlan(ir.length).forward(ir);
    let sum = 0, count = 0;
    for (let k = Math.round((1000 * ir.length) / 48000); k < (3000 * ir.length) / 48000; k++) {
      sum += 10 * Math.log10(X.re[k]! ** 2 + X.im[k]! ** 2);
      count++;
    }
    return sum / count;
  };
  const make = (serial: string) => createSimDevice({ model: "studio5", serial, mics: "reference" });
  const a = make("SIM-000123"), b = make("SIM-000777"), a2 = make("SIM-000123");
  const irA = a.trueImpulseResponses(ON_AXIS_MID_LEFT).ir["mid-left"]!.ref!;
  const irB = b.trueImpulseResponses(ON_AXIS_MID_LEFT).ir["mid-left"]!.ref!;
  assert.deepEqual(irA, a2.trueImpulseResponses(ON_AXIS_MID_LEFT).ir["mid-left"]!.ref!);
  const measured = level(irA) - level(irB);
  const drawn = a.deviations[0]!.sensitivityDb - b.deviations[0]!.sensitivityDb;
  // resonance/Q changes move the 1–3 kHz level by < 0.02 dB, position (±1.5 mm) by < 0.01 dB
  assert.ok(Math.abs(measured - drawn) < 0.05, `measured ${measured} dB, drawn ${drawn} dB`);
  assert.ok(Math.abs(measured) <= 2 * TOLERANCE_CLAMP_SIGMA * 0.5);
  assert.ok(Math.abs(measured) > 1e-3, "serials must differ");
});

Deno.test("serial 'nominal' is the idealized model: its IRs equal those of a zero-tolerance model", () => {
  const zero = { ...loadDeviceModel("studio5") };
  const zeroTolerance = {
    ...zero,
    tolerances: { sensitivityDb: 0, resonancePercent: 0, qPercent: 0, positionMm: 0 },
  };
  const nominal = createSimDevice({ model: "studio5", serial: "nominal", mics: "reference" });
  const ideal = createSimDevice({ model: zeroTolerance, serial: "SIM-1", mics: "reference" });
  assert.deepEqual(
    nominal.trueImpulseResponses().ir.tweeter!.ref!,
    ideal.trueImpulseResponses().ir.tweeter!.ref!,
  );
});
