import assert from "node:assert/strict";
import { join } from "node:path";
import { runMeasurementSession, SessionInterruptedError } from "../../measure/session.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { InputError } from "../../io/errors.ts";
import { createFakeDevice, fakeIr } from "./_fake_device.ts";

const plan = {
  sweep: { startHz: 20, endHz: 20000, durationSeconds: 0.3, sampleRate: 48000 },
  positions: [{ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1 }, {
    azimuthDeg: 30,
    elevationDeg: 0,
    distanceMeters: 1,
  }],
  irLengthSeconds: 0.02,
};

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "spatialcal-session-" });
}

function peak(h: Float64Array): [number, number] {
  let at = 0;
  h.forEach((v, i) => {
    if (Math.abs(v) > Math.abs(h[at]!)) at = i;
  });
  return [at, h[at]!];
}

Deno.test("runMeasurementSession() writes a set whose IRs are the device's paths with latency removed", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    const result = await runMeasurementSession(createFakeDevice(), plan, { out });
    assert.equal(result.measured, 2 * 3 * 2);
    const set = await readMeasurementSet(out);
    assert.equal(set.manifest.captures.length, 12);
    assert.equal(set.manifest.device.serial, "FAKE-1");
    for (const c of set.manifest.captures) {
      assert.equal(c.latencySamples, 77);
      const ir = (await set.readIr(c)).channels[0]!;
      const d = ["left", "right", "woofer"].indexOf(c.driver);
      const m = ["ear-left", "ear-right"].indexOf(c.mic);
      const [at, value] = peak(ir);
      const [expectedAt, expectedValue] = peak(fakeIr(d, m, c.position.azimuthDeg));
      assert.equal(at, expectedAt, `${c.ir}`);
      // A band-limited delta (20 Hz–20 kHz of 24 kHz) peaks at ≈ 0.83 × its gain.
      assert.ok(
        Math.abs(value / expectedValue - (20000 - 20) / 24000) < 0.02,
        `${c.ir}: ${value} vs ${expectedValue}`,
      );
    }
    await assert.rejects(runMeasurementSession(createFakeDevice(), plan, { out }), {
      name: "InputError",
      message:
        `Cannot measure into "${out}" as it already exists: pass --force to replace it or --append to add to it`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an interrupted session keeps its finished captures and --resume completes the set", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    const error = await runMeasurementSession(createFakeDevice({ failOnCall: 4 }), plan, { out })
      .then(
        () => undefined,
        (e) => e,
      );
    assert.ok(error instanceof SessionInterruptedError);
    assert.equal(error.finished, 6); // 3 driver sweeps × 2 mics finished before the 4th call failed
    assert.match(error.message, /interrupted after 6 of 12 captures: audio server went away/);
    await assert.rejects(
      runMeasurementSession(createFakeDevice(), plan, { out }),
      /pass --resume to finish it/,
    );
    const device = createFakeDevice();
    const result = await runMeasurementSession(device, plan, { out, resume: true });
    assert.equal(device.calls, 3); // only the missing position was measured
    assert.equal(result.resumed, 6);
    assert.equal(result.measured, 6);
    const set = await readMeasurementSet(out);
    assert.equal(set.manifest.captures.length, 12);
    await assert.rejects(Deno.stat(`${out}.partial`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a capture with a dropout is retried and the retry is recorded as a warning", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    const device = createFakeDevice({ dropoutOnCall: 2 });
    const result = await runMeasurementSession(
      device,
      { ...plan, positions: [plan.positions[0]!] },
      { out },
    );
    assert.equal(device.calls, 4);
    assert.match(result.warnings.join("\n"), /right @ az 0°: dropout, capture retried/);
    const set = await readMeasurementSet(out);
    assert.ok(set.manifest.captures.every((c) => (c.warnings ?? []).length === 0));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("append adds captures of the same unit and refuses another unit", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    await runMeasurementSession(createFakeDevice(), { ...plan, positions: [plan.positions[0]!] }, {
      out,
    });
    await runMeasurementSession(createFakeDevice(), { ...plan, positions: [plan.positions[1]!] }, {
      out,
      append: true,
    });
    assert.equal((await readMeasurementSet(out)).manifest.captures.length, 12);
    await assert.rejects(
      runMeasurementSession(createFakeDevice({ serial: "OTHER" }), {
        ...plan,
        positions: [{ azimuthDeg: 60, elevationDeg: 0, distanceMeters: 1 }],
      }, {
        out,
        append: true,
      }),
      (e) =>
        e instanceof InputError &&
        /device.serial differs: the set has "FAKE-1", the new captures have "OTHER"/.test(
          e.message,
        ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runMeasurementSession() rejects drivers and mics the device does not have", async () => {
  const dir = await tempDir();
  try {
    await assert.rejects(
      runMeasurementSession(createFakeDevice(), { ...plan, drivers: ["tweeter"] }, {
        out: join(dir, "x"),
      }),
      {
        name: "InputError",
        message:
          'Cannot measure as driver "tweeter" is not an output of fake (outputs: left, right, woofer)',
      },
    );
    await assert.rejects(
      runMeasurementSession(createFakeDevice(), { ...plan, mics: ["loop"] }, {
        out: join(dir, "x"),
      }),
      {
        name: "InputError",
        message:
          'Cannot measure as mic "loop" is not a mic input of fake (inputs: ear-left, ear-right, loop)',
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keepHarmonics and keepRecordings write the optional harmonics and recording files of each capture", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    await runMeasurementSession(
      createFakeDevice(),
      {
        ...plan,
        positions: [plan.positions[0]!],
        keepHarmonics: true,
        keepRecordings: true,
        harmonicCount: 4,
      },
      { out },
    );
    const set = await readMeasurementSet(out);
    for (const c of set.manifest.captures) {
      assert.ok(c.harmonics?.startsWith("harmonics/") && c.recording?.startsWith("recordings/"));
      const harmonics = await set.readAudio(c.harmonics!);
      assert.equal(harmonics.channels.length, 3); // orders 2, 3, 4
      const recording = await set.readAudio(c.recording!);
      // The raw recording holds the sweep, delayed by the device's 77-sample latency.
      assert.equal(recording.channels.length, 1);
      assert.equal(recording.channels[0]!.slice(0, 77).every((v) => v === 0), true);
      assert.ok(recording.channels[0]!.some((v) => v !== 0));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
