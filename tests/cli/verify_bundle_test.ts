import assert from "node:assert/strict";
import { join } from "node:path";
import { computeLimits } from "../../calibrate/golden.ts";
import { limitsToJson, writeUnitMeasurement } from "../../calibrate/limits.ts";
import { writeBundle } from "../../calibrate/bundle.ts";
import { upmixParameters } from "../../design/upmix.ts";
import { synthUnit } from "../calibrate/_units.ts";
import { runCli } from "./_run.ts";

const POSITION = { azimuthDeg: 30, elevationDeg: 20, distanceMeters: 0.5 };

/** A real bundle (files and hashes) for the unit, with the separation deviation its fit predicted. */
async function bundleFor(
  folder: string,
  model: string,
  serial: string,
  drivers: string[],
  deviationDb: number,
) {
  const inputs = ["left", "right", "center"];
  await writeBundle(folder, {
    format: "spatialcal.filter-bundle",
    version: 1,
    sampleRate: 48000,
    taps: 64,
    latencySamples: 32,
    device: { model, serial, drivers },
    source: { measurementSet: "runs/u", sha256: "a".repeat(64) },
    inputs,
    upmix: { ...upmixParameters() },
    filters: Object.fromEntries(inputs.map((i) => [i, `filters/${i}.wav`])),
    design: { taps: 64 },
    predicted: { separation: { maxAbsDeviationDb: deviationDb } },
  }, Object.fromEntries(inputs.map((i) => [i, drivers.map(() => new Float64Array(64))])));
}

Deno.test("verify --bundle: the unit's own fitted filters are checked; a miss fails (1), a tampered bundle is invalid (2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-verify-bundle-" });
  try {
    const limits = join(dir, "limits.json");
    await Deno.writeTextFile(
      limits,
      limitsToJson(await computeLimits([1, 2, 3, 4, 5].map((s) => synthUnit(800 + s)))),
    );
    const unit = synthUnit(900);
    const set = join(dir, "unit");
    await writeUnitMeasurement(set, unit, { position: POSITION });
    const args = (
      bundle: string,
    ) => ["--in", set, "--limits", limits, "--bundle", bundle, "--no-record", "--json"];
    await bundleFor(join(dir, "good"), unit.model, unit.serial, [...unit.drivers], 0.4);
    let r = await runCli("verify.ts", args(join(dir, "good")));
    assert.equal(r.code, 0, r.stderr);
    assert.match(JSON.parse(r.stdout).bundleSha256, /^[0-9a-f]{64}$/);
    await bundleFor(join(dir, "off"), unit.model, unit.serial, [...unit.drivers], 4.5);
    r = await runCli("verify.ts", args(join(dir, "off")));
    assert.equal(r.code, 1, r.stderr);
    assert.ok(
      JSON.parse(r.stdout).violations.some((v: { check: string }) => v.check === "ctc-separation"),
    );
    await bundleFor(join(dir, "other"), unit.model, "SOMEONE-ELSE", [...unit.drivers], 0.4);
    r = await runCli("verify.ts", args(join(dir, "other")));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /fitted for serial "SOMEONE-ELSE"/);
    const wav = join(dir, "good", "filters", "left.wav");
    const bytes = await Deno.readFile(wav);
    bytes[bytes.length - 1]! ^= 0xff;
    await Deno.writeFile(wav, bytes);
    r = await runCli("verify.ts", args(join(dir, "good")));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /left\.wav/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
