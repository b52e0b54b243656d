import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { join, withTempDir, writeTrueSet } from "../calibrate/_sets.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { writeBundle } from "../../calibrate/bundle.ts";
import { sha256Hex } from "../../io/atomic.ts";

Deno.test("deno task evaluate reports separation, beam and effort; --json parses", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "set"), { arcStepDeg: 15 });
    const fit = await fitBundle(set, { taps: 1024 });
    await writeBundle(join(dir, "b"), fit.bundle, fit.filters);
    const r = await runCli("evaluate.ts", ["--bundle", join(dir, "b"), "--in", join(dir, "set")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /separation 300 Hz-6 kHz at az\+000.0/);
    assert.match(r.stdout, /center beam on the arc/);
    const j = await runCli("evaluate.ts", [
      "--bundle",
      join(dir, "b"),
      "--in",
      join(dir, "set"),
      "--json",
    ]);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.ears.length, 1);
    assert.ok(parsed.summary.centerBeam.minNullDepthDb >= 20);
  });
});

Deno.test("deno task evaluate exits 2 for a tampered bundle (file and both hashes named) and a sample-rate mismatch", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "set"));
    const fit = await fitBundle(set, { taps: 256, upmix: "none" });
    const written = await writeBundle(join(dir, "b"), fit.bundle, fit.filters);
    await writeTrueSet(join(dir, "set44"), { sampleRate: 44100 });
    const rate = await runCli("evaluate.ts", [
      "--bundle",
      join(dir, "b"),
      "--in",
      join(dir, "set44"),
    ]);
    assert.equal(rate.code, 2);
    assert.match(
      rate.stderr,
      /sample rates differ: the bundle has sampleRate 48000 Hz, the set has 44100 Hz/,
    );

    const path = join(dir, "b", "filters", "right.wav");
    const bytes = await Deno.readFile(path);
    bytes[100]! ^= 0x40;
    await Deno.writeFile(path, bytes);
    const r = await runCli("evaluate.ts", ["--bundle", join(dir, "b"), "--in", join(dir, "set")]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`"filters/right.wav" does not match its hash`), r.stderr);
    assert.ok(r.stderr.includes(written.files["filters/right.wav"]!));
    assert.ok(r.stderr.includes(await sha256Hex(bytes)));
  });
});
