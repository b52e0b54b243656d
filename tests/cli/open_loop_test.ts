import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { encodeWav, readWav } from "../../io/wav.ts";
import { withTempDir } from "../_temp.ts";
import { openLoopRecording } from "../measure/_open_loop.ts";

Deno.test("sweep --markers --drivers 2, then deconvolve --open-loop of a recording at -50 ppm starting 1.5 s late: driftPpm within 0.5 ppm, one IR per driver; without --open-loop a warning names the drift", async () => {
  await withTempDir(async (dir) => {
    const wav = join(dir, "stim.wav");
    let r = await runCli("sweep.ts", [
      "--out",
      wav,
      "--markers",
      "--drivers",
      "2",
      "--duration-seconds",
      "1",
      "--tail-seconds",
      "0.3",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "stim.json")));
    assert.equal(json.channels, 2);
    assert.equal(json.openLoop.marker.method, "exponential-chirp");
    assert.equal(json.openLoop.sweepStartsSamples.length, 2);
    const stimulus = (await readWav(wav)).channels;
    assert.equal(stimulus.length, 2);
    assert.equal(stimulus[0]!.length, json.openLoop.lengthSamples);
    // The device plays the file on its clock 50 ppm slow; driver 1 reaches the mic with gain 0.5
    // after 100 samples, driver 2 with gain -0.25 after 300.
    const h1 = new Float64Array(400), h2 = new Float64Array(400);
    h1[100] = 0.5;
    h2[300] = -0.25;
    const fs = 48000;
    const y = openLoopRecording(
      stimulus,
      [h1, h2],
      -50,
      1.5 * fs + 0.3,
      stimulus[0]!.length + 2 * fs,
    );
    const rec = join(dir, "rec.wav");
    await Deno.writeFile(rec, encodeWav({ sampleRate: fs, channels: [y] }));
    const out = join(dir, "ir.wav");
    r = await runCli("deconvolve.ts", [
      "--sweep",
      join(dir, "stim.json"),
      "--recording",
      rec,
      "--out",
      out,
      "--open-loop",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.ok(Math.abs(report.clock.driftPpm + 50) < 0.5, JSON.stringify(report.clock));
    assert.ok(report.clock.driftUncertaintyPpm < 0.5);
    assert.ok(Math.abs(report.clock.firstMarkerSeconds - (1.5 + 100 / fs)) < 1e-3);
    assert.deepEqual(report.channels.map((c: { slot: number }) => c.slot), [1, 2]);
    for (const c of report.channels) assert.ok(c.thdPercent < 0.05, JSON.stringify(c));
    const ir = (await readWav(out)).channels;
    assert.equal(ir.length, 2);
    // Sample P (the first marker's arrival) is driver 1's arrival: gain 0.5 there (band-limited
    // peak ≈ 0.83 × 0.5), driver 2 arrives 200 samples later with -0.25.
    const peak = (x: Float32Array | Float64Array) => {
      let at = 0;
      for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) > Math.abs(x[at]!)) at = i;
      return at;
    };
    const p1 = peak(ir[0]!), p2 = peak(ir[1]!);
    assert.equal(p2 - p1, 200);
    assert.ok(Math.abs(ir[0]![p1]! / ir[1]![p2]! + 2) < 0.01, `${ir[0]![p1]} ${ir[1]![p2]}`);
    // Closed loop on the same recording: refused as the response is late (pre-roll of 1.5 s)...
    r = await runCli("deconvolve.ts", [
      "--sweep",
      join(dir, "stim.json"),
      "--recording",
      rec,
      "--out",
      join(dir, "c.wav"),
      "--harmonics",
      "1",
    ]);
    assert.equal(r.code, 0, r.stderr);
    // ...but the drift is named.
    assert.match(
      r.stderr,
      /warning: clock drift: the markers show the device's clock -50\.0\d ± 0\.0\d ppm off the recorder's.*--open-loop/,
    );
    // --open-loop needs markers.
    r = await runCli("sweep.ts", ["--out", join(dir, "plain.wav"), "--duration-seconds", "0.5"]);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli("deconvolve.ts", [
      "--sweep",
      join(dir, "plain.json"),
      "--recording",
      rec,
      "--out",
      join(dir, "p.wav"),
      "--open-loop",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot use --open-loop as ".*plain.json" has no markers/);
  });
});

