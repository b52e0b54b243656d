import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { readMeasurementSet } from "../../io/manifest.ts";

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
