import assert from "node:assert/strict";
import { join } from "node:path";
import { runMeasurementSession, SessionInterruptedError } from "../../measure/session.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { InputError } from "../../io/errors.ts";
import { createFakeDevice, fakeIr } from "./_fake_device.ts";
import type { MeasurementPlan } from "../../measure/session.ts";

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
        /device.serial differs: the set has "FAKE-1", this run has "OTHER"/.test(
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

async function gone(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => false, () => true);
}

const one = { ...plan, positions: [plan.positions[0]!] };

Deno.test("runMeasurementSession() refuses a driver named twice and an IR longer than 10 s before measuring", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "x");
    const device = createFakeDevice();
    await assert.rejects(
      runMeasurementSession(device, { ...one, drivers: ["left", "left"] }, {
        out,
        labels: { drivers: "--drivers" },
      }),
      {
        name: "InputError",
        message:
          'Cannot measure as --drivers must name each driver once: "left" appears twice in left,left',
      },
    );
    await assert.rejects(
      runMeasurementSession(device, { ...one, irLengthSeconds: 1000 }, { out }),
      {
        name: "RangeError",
        message:
          "Cannot measure as irLengthSeconds must be in [0.0013333333333333333, 10] s: current value is 1000",
      },
    );
    assert.equal(device.calls, 0);
    assert.ok(await gone(`${out}.partial`) && await gone(out), "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runMeasurementSession() keeps azimuths in (-180, 180] and refuses a position given twice (0° and 360°)", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "x");
    const p = { elevationDeg: 0, distanceMeters: 1 };
    await assert.rejects(
      runMeasurementSession(createFakeDevice(), {
        ...plan,
        positions: [{ ...p, azimuthDeg: 0 }, { ...p, azimuthDeg: 360 }],
      }, { out }),
      {
        name: "InputError",
        message:
          "Cannot measure as positions must be distinct: position 2 (az 0°, el 0°, 1 m) repeats position 1",
      },
    );
    assert.ok(await gone(`${out}.partial`));
    await runMeasurementSession(createFakeDevice(), {
      ...plan,
      drivers: ["left"],
      positions: [{ ...p, azimuthDeg: -180 }, { ...p, azimuthDeg: 390 }],
    }, { out });
    const set = await readMeasurementSet(out);
    assert.deepEqual([...new Set(set.manifest.captures.map((c) => c.position.azimuthDeg))], [
      180,
      30,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("append checks the set before measuring: not a set, other sweep, captures it has; nothing measured, no .partial", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    await runMeasurementSession(createFakeDevice(), one, { out });
    const before = await Deno.readTextFile(join(out, "manifest.json"));
    const device = createFakeDevice();
    const refuse = async (p: MeasurementPlan, o: { out: string }, message: string | RegExp) => {
      await assert.rejects(
        runMeasurementSession(device, p, { ...o, append: true }),
        (e) =>
          e instanceof InputError &&
          (typeof message === "string" ? e.message === message : message.test(e.message)),
      );
      assert.equal(device.calls, 0, "nothing measured");
      assert.ok(await gone(`${o.out}.partial`), "no .partial left");
    };
    await refuse(
      { ...one, sweep: { ...plan.sweep, durationSeconds: 1 } },
      { out },
      /^Cannot append to measurement set ".*set" as sweep.durationSeconds differs: the set has 0.345\d+ s, this run has 1.036\d+ s$/,
    );
    await refuse(
      { ...one, sweep: { ...plan.sweep, levelDbfs: -20 } },
      { out },
      /as sweep.levelDbfs differs: the set has -12 dBFS, this run has -20 dBFS$/,
    );
    await refuse(
      {
        ...plan,
        positions: [plan.positions[1]!, { azimuthDeg: 360, elevationDeg: 0, distanceMeters: 1 }],
      },
      { out },
      `Cannot append to measurement set "${out}" as it already has 6 of the captures this run would measure (driver × mic × position must be new), e.g. left × ear-left at az 0°, el 0°, 1 m (ir/left.ear-left.az+000.el+00.r1.00.wav): choose other positions, drivers or mics`,
    );
    const file = join(dir, "sweep.wav");
    await Deno.writeTextFile(file, "RIFF");
    await refuse(
      one,
      { out: file },
      `Cannot append to "${file}" as it is not a measurement set folder: Cannot read measurement set "${file}" as it is not a folder`,
    );
    assert.equal(await Deno.readTextFile(join(out, "manifest.json")), before, "set unchanged");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resume refuses a session planned differently, naming what differs, before measuring", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    await assert.rejects(
      runMeasurementSession(createFakeDevice({ failOnCall: 2 }), plan, { out }),
      SessionInterruptedError,
    );
    const device = createFakeDevice();
    const labels = { mics: "--mic", positions: "positions" } as const;
    await assert.rejects(
      runMeasurementSession(device, { ...plan, mics: ["ear-left"] }, {
        out,
        resume: true,
        labels,
      }),
      {
        name: "InputError",
        message:
          `Cannot resume "${out}.partial" as --mic differs: the interrupted session measured ear-left, ear-right, this run asks ear-left. Run it with the options it was started with, or without --resume and with --force to start over`,
      },
    );
    await assert.rejects(
      runMeasurementSession(device, one, { out, resume: true, labels }),
      /as positions differs: the interrupted session measured az 0°, el 0°, 1 m; az 30°, el 0°, 1 m, this run asks az 0°, el 0°, 1 m\./,
    );
    await assert.rejects(
      runMeasurementSession(device, { ...plan, drivers: ["left"] }, { out, resume: true }),
      /as drivers differs: the interrupted session measured left, right, woofer, this run asks left\./,
    );
    assert.equal(device.calls, 0);
    const result = await runMeasurementSession(device, plan, { out, resume: true });
    assert.equal(result.resumed, 2);
    assert.equal((await readMeasurementSet(out)).manifest.captures.length, 12);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resume checks the finished IRs first: an unreadable one is dropped with a warning and only its step is measured again", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    await assert.rejects(
      runMeasurementSession(createFakeDevice({ failOnCall: 4 }), plan, { out }),
      SessionInterruptedError,
    );
    // Truncate one finished IR (the woofer's at az 0°, ear-right), as a crash mid-write could.
    const broken = join(`${out}.partial`, "ir/woofer.ear-right.az+000.el+00.r1.00.wav");
    await Deno.writeFile(broken, (await Deno.readFile(broken)).slice(0, 30));
    const device = createFakeDevice();
    const result = await runMeasurementSession(device, plan, { out, resume: true });
    assert.equal(device.calls, 4); // the woofer at 0° again, then the 3 drivers at 30°
    assert.equal(result.resumed, 4); // 6 finished − the woofer's 2 captures at 0°
    assert.equal(result.measured, 8);
    assert.match(
      result.warnings.join("\n"),
      /"[^"]*woofer\.ear-right\.az\+000[^"]*" cannot be used \(.*\): its driver's captures at that position are measured again/,
    );
    const set = await readMeasurementSet(out);
    assert.equal(set.manifest.captures.length, 12);
    for (const c of set.manifest.captures) await set.readIr(c);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stale .partial (all its captures already in the set) is removed with a note: resume reports the set complete, append carries on", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "set");
    await assert.rejects(
      runMeasurementSession(createFakeDevice({ failOnCall: 4 }), plan, { out }),
      SessionInterruptedError,
    );
    // Keep a copy of the journal, finish the set, then put the copy back: the state a kill -9
    // between writing the set and removing <out>.partial leaves.
    const copy = join(dir, "copy");
    await Deno.mkdir(copy);
    await Deno.copyFile(join(`${out}.partial`, "journal.json"), join(copy, "journal.json"));
    await runMeasurementSession(createFakeDevice(), plan, { out, resume: true });
    const restore = async () => {
      await Deno.mkdir(`${out}.partial`);
      await Deno.copyFile(join(copy, "journal.json"), join(`${out}.partial`, "journal.json"));
    };
    await restore();
    const notes: string[] = [];
    const device = createFakeDevice();
    const result = await runMeasurementSession(device, plan, {
      out,
      resume: true,
      onNotice: (m) => notes.push(m),
    });
    assert.equal(result.alreadyComplete, true);
    assert.equal(result.measured, 0);
    assert.equal(result.resumed, 6);
    assert.equal(result.manifest.captures.length, 12);
    assert.equal(device.calls, 0);
    assert.deepEqual(notes, [
      `removed "${out}.partial": its 6 captures are all in "${out}" already (a run was stopped after writing the set)`,
    ]);
    assert.ok(await gone(`${out}.partial`));
    await restore();
    const appended = await runMeasurementSession(createFakeDevice(), {
      ...plan,
      positions: [{ azimuthDeg: 60, elevationDeg: 0, distanceMeters: 1 }],
    }, { out, append: true, onNotice: (m) => notes.push(m) });
    assert.equal(notes.length, 2);
    assert.equal(appended.manifest.captures.length, 18);
    assert.ok(await gone(`${out}.partial`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("force replaces only a set and an interrupted session this tool wrote, refused before the device plays anything", async () => {
  const dir = await tempDir();
  try {
    const notes = join(dir, "notes");
    await Deno.mkdir(notes);
    await Deno.writeTextFile(join(notes, "notes.txt"), "mine");
    const device = createFakeDevice();
    await assert.rejects(runMeasurementSession(device, plan, { out: notes, force: true }), {
      name: "InputError",
      message:
        `Cannot replace "${notes}" with --force as it is not a measurement set (a folder with manifest.json of format "spatialcal.measurement-set" and only the files it lists): it holds no "manifest.json"; --force replaces only what spatialcal wrote: remove it yourself or choose another path`,
    });
    // A "<out>.partial" without this module's journal is not an interrupted session.
    const out = join(dir, "set");
    await Deno.mkdir(`${out}.partial`);
    await Deno.writeTextFile(join(`${out}.partial`, "todo.txt"), "mine");
    await assert.rejects(runMeasurementSession(device, plan, { out, force: true }), {
      name: "InputError",
      message:
        /^Cannot replace ".*set\.partial" with --force as it is not an interrupted measurement session .*: it holds no "journal\.json"/,
    });
    assert.equal(device.calls, 0);
    assert.equal(await Deno.readTextFile(join(notes, "notes.txt")), "mine");
    assert.equal(await Deno.readTextFile(join(`${out}.partial`, "todo.txt")), "mine");
    // Its own set is replaced.
    await Deno.remove(`${out}.partial`, { recursive: true });
    await runMeasurementSession(createFakeDevice(), plan, { out });
    const again = await runMeasurementSession(createFakeDevice(), plan, { out, force: true });
    assert.equal(again.measured, 12);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
