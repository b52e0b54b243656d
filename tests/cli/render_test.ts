import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { join, withTempDir, writeTrueSet } from "../calibrate/_sets.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { writeBundle } from "../../calibrate/bundle.ts";
import { readWav, writeWav } from "../../io/wav.ts";

Deno.test("deno task render writes one feed per driver, input length + taps - 1 long; refuses mono input", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "set"));
    const fit = await fitBundle(set, { taps: 256, beamformer: "matrix" });
    await writeBundle(join(dir, "b"), fit.bundle, fit.filters);
    const x = Float64Array.from({ length: 4800 }, (_, n) => 0.1 * Math.sin(n / 9));
    await writeWav(join(dir, "in.wav"), { sampleRate: 48000, channels: [x, x] });
    const r = await runCli("render.ts", [
      "--bundle",
      join(dir, "b"),
      "--in",
      join(dir, "in.wav"),
      "--out",
      join(dir, "feeds.wav"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const feeds = await readWav(join(dir, "feeds.wav"));
    assert.equal(feeds.channels.length, 5);
    assert.equal(feeds.channels[0]!.length, 4800 + 256 - 1);
    await writeWav(join(dir, "mono.wav"), { sampleRate: 48000, channels: [x] });
    const bad = await runCli("render.ts", [
      "--bundle",
      join(dir, "b"),
      "--in",
      join(dir, "mono.wav"),
      "--out",
      join(dir, "f2.wav"),
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /must be stereo: it has 1 channels at 48000 Hz/,
    );
    const exists = await runCli("render.ts", [
      "--bundle",
      join(dir, "b"),
      "--in",
      join(dir, "in.wav"),
      "--out",
      join(dir, "feeds.wav"),
    ]);
    assert.equal(exists.code, 2);
    assert.match(
      exists.stderr,
      /Cannot write --out ".*feeds\.wav" as it already exists: use --force to replace it/,
    );
  });
});

Deno.test("deno task render takes 44.1 kHz input: resampled to the bundle's 48 kHz, a 1 kHz tone keeps its level", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "set"));
    const fit = await fitBundle(set, { taps: 256, beamformer: "matrix" });
    await writeBundle(join(dir, "b"), fit.bundle, fit.filters);
    const tone = (fs: number, n: number) =>
      Float64Array.from({ length: n }, (_, i) => 0.1 * Math.sin(2 * Math.PI * 1000 * i / fs));
    await writeWav(join(dir, "in44.wav"), {
      sampleRate: 44100,
      channels: [tone(44100, 8820), tone(44100, 8820)],
    });
    await writeWav(join(dir, "in48.wav"), {
      sampleRate: 48000,
      channels: [tone(48000, 9600), tone(48000, 9600)],
    });
    for (const name of ["in44", "in48"]) {
      const r = await runCli("render.ts", [
        "--bundle",
        join(dir, "b"),
        "--in",
        join(dir, `${name}.wav`),
        "--out",
        join(dir, `${name}.out.wav`),
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      if (name === "in44") assert.equal(JSON.parse(r.stdout).resampledFromHz, 44100);
    }
    const a = await readWav(join(dir, "in44.out.wav"));
    const b = await readWav(join(dir, "in48.out.wav"));
    assert.equal(a.sampleRate, 48000);
    // ceil(8820·48000/44100) = 9600 samples of input, + taps − 1.
    assert.equal(a.channels[0]!.length, 9600 + 255);
    // The same tone at the same time: feeds agree away from the ends (float32 files,
    // resampler pass band exact to −110 dB), measured worst 1e-6 re a 0.1 tone.
    for (let d = 0; d < 5; d++) {
      let worst = 0, peak = 0;
      for (let i = 1500; i < 8000; i++) {
        worst = Math.max(worst, Math.abs(a.channels[d]![i]! - b.channels[d]![i]!));
        peak = Math.max(peak, Math.abs(b.channels[d]![i]!));
      }
      assert.ok(worst < 1e-4 * peak, `driver ${d}: ${worst} vs peak ${peak}`);
    }
  });
});
