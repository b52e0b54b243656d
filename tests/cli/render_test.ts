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
      /must be stereo at the bundle's 48000 Hz: it has 1 channels at 48000 Hz/,
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
