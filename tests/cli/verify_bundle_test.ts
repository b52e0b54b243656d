import assert from "node:assert/strict";
import { join } from "node:path";
import { computeLimits } from "../../calibrate/golden.ts";
import {
  limitsToJson,
  type UnitMeasurement,
  writeUnitMeasurement,
} from "../../calibrate/limits.ts";
import {
  bundleContentSha256,
  type FilterBundle,
  readBundle,
  writeBundle,
} from "../../calibrate/bundle.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { irFileName, readMeasurementSet, writeMeasurementSet } from "../../io/manifest.ts";
import { sha256Hex } from "../../io/atomic.ts";
import { encodeWav } from "../../io/wav.ts";
import { seededRandom } from "../_assert.ts";
import { synthUnit } from "../calibrate/_units.ts";
import { runCli } from "./_run.ts";
import { withTempDir } from "../_temp.ts";

/**
 * A binaural set of the unit, as if its three drivers stood left of, in front of and right of a
 * listener: each ear hears the driver's own IR, the far ear 6 dB down and 6 samples later
 * (0.125 ms, the interaural delay of ~25°). The woofer reaches both ears alike.
 */
async function binauralSetOf(folder: string, unit: UnitMeasurement): Promise<void> {
  const ear: Record<string, [number, number, number, number]> = {
    // [left gain, left delay, right gain, right delay]
    woofer: [1, 0, 1, 0],
    mid: [1, 0, 0.5, 6],
    tweeter: [0.5, 6, 1, 0],
  };
  const position = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 };
  const audio = new Map<string, { sampleRate: number; channels: Float64Array[] }>();
  const captures = unit.captures.flatMap((c) =>
    (["L", "R"] as const).map((mic, side) => {
      const [gain, delay] = ear[c.driver]!.slice(2 * side, 2 * side + 2) as [number, number];
      const ir = new Float64Array(c.ir.length);
      for (let i = delay; i < ir.length; i++) ir[i] = gain * c.ir[i - delay]!;
      const path = irFileName(c.driver, mic, position);
      audio.set(path, { sampleRate: unit.sampleRate, channels: [ir] });
      return { driver: c.driver, mic, position, ir: path };
    })
  );
  await writeMeasurementSet(folder, {
    format: "spatialcal.measurement-set",
    version: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    sampleRate: unit.sampleRate,
    device: {
      model: unit.model,
      serial: unit.serial,
      drivers: unit.drivers.map((id) => ({ id, kind: id })),
    },
    rig: { backend: "file" },
    mics: [{ id: "L", role: "ear-left" }, { id: "R", role: "ear-right" }],
    captures,
  }, audio);
}

/** Replace a bundle's filters by seeded noise, keep its `predicted`, and re-hash every file. */
async function forgeGarbageFilters(folder: string): Promise<void> {
  const { bundle, filters } = await readBundle(folder);
  const rand = seededRandom(7);
  const garbage = Object.fromEntries(
    Object.entries(filters).map((
      [input, channels],
    ) => [input, channels.map((h) => h.map(() => Math.fround(0.1 * (rand() - 0.5))))]),
  );
  const files: Record<string, string> = {};
  for (const input of bundle.inputs) {
    const bytes = encodeWav({ sampleRate: bundle.sampleRate, channels: garbage[input]! }, {
      encoding: "float",
    });
    await Deno.writeFile(join(folder, bundle.filters[input]!), bytes);
    files[bundle.filters[input]!] = await sha256Hex(bytes);
  }
  const forged: FilterBundle = { ...bundle, files };
  await Deno.writeTextFile(
    join(folder, "bundle.json"),
    JSON.stringify({ ...forged, sha256: await bundleContentSha256(forged) }, null, 2),
  );
}

