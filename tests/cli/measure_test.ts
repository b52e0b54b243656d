import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { runMeasurementSession, SessionInterruptedError } from "../../measure/session.ts";
import { createSimDevice, type MicKind } from "../../sim/sim_device.ts";
import type { AudioDevice, MicPosition, PlayRecordRequest } from "../../measure/audio_device.ts";

const quick = ["--duration-seconds", "0.3", "--ir-length-seconds", "0.05"];

Deno.test("measure CLI: binaural then an appended reference arc end up in one set of the unit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    const out = join(dir, "u1");
    let r = await runCli("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "SIM-7",
      "--mic",
      "binaural",
      "--out",
      out,
      ...quick,
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "SIM-7",
      "--mic",
      "reference",
      "--arc",
      "-90:90:45",
      "--out",
      out,
      "--append",
      "--json",
      ...quick,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.captures, 2 * 2 + 2 * 5);
    const set = await readMeasurementSet(out);
    assert.deepEqual(set.manifest.mics.map((m) => m.role).sort(), [
      "ear-left",
      "ear-right",
      "reference",
    ]);
    assert.deepEqual(
      [
        ...new Set(
          set.manifest.captures.filter((c) => c.mic === "ref").map((c) => c.position.azimuthDeg),
        ),
      ],
      [-90, -45, 0, 45, 90],
    );
    // A head offset is just another position: 10 cm to the device's left at 2 m on axis.
    r = await runCli("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "SIM-7",
      "--head-offset-cm",
      "0,10",
      "--out",
      join(dir, "off"),
      "--json",
      ...quick,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const off = await readMeasurementSet(join(dir, "off"));
    const p = off.manifest.captures[0]!.position;
    assert.ok(Math.abs(p.azimuthDeg - Math.atan2(0.1, 2) * 180 / Math.PI) < 1e-3);
    assert.ok(Math.abs(p.distanceMeters - Math.hypot(2, 0.1)) < 1e-3);
    assert.ok(Math.abs((p.headYawDeg ?? 0) + p.azimuthDeg) < 1e-3); // still looking the same way
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("measure CLI exits 2 with a clear message on bad input and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    const expect = async (args: string[], pattern: RegExp) => {
      const r = await runCli("measure.ts", [...args, ...quick]);
      assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, pattern);
    };
    const out = join(dir, "x");
    await expect(
      ["--device", "sim:nosuch", "--serial", "S", "--out", out],
      /model must be one of soundbar2, stereo-pair, studio5: current value is "nosuch"/,
    );
    await expect(
      ["--device", "sim:studio5", "--serial", "S", "--mic", "lavalier", "--out", out],
      /--mic as it must be one of binaural, reference, both: current value is "lavalier"/,
    );
    await expect(
      ["--device", "sim:studio5", "--serial", "S", "--distance", "0.02", "--out", out],
      /inside|enclosure/i,
    );
    await expect([
      "--device",
      "sim:studio5",
      "--serial",
      "S",
      "--out",
      "/proc/spatialcal-cannot-write-here",
    ], /spatialcal-cannot-write-here/);
    await expect(
      ["--device", "tape:deck", "--serial", "S", "--out", out],
      /--device as it must be sim:<model> or webaudio/,
    );
    await expect(["--device", "sim:studio5", "--out", out], /Missing required flag --serial/);
    await expect(
      ["--device", "sim:studio5", "--serial", "S", "--out", out, "--arc", "10:0:5"],
      /--arc/,
    );
    await expect(
      ["--device", "sim:studio5", "--serial", "S", "--out", out, "--room", "big"],
      /--room/,
    );
    const entries = [...Deno.readDirSync(dir)];
    assert.deepEqual(entries.map((e) => e.name), [], "nothing written");
    await Deno.mkdir(out);
    await expect(
      ["--device", "sim:studio5", "--serial", "S", "--out", out],
      /already exists: pass --force/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("measure CLI --resume without <out>.partial says so on stderr and measures a new set", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    const out = join(dir, "u1");
    const args = ["--device", "sim:soundbar2", "--serial", "SIM-7", "--out", out, "--json"];
    const message = `measure: nothing to resume in ${out}.partial: starting a new measurement`;
    const r = await runCli("measure.ts", [...args, "--resume", ...quick]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.split("\n").includes(message), r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.captures, 2 * 2); // 2 drivers × 2 ears: everything measured now
    assert.equal(summary.measured, 4);
    assert.equal(summary.resumed, 0);
    // The set now exists: without --force the session refuses it, and that error is all it says.
    const refused = await runCli("measure.ts", [...args, "--resume", ...quick]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /already exists: pass --force/);
    assert.doesNotMatch(refused.stderr, /nothing to resume/);
    // With a <out>.partial there is something to resume: no such line (this one is not a journal).
    await Deno.mkdir(`${out}.partial`);
    const broken = await runCli("measure.ts", [...args, "--resume", "--force", ...quick]);
    assert.doesNotMatch(broken.stderr, /nothing to resume/);
    assert.match(broken.stderr, /Cannot resume/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const fast = ["--duration-seconds", "0.2", "--ir-length-seconds", "0.05"];

async function gone(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => false, () => true);
}

Deno.test("measure CLI --append refuses another unit, sample rate, sweep or a capture the set has before measuring, leaving no .partial", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    const out = join(dir, "u1");
    const unit = ["--device", "sim:studio5", "--serial", "SN1"];
    let r = await runCli("measure.ts", [...unit, "--drivers", "tweeter", "--out", out, ...fast]);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli("measure.ts", [
      ...unit,
      ...["--drivers", "tweeter", "--mic", "reference", "--arc", "-180:180:90"],
      ...["--out", out, "--append", ...fast],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const before = await Deno.readTextFile(join(out, "manifest.json"));
    const refuse = async (args: string[], pattern: RegExp, target = out) => {
      const r = await runCli("measure.ts", [...args, "--out", target, "--append", ...fast]);
      assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /measure sim:/, "nothing measured");
      assert.ok(await gone(`${target}.partial`), `${args.join(" ")}: no .partial`);
    };
    const ref = ["--mic", "reference", "--azimuth", "45"];
    await refuse(
      ["--device", "sim:studio5", "--serial", "OTHER", ...ref],
      /as --serial differs: the set has "SN1", this run has "OTHER"/,
    );
    await refuse(
      ["--device", "sim:soundbar2", "--serial", "SN1", ...ref],
      /as --device \(model\) differs: the set has "studio5", this run has "soundbar2"/,
    );
    await refuse(
      [...unit, ...ref, "--sample-rate", "44100"],
      /as --sample-rate differs: the set has 48000 Hz, this run has 44100 Hz/,
    );
    await refuse(
      [...unit, ...ref, "--level-dbfs", "-20"],
      /as --level-dbfs differs: the set has -12 dBFS, this run has -20 dBFS/,
    );
    await refuse(
      [...unit, ...ref, "--end-hz", "18000"],
      /as --end-hz differs: the set has 20000 Hz, this run has 18000 Hz/,
    );
    for (const azimuth of ["0", "360", "-180"]) {
      await refuse(
        [...unit, "--drivers", "tweeter", "--mic", "reference", "--azimuth", azimuth],
        /already has 1 of the captures this run would measure \(driver × mic × position must be new\), e.g. tweeter × ref at az (0|180)°, el 0°, 2 m/,
      );
    }
    const file = join(dir, "sweep.wav");
    await Deno.writeTextFile(file, "RIFF");
    await refuse(
      [...unit],
      /Cannot append to ".*sweep\.wav" as it is not a measurement set folder/,
      file,
    );
    assert.equal(await Deno.readTextFile(join(out, "manifest.json")), before, "set unchanged");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("measure CLI refuses flags it would ignore or cannot honour, before measuring (exit 2, nothing written)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    const out = join(dir, "x");
    const unit = ["--device", "sim:studio5", "--serial", "S", "--out", out];
    const expect = async (args: string[], message: string) => {
      const r = await runCli("measure.ts", [...unit, ...fast, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.equal(r.stderr.trim(), `error: ${message}`);
    };
    await expect(
      ["--drivers", "tweeter,tweeter"],
      'Cannot use --drivers as it must name each driver once: current value is "tweeter,tweeter" ("tweeter" twice)',
    );
    await expect(
      ["--head-offset-cm", "-200,0"],
      'Cannot use --head-offset-cm as the head must stay at least 8.75 cm (a head radius) from the device and on the same side of it: current value is "-200,0" (at azimuth 0°, 2 m: the moved head would be 0.0 cm from the device)',
    );
    await expect(
      ["--ir-length-seconds", "1000"],
      "Cannot use --ir-length-seconds as it must be > 0 and <= 10 s: current value is 1000",
    );
    await expect(
      ["--turntable-cmd", "echo {azimuth}"],
      'Cannot use --turntable-cmd with --device sim:studio5 as it applies to webaudio devices only: current value is "echo {azimuth}"',
    );
    await expect(
      ["--rig", "rig.json"],
      'Cannot use --rig with --device sim:studio5 as it applies to webaudio devices only: current value is "rig.json"',
    );
    for (const [flag, value] of [["--head-yaw-deg", "10"], ["--head-offset-cm", "0,5"]]) {
      await expect(
        ["--mic", "reference", flag!, value!],
        `Cannot use ${flag} with --mic reference as the reference mic has no head to move or turn (use --mic binaural or both): current value is "${value}"`,
      );
    }
    await expect(
      ["--arc", "0:720:90"],
      'Cannot use --arc as its points must be distinct directions (at most one full turn): current value is "0:720:90", which gives azimuth 0° twice',
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Interrupt a sim session (as the CLI would run it) on its n-th sweep, leaving `<out>.partial`. */
async function interruptedSession(
  out: string,
  mics: MicKind,
  positions: MicPosition[],
  failOnCall: number,
): Promise<void> {
  const sim = createSimDevice({ model: "studio5", serial: "SN1", mics, sampleRate: 48000 });
  let calls = 0;
  const device: AudioDevice = Object.assign(Object.create(sim) as AudioDevice, {
    playRecord: (request: PlayRecordRequest) =>
      ++calls === failOnCall
        ? Promise.reject(new Error("audio server went away"))
        : sim.playRecord(request),
  });
  await assert.rejects(
    runMeasurementSession(device, {
      sweep: { startHz: 20, endHz: 20000, durationSeconds: 0.2, sampleRate: 48000, levelDbfs: -12 },
      positions,
      drivers: ["tweeter"],
      irLengthSeconds: 0.05,
    }, { out }),
    SessionInterruptedError,
  );
  await sim.close();
}

Deno.test("measure CLI --resume refuses other options up front, finishes with the same ones, and a stale .partial is reported complete", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    const out = join(dir, "r3");
    const arc = [-90, 0, 90, 180].map((azimuthDeg) => ({
      azimuthDeg,
      elevationDeg: 0,
      distanceMeters: 2,
    }));
    await interruptedSession(out, "both", arc, 3);
    const unit = ["--device", "sim:studio5", "--serial", "SN1", "--drivers", "tweeter"];
    const args = [...unit, "--mic", "both", "--arc", "-180:180:90", "--out", out, "--resume"];
    let r = await runCli("measure.ts", [
      ...unit,
      ...["--mic", "reference", "--azimuth", "0", "--out", out, "--resume", ...fast],
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /Cannot resume ".*r3\.partial" as --mic \(mic inputs\) differs: the interrupted session measured ear-left, ear-right, ref, this run asks ref\. Run it with the options it was started with/,
    );
    r = await runCli("measure.ts", [
      ...args.slice(0, -3),
      "--arc",
      "0:0:1",
      "--out",
      out,
      "--resume",
      ...fast,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /as positions \(--azimuth\/--arc\/--elevation\/--distance\/--head-\*\) differs: the interrupted session measured 4 positions \(az -90°…180°\), this run asks az 0°, el 0°, 2 m\./,
    );
    r = await runCli("measure.ts", [
      ...args,
      "--duration-seconds",
      "0.6",
      "--ir-length-seconds",
      "0.05",
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /as --duration-seconds \(actual sweep duration\) differs/);
    // Keep the journal as it is now, to recreate below the state a kill -9 between writing the
    // set and removing <out>.partial leaves.
    const journal = await Deno.readTextFile(join(`${out}.partial`, "journal.json"));
    r = await runCli("measure.ts", [...args, "--json", ...fast]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual([summary.captures, summary.resumed, summary.measured], [12, 6, 6]);
    assert.ok(await gone(`${out}.partial`));

    await Deno.mkdir(`${out}.partial`);
    await Deno.writeTextFile(join(`${out}.partial`, "journal.json"), journal);
    r = await runCli("measure.ts", [...args, ...fast]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /r3 is complete: the interrupted session had finished \(6 captures; the set has 12\); nothing measured/,
    );
    assert.match(
      r.stderr,
      /^measure: removed ".*r3\.partial": its 6 captures are all in ".*r3" already/m,
    );
    assert.ok(await gone(`${out}.partial`));
    // The same stale state no longer blocks --append either.
    await Deno.mkdir(`${out}.partial`);
    await Deno.writeTextFile(join(`${out}.partial`, "journal.json"), journal);
    r = await runCli("measure.ts", [
      ...unit,
      ...["--mic", "reference", "--azimuth", "45", "--out", out, "--append", "--json", ...fast],
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).captures, 13);
    assert.match(r.stderr, /measure: removed/);
    assert.ok(await gone(`${out}.partial`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("measure CLI --ear-angle-deg: with the device at the head's side, the shadowed ear is >= 10 dB down at 5 kHz with ears set back (100°), ~6 dB with ears on the axis (90°, the sphere's bright spot)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    const ild = async (earAngle: string) => {
      const out = join(dir, `ears-${earAngle}`);
      // Facing away by 90°: the device (at azimuth 0, 2 m) is at the listener's side.
      const r = await runCli("measure.ts", [
        "--device",
        "sim:studio5",
        "--serial",
        "nominal",
        "--mic",
        "binaural",
        "--drivers",
        "tweeter",
        "--head-yaw-deg",
        "90",
        "--ear-angle-deg",
        earAngle,
        "--noise-level-dbfs",
        "-120",
        "--out",
        out,
        "--duration-seconds",
        "1",
        "--ir-length-seconds",
        "0.05",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const set = await readMeasurementSet(out);
      const level = async (mic: string) => {
        const c = set.manifest.captures.find((x) => x.mic === mic)!;
        const h = (await set.readIr(c)).channels[0]!;
        const n = 8192, plan = realFftPlan(n), H = plan.forward(h.subarray(0, n));
        let p = 0; // third octave around 5 kHz
        for (let k = 0; k < plan.binCount; k++) {
          const f = (k * 48000) / n;
          if (f >= 5000 * 2 ** (-1 / 6) && f <= 5000 * 2 ** (1 / 6)) {
            p += H.re[k]! ** 2 + H.im[k]! ** 2;
          }
        }
        return 10 * Math.log10(p);
      };
      return Math.abs((await level("ear-left")) - (await level("ear-right")));
    };
    const back = await ild("100"), onAxis = await ild("90");
    assert.ok(back >= 10, `ears at ±100°: ILD ${back.toFixed(1)} dB at 5 kHz`);
    assert.ok(onAxis > 3 && onAxis < 9, `ears at ±90°: ILD ${onAxis.toFixed(1)} dB at 5 kHz`);
    const refused = await runCli("measure.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "nominal",
      "--mic",
      "reference",
      "--ear-angle-deg",
      "100",
      "--out",
      join(dir, "x"),
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Cannot use --ear-angle-deg with --mic reference/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("measure CLI --room: a custom shoebox and the living room add reflections that the anechoic set has not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-measure-" });
  try {
    // Energy from 5 ms after the direct sound on, re the whole IR, in dB.
    const lateDb = async (room: string) => {
      const out = join(dir, room.replace(/[^a-z0-9]/gi, "_"));
      const r = await runCli("measure.ts", [
        "--device",
        "sim:studio5",
        "--serial",
        "nominal",
        "--mic",
        "reference",
        "--drivers",
        "tweeter",
        "--room",
        room,
        "--out",
        out,
        "--duration-seconds",
        "0.5",
        "--ir-length-seconds",
        "0.3",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const set = await readMeasurementSet(out);
      const h = (await set.readIr(set.manifest.captures[0]!)).channels[0]!;
      let peak = 0;
      h.forEach((v, i) => (peak = Math.abs(v) > Math.abs(h[peak]!) ? i : peak));
      let late = 0, total = 0;
      h.forEach((v, i) => {
        total += v * v;
        if (i > peak + 0.005 * 48000) late += v * v;
      });
      return 10 * Math.log10(late / total);
    };
    const anechoic = await lateDb("anechoic");
    const shoebox = await lateDb("5x4x3:0.4:10");
    const living = await lateDb("living-room");
    assert.ok(anechoic < -40, `anechoic late energy ${anechoic.toFixed(1)} dB`);
    assert.ok(shoebox > -15, `5×4×3 m, α 0.4: late energy ${shoebox.toFixed(1)} dB`);
    assert.ok(living > -15, `living room: late energy ${living.toFixed(1)} dB`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
