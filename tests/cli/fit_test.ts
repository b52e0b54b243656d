import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { join, withTempDir, writeTrueSet } from "../calibrate/_sets.ts";
import { readBundle } from "../../calibrate/bundle.ts";
import { writeWav } from "../../io/wav.ts";

Deno.test("deno task fit writes a bundle, refuses to overwrite it without --force, prints JSON with --json", async () => {
  await withTempDir(async (dir) => {
    await writeTrueSet(join(dir, "set"), { arcStepDeg: 15 });
    const out = join(dir, "bundle");
    const r = await runCli("fit.ts", ["--in", join(dir, "set"), "--out", out, "--taps", "1024"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /wrote .*bundle: left, right, center → 5 drivers of studio5 SIM-000123, 1024 taps/,
    );
    assert.match(r.stdout, /center beam .* nulls at ±90° >= /);
    const { bundle, filters } = await readBundle(out);
    assert.equal(bundle.taps, 1024);
    assert.equal(filters.center!.length, 5);

    const again = await runCli("fit.ts", ["--in", join(dir, "set"), "--out", out]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /Cannot write --out ".*bundle" as it already exists: use --force to replace it/,
    );

    const json = await runCli("fit.ts", [
      "--in",
      join(dir, "set"),
      "--out",
      out,
      "--force",
      "--json",
      "--upmix",
      "none",
      "--virtualizer",
      "none",
      "--taps",
      "512",
    ]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.deepEqual(parsed.bundle.inputs, ["left", "right"]);
    assert.equal(parsed.bundle.design.leftRight.virtualizer, "none");
  });
});

Deno.test("deno task fit exits 2 naming missing captures, a bad flag value and an unknown flag", async () => {
  await withTempDir(async (dir) => {
    await writeTrueSet(join(dir, "set"), { drop: (k) => k === "tweeter@ear-left" });
    const missing = await runCli("fit.ts", ["--in", join(dir, "set"), "--out", join(dir, "b")]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /needs ear-left and ear-right captures of every driver at one position: missing tweeter@ear-left/,
    );
    const cases: [string[], RegExp][] = [
      [
        ["--virtualizer", "left"],
        /--virtualizer as it must be none or an angle in degrees within 0..90: current value is "left"/,
      ],
      [
        ["--beamformer", "maybe"],
        /--beamformer as it must be one of on, matrix, none: current value is "maybe"/,
      ],
      [["--taps", "1000"], /taps must be a power of two within 64..65536: current value is 1000/],
      [["--gate-ms", "soon"], /--gate-ms as it must be auto, none or a number of ms > 0/],
      [["--colour", "red"], /Unknown option '--colour'/],
    ];
    for (const [flags, pattern] of cases) {
      const r = await runCli("fit.ts", [
        "--in",
        join(dir, "set"),
        "--out",
        join(dir, "c"),
        ...flags,
      ]);
      assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
    const nothing = await runCli("fit.ts", ["--in", join(dir, "nope"), "--out", join(dir, "d")]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /the folder does not exist/);
  });
});

Deno.test("deno task fit --help explains every flag", async () => {
  const r = await runCli("fit.ts", ["--help"]);
  assert.equal(r.code, 0);
  for (
    const flag of [
      "--in",
      "--out",
      "--taps",
      "--virtualizer",
      "--upmix",
      "--beamformer",
      "--force",
      "--json",
    ]
  ) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

Deno.test("deno task fit: a capture at another sample rate exits 2 naming both rates; a near-singular plant fits with a warning", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "set"));
    const capture = set.manifest.captures.find((c) => c.driver === "woofer")!;
    await writeWav(join(dir, "set", capture.ir), {
      sampleRate: 44100,
      channels: [new Float64Array(100)],
    });
    const r = await runCli("fit.ts", ["--in", join(dir, "set"), "--out", join(dir, "b")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /sample rate 44100 Hz differs from the manifest's sampleRate 48000 Hz/);
    assert.ok(r.stderr.includes(capture.ir));

    await writeTrueSet(join(dir, "flat"), {
      transform: (_driver, mic, _ir, all) => all["mid-left"]![mic]!.slice(),
    });
    const w = await runCli("fit.ts", [
      "--in",
      join(dir, "flat"),
      "--out",
      join(dir, "c"),
      "--upmix",
      "none",
      "--taps",
      "512",
    ]);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stderr, /warning: ear plant is near-singular: condition number above 10000/);
  });
});
