import assert from "node:assert/strict";
import { join } from "node:path";
import { computeLimits } from "../../calibrate/golden.ts";
import { limitsToJson, type UnitMeasurement } from "../../calibrate/limits.ts";
import { measureSimUnit } from "../../calibrate/line_sim.ts";
import { measureStudyUnit } from "../../calibrate/study.ts";
import { readBundle } from "../../calibrate/bundle.ts";
import {
  checkSignature,
  readSigningKey,
  readTrustedKey,
  signDocument,
} from "../../calibrate/signature.ts";
import { openRecords } from "../../calibrate/records.ts";
import { sha256Hex } from "../../io/atomic.ts";
import { loadDeviceModel, unitDeviations } from "../../sim/device_model.ts";
import { runCli } from "./_run.ts";
import { withTempDir } from "../_temp.ts";

Deno.test("verify --fit-from REF --bundle-out DIR --sign KEY: a passing unit gets a signed per-unit bundle fitted on its estimated plant, its SHA-256 recorded with the verdict; verify --bundle accepts it; a failed unit gets none", async () => {
  await withTempDir(async (dir) => {
    const golden: UnitMeasurement[] = [];
    for (let g = 0; g < 6; g++) {
      golden.push(
        (await measureSimUnit({ model: "studio5", serial: `G-${g}`, seed: 50 + g })).unit,
      );
    }
    let r = await runCli("keys.ts", ["--out", join(dir, "lab")]);
    assert.equal(r.code, 0, r.stderr);
    const limits = join(dir, "limits.json");
    const signer = await readSigningKey(join(dir, "lab.key"));
    await Deno.writeTextFile(
      limits,
      limitsToJson(await signDocument(await computeLimits(golden), signer)),
    );
    const ref = join(dir, "ref");
    await Deno.mkdir(ref);
    await measureStudyUnit(join(ref, "lab"), { serial: "REF-1", arcStepDeg: 30 });
    r = await runCli("verify.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "REF-1",
      "--limits",
      limits,
      "--out",
      join(ref, "station"),
      "--no-record",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const db = join(dir, "records.db");
    const bundle = join(dir, "bundle-U-1");
    r = await runCli("verify.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "U-1",
      "--limits",
      limits,
      "--sim-defects",
      '{"drivers":{"tweeter":{"sensitivityOffsetDb":-1}}}',
      "--out",
      join(dir, "U-1-station"),
      "--fit-from",
      ref,
      "--bundle-out",
      bundle,
      "--sign",
      join(dir, "lab.key"),
      "--db",
      `sqlite:${db}`,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const verdict = JSON.parse(r.stdout);
    const sha = await sha256Hex(await Deno.readFile(join(bundle, "bundle.json")));
    assert.equal(verdict.bundleSha256, sha);
    // The estimated level of each driver is the simulator's sensitivity difference of the two
    // units (their drawn tolerances), the −1 dB defect on the tweeter included.
    const model = loadDeviceModel("studio5");
    const devU = unitDeviations(model, "U-1"), devRef = unitDeviations(model, "REF-1");
    model.drivers.forEach((d, i) => {
      const m = r.stderr.match(new RegExp(`${d.id} ([+-]\\d+\\.\\d+) dB`));
      assert.ok(m, `${d.id} in ${r.stderr}`);
      const expected = devU[i]!.sensitivityDb - devRef[i]!.sensitivityDb -
        (d.id === "tweeter" ? 1 : 0);
      assert.ok(
        Math.abs(Number(m![1]) - expected) < 0.3,
        `${d.id}: estimated ${m![1]} dB, simulated ${expected.toFixed(2)} dB`,
      );
    });
    const loaded = await readBundle(bundle);
    assert.equal(loaded.bundle.device.serial, "U-1");
    assert.equal(loaded.bundle.source.measurementSet, `${bundle}-plant`);
    await checkSignature(loaded.bundle, [await readTrustedKey(join(dir, "lab.pub"))], "bundle");
    const store = await openRecords(`sqlite:${db}`);
    try {
      const history = await store.history("U-1");
      assert.equal(history.length, 1);
      assert.equal(history[0]!.bundleSha256, sha);
    } finally {
      await store.close();
    }
    // The line-fitted bundle passes the existing bundle check (separation recomputed on its plant).
    r = await runCli("verify.ts", [
      "--in",
      join(dir, "U-1-station"),
      "--limits",
      limits,
      "--bundle",
      bundle,
      "--trust",
      join(dir, "lab.pub"),
      "--no-record",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);

    // With REF/bundle (the reference's own signed bundle), the fast path: its filters divided by
    // the unit's corrections; the bundle still passes the separation check on its plant.
    r = await runCli("fit.ts", [
      "--in",
      join(ref, "lab"),
      "--out",
      join(ref, "bundle"),
      "--virtualizer",
      "none",
      "--sign",
      join(dir, "lab.key"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const fast = join(dir, "bundle-U-4");
    r = await runCli("verify.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "U-4",
      "--limits",
      limits,
      "--out",
      join(dir, "U-4-station"),
      "--fit-from",
      ref,
      "--bundle-out",
      fast,
      "--sign",
      join(dir, "lab.key"),
      "--trust",
      join(dir, "lab.pub"),
      "--no-record",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /compute \d+ ms: corrections applied to the reference bundle/);
    const fastBundle = (await readBundle(fast)).bundle;
    assert.equal(fastBundle.device.serial, "U-4");
    assert.equal(
      (fastBundle.design.lineFit as { reference: { sha256: string } }).reference.sha256,
      (await readBundle(join(ref, "bundle"))).bundle.sha256,
    );
    r = await runCli("verify.ts", [
      "--in",
      join(dir, "U-4-station"),
      "--limits",
      limits,
      "--bundle",
      fast,
      "--no-record",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);

    // A unit that fails gets no bundle.
    const failed = join(dir, "bundle-U-2");
    r = await runCli("verify.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "U-2",
      "--limits",
      limits,
      "--sim-defects",
      '{"drivers":{"woofer":{"dead":true}}}',
      "--fit-from",
      ref,
      "--bundle-out",
      failed,
      "--no-record",
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    await assert.rejects(Deno.stat(failed), Deno.errors.NotFound);

    // Usage: --fit-from needs --bundle-out; --sign needs --fit-from.
    r = await runCli("verify.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "U-3",
      "--limits",
      limits,
      "--fit-from",
      ref,
      "--no-record",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fit-from needs --bundle-out DIR/);
    r = await runCli("verify.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "U-3",
      "--limits",
      limits,
      "--sign",
      join(dir, "lab.key"),
      "--no-record",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--sign goes with --fit-from REF/);
  });
});