Deno.test("measure --open-loop --clock-ppm -200 → fit → evaluate: the fit matches the closed-loop fit of the same unit within 0.5 dB of separation in every band", async () => {
  await withTempDir(async (dir) => {
    const set = (name: string) => join(dir, name);
    let r = await runCli("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "U7",
      "--open-loop",
      "--clock-ppm",
      "-200",
      "--out",
      set("open"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(await Deno.readTextFile(join(set("open"), "manifest.json")));
    for (const c of manifest.captures) {
      assert.ok(Math.abs(c.clock.driftPpm + 200) < 0.5, JSON.stringify(c.clock));
    }
    r = await runCli("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "U7",
      "--out",
      set("closed"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const separation = async (name: string) => {
      const fit = await runCli("fit.ts", [
        "--in",
        set(name),
        "--out",
        set(`b-${name}`),
        "--beamformer",
        "none",
      ]);
      assert.equal(fit.code, 0, fit.stderr);
      // Both bundles judged on the closed-loop set: the unit's true plant.
      const e = await runCli("evaluate.ts", [
        "--bundle",
        set(`b-${name}`),
        "--in",
        set("closed"),
        "--json",
      ]);
      assert.equal(e.code, 0, e.stderr);
      return JSON.parse(e.stdout).ears[0].separationDb as { left: number[]; right: number[] };
    };
    const closed = await separation("closed"), open = await separation("open");
    for (const side of ["left", "right"] as const) {
      const worst = Math.max(...closed[side].map((v, i) => Math.abs(v - open[side][i]!)));
      // Measured 0.00 dB (studio5 at +200 ppm: 0.00 dB too; 0.44 dB before the marker peak was
      // interpolated band-limited).
      assert.ok(worst <= 0.5, `${side}: ${worst} dB`);
      assert.ok(Math.max(...closed[side]) > 5, "the fit separates");
    }
    // Refusals: --clock-ppm needs --open-loop and a sim device.
    r = await runCli("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "U7",
      "--clock-ppm",
      "5",
      "--out",
      set("x"),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot use --clock-ppm without --open-loop/);
  });
});

Deno.test("import --captures --open-loop: recordings of a two-driver marker stimulus (+5 ppm, late start) become a set with each capture's clock; without --open-loop the drift is warned about", async () => {
  await withTempDir(async (dir) => {
    const fs = 48000;
    const wav = join(dir, "stim.wav");
    let r = await runCli("sweep.ts", [
      "--out",
      wav,
      "--markers",
      "--drivers",
      "2",
      "--duration-seconds",
      "1",
      "--tail-seconds",
      "0.3",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const stimulus = (await readWav(wav)).channels;
    // Two mics: mic 1 hears left 0.5 @100 and right 0.1 @130, mic 2 the reverse.
    const ir = (gain: number, at: number) => {
      const h = new Float64Array(400);
      h[at] = gain;
      return h;
    };
    const length = stimulus[0]!.length + 2 * fs;
    const mics = [
      openLoopRecording(stimulus, [ir(0.5, 100), ir(0.1, 130)], 5, 0.8 * fs, length, 1e-5, 1),
      openLoopRecording(stimulus, [ir(0.1, 130), ir(0.5, 100)], 5, 0.8 * fs, length, 1e-5, 2),
    ];
    await Deno.writeFile(join(dir, "rec.wav"), encodeWav({ sampleRate: fs, channels: mics }));
    await Deno.writeTextFile(
      join(dir, "list.csv"),
      "file,channel,driver,mic,role,azimuth_deg,elevation_deg,distance_m,kind\n" +
        "rec.wav,1,left,ear-l,ear-left,0,0,2,recording\n" +
        "rec.wav,2,left,ear-r,ear-right,0,0,2,recording\n" +
        "rec.wav,1,right,ear-l,ear-left,0,0,2,recording\n" +
        "rec.wav,2,right,ear-r,ear-right,0,0,2,recording\n",
    );
    const base = [
      "--captures",
      join(dir, "list.csv"),
      "--sweep",
      join(dir, "stim.json"),
      "--model",
      "m",
      "--serial",
      "s",
      "--slot-drivers",
      "left,right",
    ];
    r = await runCli("import.ts", [...base, "--out", join(dir, "set"), "--open-loop"]);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(await Deno.readTextFile(join(dir, "set", "manifest.json")));
    assert.equal(m.captures.length, 4);
    for (const c of m.captures) {
      assert.ok(Math.abs(c.clock.driftPpm - 5) < 0.5, JSON.stringify(c));
      assert.ok(c.thdPercent < 0.05, JSON.stringify(c));
    }
    const peakOf = async (file: string) => {
      const x = (await readWav(join(dir, "set", file))).channels[0]!;
      let at = 0;
      for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) > Math.abs(x[at]!)) at = i;
      return { at, value: x[at]! };
    };
    const [ll, lr, rl] = await Promise.all(
      m.captures.slice(0, 3).map((c: { ir: string }) => peakOf(c.ir)),
    );
    // Left driver: 0.5 at the left ear, 0.1 at the right ear 30 samples later; right driver: the
    // reverse, on the same time reference.
    assert.equal(lr!.at - ll!.at, 30);
    assert.equal(rl!.at - ll!.at, 30);
    assert.ok(Math.abs(ll!.value / lr!.value - 5) < 0.05, `${ll!.value} ${lr!.value}`);
    // Closed loop: the late start is refused... with --loopback-channel absent, as before; the
    // warning names the drift when the recording starts with playback.
    const closed = [
      openLoopRecording(stimulus, [ir(0.5, 100), ir(0.1, 130)], 5, 0, length, 1e-5, 1),
      openLoopRecording(stimulus, [ir(0.1, 130), ir(0.5, 100)], 5, 0, length, 1e-5, 2),
    ];
    await Deno.writeFile(join(dir, "rec.wav"), encodeWav({ sampleRate: fs, channels: closed }));
    r = await runCli("import.ts", [...base, "--out", join(dir, "set2")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /row 2 \(rec.wav channel 1\): clock drift: the markers show the device's clock 5\.0\d ± 0\.0\d ppm/,
    );
    r = await runCli("import.ts", [...base.slice(0, -2), "--out", join(dir, "set3")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot use --slot-drivers as it must name one driver per sweep slot/);
  });
});