Deno.test("verify --bundle recomputes the separation from the filters: the unit's own fit passes (0), a re-hashed bundle with garbage filters and the kept prediction fails (1), another unit's or a tampered one is invalid (2)", async () => {
  await withTempDir(async (dir) => {
    const limits = join(dir, "limits.json");
    await Deno.writeTextFile(
      limits,
      limitsToJson(await computeLimits([1, 2, 3, 4, 5].map((s) => synthUnit(800 + s)))),
    );
    const unit = synthUnit(900);
    const set = join(dir, "unit");
    await writeUnitMeasurement(set, unit);
    const ears = join(dir, "ears");
    await binauralSetOf(ears, unit);
    const fitted = await fitBundle(await readMeasurementSet(ears), { upmix: "none", taps: 1024 });
    const predicted = (fitted.bundle.predicted.separation as { maxAbsDeviationDb: number })
      .maxAbsDeviationDb;
    assert.ok(predicted < 3, `the fit predicts ${predicted} dB`);
    const good = join(dir, "good");
    await writeBundle(good, fitted.bundle, fitted.filters);
    const args = (bundle: string, extra: string[] = []) => [
      "--in",
      set,
      "--limits",
      limits,
      "--bundle",
      bundle,
      "--no-record",
      "--json",
      ...extra,
    ];
    let r = await runCli("verify.ts", args(good));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(JSON.parse(r.stdout).bundleSha256, /^[0-9a-f]{64}$/);

    // Garbage filters, the fit's prediction kept, every hash recomputed: the filters are judged.
    const garbage = join(dir, "garbage");
    await writeBundle(garbage, fitted.bundle, fitted.filters);
    await forgeGarbageFilters(garbage);
    r = await runCli("verify.ts", args(garbage));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const ctc = JSON.parse(r.stdout).violations.find((v: { check: string }) =>
      v.check === "ctc-separation"
    );
    assert.ok(ctc.value > 3, JSON.stringify(ctc));
    assert.match(ctc.reason, /recomputed from its filters, bundle\.json predicted \d+\.\d dB/);

    // The set it was fitted from is needed, and must be that set.
    await Deno.rename(ears, join(dir, "moved"));
    r = await runCli("verify.ts", args(good));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /its separation is recomputed from its filters on the set it was fitted from, ".*ears", which cannot be read .*: give it with --bundle-set/,
    );
    r = await runCli("verify.ts", args(good, ["--bundle-set", join(dir, "moved")]));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await runCli("verify.ts", args(good, ["--bundle-set", set]));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /as it is not the set the bundle was fitted from: source\.sha256 is/);
    await Deno.rename(join(dir, "moved"), ears);

    const other = join(dir, "other");
    await writeBundle(other, {
      ...fitted.bundle,
      device: { ...fitted.bundle.device, serial: "SOMEONE-ELSE" },
    }, fitted.filters);
    r = await runCli("verify.ts", args(other));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /fitted for serial "SOMEONE-ELSE"/);
    const wav = join(good, "filters", "left.wav");
    const bytes = await Deno.readFile(wav);
    bytes[bytes.length - 1]! ^= 0xff;
    await Deno.writeFile(wav, bytes);
    r = await runCli("verify.ts", args(good));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /left\.wav/);
  });
});

Deno.test("a bundle whose filter is a link leading out of the bundle folder is refused (2), even with matching hashes", async () => {
  await withTempDir(async (dir) => {
    const unit = synthUnit(901);
    const ears = join(dir, "ears");
    await binauralSetOf(ears, unit);
    const fitted = await fitBundle(await readMeasurementSet(ears), { upmix: "none", taps: 256 });
    const bundle = join(dir, "b");
    await writeBundle(bundle, fitted.bundle, fitted.filters);
    const outside = join(dir, "outside.wav");
    await Deno.rename(join(bundle, "filters", "left.wav"), outside);
    await Deno.symlink(outside, join(bundle, "filters", "left.wav"));
    const r = await runCli("render.ts", [
      "--bundle",
      bundle,
      "--in",
      join(dir, "song.wav"),
      "--out",
      join(dir, "feeds.wav"),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(
      r.stderr.includes(
        `as files["filters/left.wav"] must be a file inside the bundle: "${
          join(bundle, "filters", "left.wav")
        }" leads to "${await Deno.realPath(outside)}"`,
      ),
      r.stderr,
    );
  });
});
