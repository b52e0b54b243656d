import assert from "node:assert/strict";
import { join } from "node:path";
import { computeLimits } from "../../calibrate/golden.ts";
import { limitsToJson, writeUnitMeasurement } from "../../calibrate/limits.ts";
import { writeBundle } from "../../calibrate/bundle.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { binauralSetOf, forgeGarbageFilters } from "./_bundles.ts";
import { synthUnit } from "../calibrate/_units.ts";
import { runCli } from "./_run.ts";
import { withTempDir } from "../_temp.ts";

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

Deno.test("a bundle whose filter or bundle.json is a link leading out of the bundle folder is refused (2), even with matching hashes", async () => {
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
    // bundle.json itself may not be a link out of the folder either.
    await Deno.remove(join(bundle, "filters", "left.wav"));
    await Deno.rename(outside, join(bundle, "filters", "left.wav"));
    const json = join(dir, "bundle.json");
    await Deno.rename(join(bundle, "bundle.json"), json);
    await Deno.symlink(json, join(bundle, "bundle.json"));
    const again = await runCli("evaluate.ts", ["--bundle", bundle, "--in", ears]);
    assert.equal(again.code, 2, again.stderr);
    assert.ok(
      again.stderr.includes("as bundle.json must be a file inside the bundle"),
      again.stderr,
    );
  });
});
